"""Every log line written while a request is handled carries its request and trace ids; none after."""

from __future__ import annotations

import httpx
import structlog
from starlette.types import Receive, Scope, Send

from shared.observability import RequestContextMiddleware, configure_logging
from tests.support.logs import json_logs, log_lines

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


async def test_a_service_request_s_log_lines_carry_its_ids() -> None:
    with json_logs() as out:
        configure_logging("INFO")
        inside = structlog.get_logger("test.inside")

        async def handler(scope: Scope, receive: Receive, send: Send) -> None:
            inside.warning("handling")
            await send({"type": "http.response.start", "status": 204, "headers": []})
            await send({"type": "http.response.body", "body": b""})

        app = RequestContextMiddleware(handler, service="test")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service.test") as client:
            traced = await client.get(
                "/things", headers={"X-Request-ID": "ctx-1", "traceparent": f"00-{TRACE}-00f067aa0ba902b7-01"}
            )
            inside.warning("between_requests")
            fresh = await client.get("/things")

    handling, access = log_lines(out, "handling"), log_lines(out, "request")
    ids = [(line["request_id"], line["trace_id"]) for line in handling]
    assert ids == [(line["request_id"], line["trace_id"]) for line in access]  # the access lines agree
    assert ids[0] == ("ctx-1", TRACE) and traced.headers["x-request-id"] == "ctx-1"
    assert ids[1][0] == fresh.headers["x-request-id"] and len(ids[1][1]) == 32 and ids[1][1] != TRACE
    between = log_lines(out, "between_requests")[0]
    assert "request_id" not in between and "trace_id" not in between
