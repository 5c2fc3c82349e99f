"""A small raw asyncpg pool for the submission hot path, opened and closed with the app.

A submission without an `Idempotency-Key` is one autocommitted statement, so it needs no
SQLAlchemy session, no BEGIN and no COMMIT round trip.
"""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import structlog
from fastapi import FastAPI, Request

logger = structlog.get_logger("service_requests.hot_path")


async def hot_path_pool(app: FastAPI) -> None:
    """Background task: open the pool, publish it on `app.state`, close it at shutdown."""
    size: int = app.state.settings.hot_path_pool_size
    if size <= 0:
        return
    dsn = app.state.settings.async_database_url.replace("postgresql+asyncpg://", "postgresql://", 1)
    try:
        pool = await asyncpg.create_pool(
            dsn, min_size=1, max_size=size, server_settings={"timezone": "UTC"}, reset=_keep_session
        )
    except Exception as exc:  # the session path still works without it
        logger.warning("hot_path_pool_failed", error_type=type(exc).__name__)
        return
    app.state.hot_path_pool = pool
    try:
        await asyncio.Event().wait()
    finally:
        app.state.hot_path_pool = None
        await pool.close()


async def _keep_session(connection: Any) -> None:
    """Skip asyncpg's RESET ALL round trip on release: the hot path never changes session state
    (asyncpg still rolls back a transaction left open, locally checked)."""


def pool_of(request: Request) -> Any:
    """The hot-path pool when it is open, else None (callers then use the session)."""
    return getattr(request.app.state, "hot_path_pool", None)
