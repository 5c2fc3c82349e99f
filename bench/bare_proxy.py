"""A reference for the gateway bench: the barest raw-ASGI proxy with one aiohttp session.

This is the architecture the gateway is built on (docs/architecture.md, "Performance facts") with none of its work: no
authentication, rate limiting, identity token, request ids, trace context, metrics, logs,
timeouts, breaker, body limit or header hygiene. It forwards the caller's headers as they are
(the bench sends it the internal token, as it does the service directly) and buffers the answer.
Measured in the same run as the gateway, it shows what this stack costs before any feature.
Never deploy it: `uvicorn bench.bare_proxy:create_app --factory` with `BARE_PROXY_UPSTREAM` set.
"""

from __future__ import annotations

import os

import aiohttp
from starlette.types import Receive, Scope, Send
from yarl import URL

_DROPPED = frozenset({b"date", b"server", b"connection", b"transfer-encoding", b"keep-alive"})


class BareProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.session: aiohttp.ClientSession | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        assert self.session is not None
        query = scope["query_string"].decode("latin-1")
        url = URL(self.upstream + scope["raw_path"].decode("latin-1") + (f"?{query}" if query else ""), encoded=True)
        headers = [
            (name.decode("latin-1"), value.decode("latin-1")) for name, value in scope["headers"] if name != b"host"
        ]
        async with self.session.request(scope["method"], url, headers=headers, allow_redirects=False) as response:
            out = [(name.lower(), value) for name, value in response.raw_headers if name.lower() not in _DROPPED]
            await send({"type": "http.response.start", "status": response.status, "headers": out})
            await send({"type": "http.response.body", "body": await response.read()})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        await receive()
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=512),
            auto_decompress=False,
            skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding", "Content-Type"),
            cookie_jar=aiohttp.DummyCookieJar(),
        )
        await send({"type": "lifespan.startup.complete"})
        await receive()
        await self.session.close()
        await send({"type": "lifespan.shutdown.complete"})


def create_app() -> BareProxy:
    return BareProxy(os.environ["BARE_PROXY_UPSTREAM"])
