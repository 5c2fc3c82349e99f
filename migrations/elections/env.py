"""Alembic environment of the elections schema."""

from elections.models import metadata
from shared.migrations import run_migrations

run_migrations(metadata)
