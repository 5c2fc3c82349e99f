"""Alembic environment of the identity schema."""

from identity.models import metadata
from shared.migrations import run_migrations

run_migrations(metadata)
