"""Imports every model of the service so that `Base.metadata` is complete (alembic, tests)."""

from __future__ import annotations

from grid.attachments import models as attachments_models
from grid.campaigns import models as campaigns_models
from grid.circles import models as circles_models
from grid.database import Base, platform_tables
from grid.events import models as events_models
from grid.grids import models as grids_models
from grid.hazards import models as hazards_models
from grid.inspections import models as inspections_models
from grid.workers import models as workers_models

metadata = Base.metadata

__all__ = [
    "attachments_models",
    "Base",
    "campaigns_models",
    "circles_models",
    "events_models",
    "grids_models",
    "hazards_models",
    "inspections_models",
    "metadata",
    "platform_tables",
    "workers_models",
]
