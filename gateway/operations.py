"""The gateway's operational routes: health, readiness of every upstream, metrics, docs."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
from fastapi import APIRouter, Request, Response
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from sqlalchemy import text

from shared.jsonutil import dumps
from shared.observability import metrics_payload

if TYPE_CHECKING:
    from gateway.app import Gateway
    from gateway.proxy import Upstream

STATIC_DIR = Path(__file__).parent / "static"
router = APIRouter(include_in_schema=False)


def _gateway(request: Request) -> Gateway:
    gateway: Gateway = request.app.state.gateway
    return gateway


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Always ok while the process runs."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> Response:
    """Ok when the gateway's database and every upstream's `/readyz` (one replica of each at least) answer; else 503."""
    gateway = _gateway(request)

    async def database() -> str:
        try:
            async with asyncio.timeout(2), gateway.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception:
            return "unavailable"
        return "ok"

    async def replica(url: str, circuit: str) -> dict[str, Any]:
        report: dict[str, Any] = {"url": url, "circuit": circuit}
        try:
            async with gateway.http.get(url + "/readyz", timeout=aiohttp.ClientTimeout(total=2)) as answer:
                report["status"] = "ok" if answer.status == 200 else f"http {answer.status}"
                if answer.status == 200:  # an upstream's warnings (e.g. the working calendar) pass through
                    warnings = (await answer.json(content_type=None)).get("warnings")
                    if warnings:
                        report["warnings"] = warnings
        except (aiohttp.ClientError, TimeoutError) as exc:
            report["status"] = "unreachable"
            report["error"] = type(exc).__name__
        return report

    async def upstream(name: str, item: Upstream) -> tuple[str, dict[str, Any]]:
        """One URL: its report. Several replicas: ok while one of them is, each one's report listed."""
        reports = await asyncio.gather(*(replica(r.base_url, str(r.breaker.state)) for r in item.replicas))
        if len(reports) == 1:
            return name, reports[0]
        healthy = any(report["status"] == "ok" for report in reports)
        return name, {"status": "ok" if healthy else reports[0]["status"], "replicas": reports}

    database_status, *reports = await asyncio.gather(
        database(), *(upstream(name, item) for name, item in gateway.upstreams.items())
    )
    upstreams = dict(reports)
    ready = database_status == "ok" and all(report["status"] == "ok" for report in upstreams.values())
    body = {"status": "ok" if ready else "unavailable", "database": database_status, "upstreams": upstreams}
    return Response(dumps(body), status_code=200 if ready else 503, media_type="application/json")


@router.get("/metrics")
async def metrics() -> Response:
    body, content_type = metrics_payload()
    return Response(body, media_type=content_type)


@router.get("/openapi.json")
async def openapi(request: Request) -> JSONResponse:
    """Every service's public API in one document."""
    gateway = _gateway(request)
    return JSONResponse(await gateway.openapi.document(gateway.http))


@router.get("/docs")
async def swagger_ui() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="Binjiang platform API",
        swagger_js_url="/docs/static/swagger-ui-bundle.js",
        swagger_css_url="/docs/static/swagger-ui.css",
        swagger_favicon_url="/docs/static/favicon.png",
        swagger_ui_parameters={"persistAuthorization": True},
    )


@router.get("/redoc")
async def redoc() -> HTMLResponse:
    return get_redoc_html(
        openapi_url="/openapi.json",
        title="Binjiang platform API",
        redoc_js_url="/docs/static/redoc.standalone.js",
        redoc_favicon_url="/docs/static/favicon.png",
        with_google_fonts=False,
    )
