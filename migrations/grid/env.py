"""Alembic environment of the grid schema."""

from grid.models import metadata
from shared.migrations import run_migrations

run_migrations(metadata)
