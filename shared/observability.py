"""Request ids, W3C trace context, JSON logs without secrets, RED metrics, body-size limit.

All of it is one pure ASGI middleware (no `BaseHTTPMiddleware`), shared by services and gateway.
"""

from __future__ import annotations

import logging
import random
import re
import sys
import time
from collections.abc import MutableMapping
from contextvars import ContextVar, Token
from typing import Any

import structlog
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.errors import body_too_large, problem_response
from shared.i18n import negotiate_language

MAX_BODY_BYTES = 1024 * 1024
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._\-]{1,128}$")
_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
_SENSITIVE = re.compile(r"(phone|password|secret|token|authorization|api_key|id_number|signature|cookie)", re.I)

_READ_HEADERS = frozenset({b"x-request-id", b"traceparent", b"accept-language", b"content-length"})
_QUIET_ROUTES = frozenset({"/healthz", "/readyz", "/metrics", "/internal/events"})

HTTP_REQUESTS = Counter("http_requests_total", "HTTP requests handled", ["service", "method", "route", "status"])
HTTP_DURATION = Histogram(
    "http_request_duration_seconds",
    "HTTP request latency",
    ["service", "method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


# The ids of the request being handled, added to every log line written while handling it.
# One ContextVar set and reset per request: structlog's bind/clear walks a copy of the context.
_REQUEST_IDS: ContextVar[tuple[str, str] | None] = ContextVar("request_ids", default=None)


def enter_request(request_id: str, trace_id: str) -> Token[tuple[str, str] | None]:
    """Log lines written from now on in this context carry these ids; `leave_request` undoes it."""
    return _REQUEST_IDS.set((request_id, trace_id))


def leave_request(token: Token[tuple[str, str] | None]) -> None:
    _REQUEST_IDS.reset(token)


def _add_request_ids(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    ids = _REQUEST_IDS.get()
    if ids is not None:
        event.setdefault("request_id", ids[0])
        event.setdefault("trace_id", ids[1])
    return event


def _redact(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in list(event):
        if _SENSITIVE.search(key):
            event[key] = "[redacted]"
    return event


def configure_logging(level: str = "INFO", json: bool = True) -> None:
    """structlog to stdout as JSON lines, with request/trace ids from context and secrets redacted."""
    renderer: Any = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            _add_request_ids,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _redact,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(sys.stdout),
        cache_logger_on_first_use=True,
    )
    # httpx logs each request's URL at INFO, query string and all: WeChat's `secret` and `js_code`
    # travel there. Whatever level a deployment gives the root logger, these stay at warnings.
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)


# Request, trace and span ids need to be unique, not secret: a per-process generator seeded from
# the OS (`random.Random()` is) costs no system call per request, unlike `secrets`.
_IDS = random.Random()


def random_hex(digits: int) -> str:
    """`digits` random lowercase hex digits (never all zero, which W3C trace context forbids)."""
    return f"{_IDS.getrandbits(digits * 4) or 1:0{digits}x}"


def request_ids(request_id: bytes | None, traceparent: bytes | None) -> tuple[str, str]:
    """(request_id, trace_id): the caller's when well formed, fresh ones otherwise."""
    raw_id = request_id.decode("latin-1") if request_id else ""
    match = _TRACEPARENT.match(traceparent.decode("latin-1")) if traceparent else None
    trace_id = match.group(1) if match and match.group(1) != "0" * 32 else random_hex(32)
    return (raw_id if _REQUEST_ID.match(raw_id) else random_hex(32)), trace_id


def route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    return str(path) if path else "unmatched"


class RequestMetrics:
    """The RED metrics of one process's requests: `http_requests_total` and the latency histogram."""

    def __init__(self, service: str) -> None:
        self.service = service
        # (method, route, status) -> the metric children; `labels()` takes a lock on every call
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def record(self, method: str, route: str, status: int, elapsed: float) -> None:
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            children = (
                HTTP_REQUESTS.labels(self.service, method, route, str(status)),
                HTTP_DURATION.labels(self.service, method, route),
            )
            if len(self._children) < 10_000:  # routes are templates, so this stays small
                self._children[key] = children
        children[0].inc()
        children[1].observe(elapsed)


class OpenRequest:
    """One request between `RequestContext.begin` and `RequestContext.end`."""

    __slots__ = ("request_id", "trace_id", "started", "_token")

    def __init__(self, request_id: str, trace_id: str, token: Token[tuple[str, str] | None]) -> None:
        self.request_id = request_id
        self.trace_id = trace_id
        self.started = time.perf_counter()
        self._token = token


class RequestContext:
    """The request context of one process: request and trace ids bound to every log line, the RED
    metrics and the access log line. `RequestContextMiddleware` is it as an ASGI layer; the
    gateway's proxied path calls it inline (a middleware layer there cost ~15% of its throughput)."""

    def __init__(self, service: str) -> None:
        self.logger = structlog.get_logger("access")
        self.metrics = RequestMetrics(service)

    def begin(self, request_id: bytes | None, traceparent: bytes | None) -> OpenRequest:
        """The caller's ids when well formed (fresh ones otherwise), bound to log lines from now on."""
        ids = request_ids(request_id, traceparent)
        return OpenRequest(*ids, enter_request(*ids))

    def end(self, request: OpenRequest, method: str, route: str, status: int) -> None:
        """Record the metrics and the access log line, and unbind the ids."""
        elapsed = time.perf_counter() - request.started
        self.metrics.record(method, route, status, elapsed)
        # Probes and feed polls arrive every second; log them only when they fail.
        log = self.logger.debug if route in _QUIET_ROUTES and status < 400 else self.logger.info
        log("request", method=method, route=route, status=status, duration_ms=round(elapsed * 1000, 2))
        leave_request(request._token)


class RequestContextMiddleware:
    """Binds request/trace ids, echoes `X-Request-ID`, enforces the body limit, records metrics."""

    def __init__(
        self,
        app: ASGIApp,
        service: str,
        max_body: int = MAX_BODY_BYTES,
        large_bodies: tuple[tuple[str, int], ...] = (),
    ) -> None:
        self.app = app
        self.max_body = max_body
        # (path prefix, limit): the signed upload paths take files up to the attachment limit
        self.large_bodies = large_bodies
        self.context = RequestContext(service)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        wanted: dict[bytes, bytes] = {}
        for name, value in scope["headers"]:  # one pass, only the four headers this layer reads
            if name in _READ_HEADERS:
                wanted[name] = value
        request = self.context.begin(wanted.get(b"x-request-id"), wanted.get(b"traceparent"))
        request_id, trace_id = request.request_id, request.trace_id
        # A copy: the lifespan state dict may be shared by every request (asgi-lifespan does so).
        scope["state"] = {**scope.get("state", {}), "request_id": request_id, "trace_id": trace_id}
        status = 500
        language = wanted.get(b"accept-language", b"").decode("latin-1")

        received = 0
        max_body = self.max_body
        if self.large_bodies:
            path: str = scope["path"]
            max_body = next((limit for prefix, limit in self.large_bodies if path.startswith(prefix)), max_body)

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_body:
                    raise _BodyTooLarge()
            return message

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            declared = wanted.get(b"content-length")
            if declared is not None and declared.isdigit() and int(declared) > max_body:
                status = 413
                await self._too_large(scope, receive, send, language, trace_id, request_id)
                return
            await self.app(scope, limited_receive, send_with_id)
        except _BodyTooLarge:
            await self._too_large(scope, receive, send, language, trace_id, request_id)
            status = 413
        finally:
            self.context.end(request, scope["method"], route_template(scope), status)

    async def _too_large(
        self, scope: Scope, receive: Receive, send: Send, accept_language: str, trace_id: str, request_id: str
    ) -> None:
        response = problem_response(body_too_large(), negotiate_language(accept_language), trace_id)
        response.headers["x-request-id"] = request_id
        response.headers["connection"] = "close"
        await response(scope, receive, send)


class _BodyTooLarge(HTTPException):
    """An HTTPException, so FastAPI's body reader passes it on (anything else it turns into a 400)
    and the app's handler answers the 413; outside an app, `__call__` answers it."""

    def __init__(self) -> None:
        super().__init__(413)


def metrics_payload() -> tuple[bytes, str]:
    return generate_latest(), CONTENT_TYPE_LATEST
