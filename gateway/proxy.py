"""The proxy hop: raw ASGI in, one shared aiohttp session out, bodies streamed both ways."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

import aiohttp
import structlog
from prometheus_client import Counter
from starlette.types import Receive, Scope, Send
from yarl import URL

from gateway.bodies import read_body
from gateway.breaker import CircuitBreaker
from shared.errors import ProblemError, ServiceUnavailable, body_too_large
from shared.i18n import Text
from shared.observability import random_hex

logger = structlog.get_logger("gateway.proxy")

UPSTREAM_FAILURES = Counter("gateway_upstream_failures_total", "Upstream calls that failed", ["upstream", "reason"])

HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"trailers",
        b"transfer-encoding",
        b"upgrade",
    }
)
# Identity must come from the gateway only: whatever a client claims about itself is dropped.
IDENTITY_HEADERS = frozenset(
    {
        b"x-platform-identity",
        b"x-identity",
        b"x-user",
        b"x-user-id",
        b"x-forwarded-user",
        b"x-remote-user",
        b"remote-user",
        b"x-consumer-id",
        b"x-consumer-username",
        b"x-authenticated-userid",
    }
)
DROPPED_REQUEST = HOP_BY_HOP | IDENTITY_HEADERS | {b"host", b"authorization", b"x-request-id", b"traceparent"}
# uvicorn and the request-context middleware write these themselves.
DROPPED_RESPONSE = HOP_BY_HOP | {b"date", b"server", b"x-request-id"}
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
_BUFFER_LIMIT = 64 * 1024


class UpstreamUnavailable(ServiceUnavailable):
    code = "UPSTREAM_UNAVAILABLE"
    title = Text("后端服务暂不可用", "The service behind this route is unavailable")


class UpstreamTimeout(ProblemError):
    status = 504
    code = "UPSTREAM_TIMEOUT"
    title = Text("后端服务响应超时", "The service behind this route did not answer in time")


class Replica:
    """One URL of a service and the breaker that guards that URL alone."""

    def __init__(self, base_url: str, breaker: CircuitBreaker) -> None:
        self.base_url = base_url.rstrip("/")
        self.breaker = breaker


class Upstream:
    """One service behind the gateway: one URL (a Kubernetes Service) or several replicas' URLs.

    Several are used in turn, one request each; a replica whose breaker is open is passed over,
    and only when every replica's breaker refuses is the request answered 503.
    """

    def __init__(self, name: str, replicas: Sequence[Replica]) -> None:
        if not replicas:
            raise ValueError(f"upstream {name} has no URL")
        self.name = name
        self.replicas = tuple(replicas)
        self._next = 0

    @property
    def base_url(self) -> str:
        """The first replica's URL (where the OpenAPI document is read)."""
        return self.replicas[0].base_url

    def pick(self) -> Replica:
        """The next replica in turn whose breaker lets a request through; 503 when none does."""
        count = len(self.replicas)
        start = self._next
        self._next = (start + 1) % count
        for offset in range(count):
            replica = self.replicas[(start + offset) % count]
            if replica.breaker.allow():
                return replica
        retry_after = min(replica.breaker.retry_after() for replica in self.replicas)
        raise UpstreamUnavailable(
            Text(f"{self.name} 暂不可用", f"{self.name} is unavailable; retry shortly"),
            headers={"Retry-After": str(retry_after)},
        )


def strip_identity(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """The client's headers without any identity header (for the gateway's own routes)."""
    return [(name, value) for name, value in headers if name.lower() not in IDENTITY_HEADERS]


_READ_OR_DROPPED = DROPPED_REQUEST | {b"accept-language", b"content-length"}


class RequestHead:
    """What the gateway needs from a request's headers, read in one pass, and the headers it passes on.

    Passed on: every header but hop-by-hop ones (including those `Connection` names), identity
    headers, `Host`, `Authorization`, `X-Request-ID`, `traceparent` and any `X-Forwarded-*`;
    `forwarded()` adds the gateway's own.
    """

    __slots__ = ("authorization", "request_id", "traceparent", "language", "host", "content_length", "chunked", "kept")

    def __init__(self, raw: list[tuple[bytes, bytes]]) -> None:
        self.authorization: str | None = None
        self.request_id: bytes | None = None
        self.traceparent: bytes | None = None
        self.language: str | None = None
        self.host: str | None = None
        self.content_length: int | None = None
        self.chunked = False
        kept: list[tuple[str, str]] = []
        named: set[bytes] = set()
        for name, value in raw:
            if name in _READ_OR_DROPPED:
                if name == b"authorization":
                    self.authorization = self.authorization or value.decode("latin-1")
                elif name == b"x-request-id":
                    self.request_id = value
                elif name == b"traceparent":
                    self.traceparent = value
                elif name == b"host":
                    self.host = value.decode("latin-1")
                elif name == b"transfer-encoding":
                    self.chunked = True
                elif name == b"connection":
                    named.update(token.strip().lower() for token in value.split(b","))
                elif name == b"accept-language":
                    self.language = value.decode("latin-1")
                    kept.append(("accept-language", self.language))
                elif name == b"content-length":
                    self.content_length = int(value) if value.isdigit() else None
                    kept.append(("content-length", value.decode("latin-1")))
            elif not name.startswith(b"x-forwarded-"):
                kept.append((name.decode("latin-1"), value.decode("latin-1")))
        named -= {b"close", b"keep-alive"}
        self.kept = [pair for pair in kept if pair[0].encode("latin-1") not in named] if named else kept

    @property
    def has_body(self) -> bool:
        return self.chunked if self.content_length is None else self.content_length > 0

    def traceparent_for(self, trace_id: str) -> str:
        """A child span of the caller's trace (or of the trace the gateway started)."""
        flags = "01"
        if self.traceparent is not None and len(self.traceparent) == 55:
            flags = self.traceparent[-2:].decode("latin-1")
        return f"00-{trace_id}-{random_hex(16)}-{flags}"

    def forwarded(
        self, scope: Scope, internal_token: str | None, request_id: str, trace_id: str
    ) -> list[tuple[str, str]]:
        """The headers sent upstream: the client's kept ones and the gateway's (no identity for an anonymous read)."""
        headers = [
            *self.kept,
            ("X-Request-ID", request_id),
            ("traceparent", self.traceparent_for(trace_id)),
            ("X-Forwarded-Proto", scope.get("scheme", "http")),
        ]
        if internal_token is not None:
            headers.append(("X-Platform-Identity", internal_token))
        client = scope.get("client")
        if client:
            headers.append(("X-Forwarded-For", client[0]))
        if self.host:
            headers.append(("X-Forwarded-Host", self.host))
        return headers


class _BodyState:
    too_large = False


class _TooLarge(Exception):
    pass


async def _stream_body(receive: Receive, limit: int, state: _BodyState) -> AsyncIterator[bytes]:
    size = 0
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            state.too_large = True
            raise _TooLarge
        if chunk:
            yield chunk
        more = message.get("more_body", False)


async def forward(
    session: aiohttp.ClientSession,
    upstream: Upstream,
    scope: Scope,
    receive: Receive,
    send: Send,
    head: RequestHead,
    headers: list[tuple[str, str]],
    *,
    retries: int,
    max_body: int,
    request_id: str,
) -> int:
    """Send the request to the next replica of `upstream`, stream its answer back with `X-Request-ID`; its status.

    Raises a problem before any byte is sent.
    """
    replica = upstream.pick()
    method: str = scope["method"]
    raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
    query: bytes = scope["query_string"]
    target = replica.base_url + raw_path.decode("latin-1") + ("?" + query.decode("latin-1") if query else "")
    url = URL(target, encoded=True)

    declared = head.content_length
    body_state = _BodyState()
    data: Any = None
    if head.has_body:
        if declared is not None and declared <= _BUFFER_LIMIT:
            data = await read_body(receive, max_body)
        else:
            data = _stream_body(receive, max_body, body_state)
    attempts = 1 + (retries if method in IDEMPOTENT and not hasattr(data, "__aiter__") else 0)

    response: aiohttp.ClientResponse | None = None
    for attempt in range(attempts):
        try:
            response = await session.request(method, url, headers=headers, data=data, allow_redirects=False)
            break
        except TimeoutError as exc:
            replica.breaker.record_failure()
            UPSTREAM_FAILURES.labels(upstream.name, "timeout").inc()
            raise UpstreamTimeout() from exc
        except aiohttp.ClientConnectionError as exc:
            if body_state.too_large:
                raise body_too_large() from exc
            if attempt + 1 < attempts:
                continue
            replica.breaker.record_failure()
            UPSTREAM_FAILURES.labels(upstream.name, "connection").inc()
            logger.warning(
                "upstream_unreachable",
                upstream=upstream.name,
                replica=replica.base_url,
                error_type=type(exc).__name__,
                request_id=request_id,
            )
            raise UpstreamUnavailable(
                Text(f"{upstream.name} 无法连接", f"{upstream.name} cannot be reached"), headers={"Retry-After": "1"}
            ) from exc
        except aiohttp.ClientError as exc:
            if body_state.too_large:
                raise body_too_large() from exc
            replica.breaker.record_failure()
            UPSTREAM_FAILURES.labels(upstream.name, "protocol").inc()
            raise UpstreamUnavailable() from exc
        except _TooLarge as exc:
            raise body_too_large() from exc
    assert response is not None
    replica.breaker.record_success()
    async with response:
        status = response.status
        connection = response.headers.get("Connection")
        dropped = DROPPED_RESPONSE
        if connection:
            dropped = dropped | {token.strip().lower().encode() for token in connection.split(",")}
        out = [(b"x-request-id", request_id.encode())]
        for name, value in response.raw_headers:
            lowered = name.lower()
            if lowered not in dropped:
                out.append((lowered, value))
        await send({"type": "http.response.start", "status": status, "headers": out})
        if method == "HEAD":
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return status
        length = response.content_length
        if length is not None and length <= _BUFFER_LIMIT:  # small and sized: one write instead of two
            await send({"type": "http.response.body", "body": await response.read(), "more_body": False})
            return status
        async for chunk in response.content.iter_any():
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
    return status
