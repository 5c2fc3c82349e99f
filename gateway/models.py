"""Imports every model of the gateway so that `Base.metadata` is complete (alembic, tests)."""

from __future__ import annotations

from gateway.database import Base, platform_tables

metadata = Base.metadata

__all__ = ["Base", "metadata", "platform_tables"]
