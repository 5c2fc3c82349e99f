"""A pytest plugin for showing that a race test depends on its database constraint.

`SCRATCH_SQL="ALTER TABLE ... DROP CONSTRAINT ..." pytest -p tests.support.scratch_sql TEST` runs the
statements on the run's freshly migrated database before any test (the database is dropped at the
end of the run, so nothing outlives it). Without `SCRATCH_SQL` the plugin does nothing. The evidence
it produced is in docs/testing.md ("Races fail without their constraint").
"""

from __future__ import annotations

import asyncio
import os

import asyncpg
import pytest

from tools.devdb import asyncpg_dsn


async def _execute(url: str, sql: str) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@pytest.fixture(scope="session", autouse=True)
def scratch_sql(database_url: str) -> None:
    """Run `SCRATCH_SQL` once on this run's database, before the first test (and any platform process)."""
    sql = os.environ.get("SCRATCH_SQL", "").strip()
    if sql:
        asyncio.run(_execute(database_url, sql))
