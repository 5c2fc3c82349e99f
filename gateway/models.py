"""Imports every model of the gateway so that `Base.metadata` is complete (alembic, tests)."""

from __future__ import annotations

from gateway.database import Base, platform_tables
from gateway.partners.models import ApiKey, Partner

metadata = Base.metadata

__all__ = ["ApiKey", "Base", "Partner", "metadata", "platform_tables"]
