"""The body of every service's alembic `env.py`: its own schema, its own version table, nothing else."""

from __future__ import annotations

import asyncio
import os
from typing import Any

from alembic import context
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from shared.settings import PlatformSettings

EXTENSIONS = ("pg_trgm", "btree_gist", "cube", "earthdistance")
# Role settings an earlier version put on the role and that must go: `plan_cache_mode =
# force_generic_plan` for every statement made the ORM's range and headcount queries 20x slower
# on the demo data (docs/deployment.md). Reset, so a database migrated with it is cleaned too.
ROLE_SETTINGS_TO_RESET = ("plan_cache_mode",)


def _url() -> str:
    configured = context.config.attributes.get("database_url") or os.environ.get("DATABASE_URL", "")
    return PlatformSettings(database_url=configured).async_database_url


def run_migrations(metadata: MetaData) -> None:
    """Run offline or online migrations for the schema named by `metadata.schema`."""
    schema = metadata.schema
    assert schema, "each service's MetaData names its schema"

    def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
        if type_ == "schema":
            return name == schema
        return True

    options: dict[str, Any] = {
        "target_metadata": metadata,
        "version_table_schema": schema,
        "include_schemas": True,
        "include_name": include_name,
        "compare_type": True,
    }

    if context.is_offline_mode():
        context.configure(url=_url(), literal_binds=True, **options)
        with context.begin_transaction():
            context.run_migrations()
        return

    def migrate(connection: Connection) -> None:
        connection.execute(text("SELECT pg_advisory_xact_lock(hashtext('migrate:role settings'))"))
        for name in ROLE_SETTINGS_TO_RESET:
            alter = f"ALTER ROLE %I IN DATABASE %I RESET {name}"
            connection.execute(text(f"DO $$ BEGIN EXECUTE format('{alter}', current_user, current_database()); END $$"))
        for extension in EXTENSIONS:
            connection.execute(text(f"CREATE EXTENSION IF NOT EXISTS {extension} WITH SCHEMA public"))
        connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        connection.commit()
        context.configure(connection=connection, **options)
        with context.begin_transaction():
            # Two processes migrating at once (replicas starting) wait for each other.
            connection.execute(text("SELECT pg_advisory_xact_lock(hashtext(:s))"), {"s": f"migrate:{schema}"})
            context.run_migrations()

    async def online() -> None:
        engine = create_async_engine(_url())
        async with engine.connect() as connection:
            await connection.run_sync(migrate)
        await engine.dispose()

    asyncio.run(online())
