"""Imports every model of the service so that `Base.metadata` is complete (alembic, tests)."""

from __future__ import annotations

from elections.database import Base, platform_tables
from elections.election import models as election_models

metadata = Base.metadata

__all__ = ["Base", "election_models", "metadata", "platform_tables"]
