"""A fresh database per test run, built by the migrations, so parallel runs never collide."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg

from shared.settings import PlatformSettings
from tools.devdb import asyncpg_dsn as asyncpg_dsn  # re-exported: tests import it from here
from tools.devdb import server_url
from tools.migrate import upgrade_all

PLATFORM_SCHEMAS = ("gateway", "registry", "requests", "elections", "grid", "identity", "notifications")


async def create_test_database() -> str:
    """Create `test_<random>` on the platform's server, migrate it, return its libpq URL."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    connection = await asyncpg.connect(asyncpg_dsn(server_url("postgres")))
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return server_url(name)


def migrate(url: str) -> None:
    upgrade_all(url)


async def drop_test_database(url: str) -> None:
    name = url.split("?")[0].rsplit("/", 1)[1]
    connection = await asyncpg.connect(asyncpg_dsn(server_url("postgres")))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


async def truncate_all(url: str, attempts: int = 5) -> None:
    """Empty every service table (not the alembic version tables) between tests.

    The session's e2e processes keep writing in the background (outbox sequencing, feed cursors,
    jobs); TRUNCATE locks every table, one after the other, so it can deadlock with one of their
    transactions. PostgreSQL then aborts one side; when it is this one, try again.
    """
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        tables = await connection.fetch(
            "SELECT format('%I.%I', schemaname, tablename) AS name FROM pg_tables "
            "WHERE schemaname = ANY($1::text[]) AND tablename <> 'alembic_version'",
            list(PLATFORM_SCHEMAS),
        )
        if not tables:
            return
        for attempt in range(attempts):
            try:
                await connection.execute("TRUNCATE " + ", ".join(row["name"] for row in tables) + " CASCADE")
                return
            except asyncpg.DeadlockDetectedError:
                if attempt == attempts - 1:
                    raise
                await asyncio.sleep(0.1 * (attempt + 1))
    finally:
        await connection.close()


async def row_count(url: str, table: str) -> int:
    """`SELECT count(*)` of `table` (schema-qualified) on a connection of its own."""
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        return int(await connection.fetchval(f"SELECT count(*) FROM {table}"))
    finally:
        await connection.close()


def settings_for(url: str) -> PlatformSettings:
    return PlatformSettings(database_url=url, environment="test")
