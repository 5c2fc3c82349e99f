"""`/healthz` (the process is alive), `/readyz` (its database answers) and `/metrics`."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

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
async def readyz(request: Request) -> dict[str, Any]:
    """Ok when `SELECT 1` succeeds within two seconds; a service's `warnings` do not make it unready."""
    try:
        async with asyncio.timeout(2):
            async with request.app.state.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
    except Exception as exc:
        raise DatabaseUnavailable(
            Text("数据库不可用", "The database is not reachable"),
            headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
        ) from exc
    body: dict[str, Any] = {"status": "ok", "database": "ok"}
    check = getattr(request.app.state, "readiness_warnings", None)  # async (session, today) -> [warning]
    if check is not None:
        async with request.app.state.sessionmaker() as session:
            warnings = await check(session, dt.datetime.now(_SHANGHAI).date())
        if warnings:
            body["warnings"] = warnings
    return body


_SHANGHAI = ZoneInfo("Asia/Shanghai")


@router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
async def metrics() -> Response:
    body, content_type = metrics_payload()
    return Response(body, media_type=content_type)
