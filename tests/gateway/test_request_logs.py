"""The gateway's proxied path keeps its own request context: its access line carries the ids."""

from __future__ import annotations

import httpx
import structlog
from asgi_lifespan import LifespanManager

from gateway.app import create_app
from gateway.devkeys import DevKeys
from gateway.settings import Settings
from tests.support.harness import free_port
from tests.support.identities import TEST_SECRET
from tests.support.logs import json_logs, log_lines

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


async def test_a_proxied_request_s_access_line_carries_its_ids(database_url: str, gateway_keys: DevKeys) -> None:
    settings = Settings(
        database_url=database_url,
        environment="test",
        internal_token_secret=TEST_SECRET,
        jwt_public_key_file=gateway_keys.public_key,
        upstreams={"registry": f"http://127.0.0.1:{free_port()}"},
        log_level="INFO",
    )
    traced = {"X-Request-ID": "ctx-1", "traceparent": f"00-{TRACE}-00f067aa0ba902b7-01"}
    with json_logs() as out:
        async with LifespanManager(create_app(settings)) as manager:
            transport = httpx.ASGITransport(app=manager.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client:
                refused = await client.get("/v1/communities/about", headers=traced)  # no token: 401
                structlog.get_logger("test.after").warning("after_request")

    assert refused.status_code == 401 and refused.headers["x-request-id"] == "ctx-1"
    assert refused.json()["trace_id"] == TRACE
    [access] = log_lines(out, "request")
    assert (access["request_id"], access["trace_id"]) == ("ctx-1", TRACE)
    assert (access["route"], access["status"]) == ("/v1/communities/*", 401)
    assert "request_id" not in log_lines(out, "after_request")[0]
