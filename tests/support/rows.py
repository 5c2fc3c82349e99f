"""Read rows straight from the database on a connection of their own, to check what a race left."""

from __future__ import annotations

from typing import Any

import asyncpg

from tools.devdb import asyncpg_dsn


async def rows(url: str, sql: str, *args: Any) -> list[dict[str, Any]]:
    """The rows of one query, as plain dicts."""
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        return [dict(record) for record in await connection.fetch(sql, *args)]
    finally:
        await connection.close()
