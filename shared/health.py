"""`/healthz` (the process is alive), `/readyz` (its database answers) and `/metrics`."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request, Response
from sqlalchemy import text

from shared.errors import DATABASE_RETRY_AFTER_SECONDS, DatabaseUnavailable
from shared.i18n import Text
from shared.observability import metrics_payload

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="Liveness: the process answers")
async def healthz() -> dict[str, str]:
    """Always ok while the process runs."""
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness: the database answers", responses={503: {"description": "Not ready"}})
async def readyz(request: Request) -> dict[str, str]:
    """Ok when `SELECT 1` succeeds within two seconds."""
    try:
        async with asyncio.timeout(2):
            async with request.app.state.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
    except Exception as exc:
        raise DatabaseUnavailable(
            Text("数据库不可用", "The database is not reachable"),
            headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
        ) from exc
    return {"status": "ok", "database": "ok"}


@router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
async def metrics() -> Response:
    body, content_type = metrics_payload()
    return Response(body, media_type=content_type)
