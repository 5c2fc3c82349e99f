"""Alembic environment of the requests schema."""

from service_requests.models import metadata
from shared.migrations import run_migrations

run_migrations(metadata)
