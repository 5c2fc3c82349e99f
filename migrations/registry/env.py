"""Alembic environment of the registry schema."""

from registry.models import metadata
from shared.migrations import run_migrations

run_migrations(metadata)
