"""Imports every model of the service so that `Base.metadata` is complete (alembic, tests)."""

from __future__ import annotations

from registry.database import Base, platform_tables

metadata = Base.metadata

__all__ = ["Base", "metadata", "platform_tables"]
