"""Alembic environment of the gateway schema."""

from gateway.models import metadata
from shared.migrations import run_migrations

run_migrations(metadata)
