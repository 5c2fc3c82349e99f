"""Imports every model of the service so that `Base.metadata` is complete (alembic, tests)."""

from __future__ import annotations

from elections.database import Base, platform_tables
from elections.deliberation.actions import models as action_models
from elections.deliberation.committee import models as committee_models
from elections.deliberation.consultations import models as consultation_models
from elections.deliberation.meetings import models as meeting_models
from elections.deliberation.proposals import models as proposal_models
from elections.election import models as election_models

metadata = Base.metadata

__all__ = [
    "Base",
    "action_models",
    "committee_models",
    "consultation_models",
    "election_models",
    "meeting_models",
    "metadata",
    "platform_tables",
    "proposal_models",
]
