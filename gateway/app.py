"""The gateway: a raw ASGI dispatcher in front of the four services (`gateway.app:create_app`).

Its own paths (partners, auth, docs, health) go to a small FastAPI app behind the shared
request-context middleware; everything else is authenticated, rate limited and proxied by path
prefix with one aiohttp session per process. A FastAPI route per proxied request would cost a
third of the throughput (docs/architecture.md, "Performance facts"), and the proxied path calls the
shared request context (`shared.observability.RequestContext`: ids, trace, metrics, access log)
inline for the same reason: as a middleware layer it cost ~15% of the gateway's throughput.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import structlog
from fastapi import Depends, FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Router
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway import open311
from gateway.authn import Authenticator, SignatureRefused
from gateway.bodies import ClientDisconnected, read_body, replay
from gateway.breaker import CircuitBreaker
from gateway.database import platform_tables, request_nonce
from gateway.identity.router import router as identity_router
from gateway.message_signatures import PartnerSigningKey, SignatureRejected, SqlNonceStore, verify_signed_request
from gateway.openapi import OpenApiMerger
from gateway.operations import STATIC_DIR
from gateway.operations import router as operations_router
from gateway.partners.exceptions import PartnerNameTaken, SigningKeyIdTaken, TooManyActiveKeys
from gateway.partners.router import router as partners_router
from gateway.proxy import Replica, RequestHead, Upstream, forward, strip_identity
from gateway.ratelimit import RateLimiter
from gateway.routing import (
    ANONYMOUS_PATHS,
    AUTHENTICATED_OWN_PREFIXES,
    OWN_PATHS,
    PUBLIC_OWN_PATHS,
    UPSTREAM_PREFIXES,
    signed_file_path,
    two_segments,
    unsafe_path,
)
from gateway.settings import Settings
from shared.app import NO_OPENTELEMETRY, document_roles
from shared.auth import Identity, InternalTokenVerifier
from shared.db import create_engine, create_sessionmaker
from shared.draining import DrainRefusedBody
from shared.errors import (
    ConstraintProblem,
    NotFound,
    ProblemError,
    body_too_large,
    install_problem_handlers,
    problem_response,
)
from shared.i18n import Text, negotiate_language
from shared.idempotency import expire_keys
from shared.nul import RefuseNul, query_items
from shared.nul import refusal as nul_refusal
from shared.observability import (
    RequestContext,
    RequestContextMiddleware,
    configure_logging,
)
from shared.query import refuse_unknown_query
from shared.runtime import settle_heap

logger = structlog.get_logger("gateway")

CONSTRAINT_PROBLEMS = {
    "uq_partner_name": ConstraintProblem(PartnerNameTaken, Text("合作方名称已存在", "Name taken"), "/name"),
    "uq_partner_signing_key_id": ConstraintProblem(
        SigningKeyIdTaken, Text("签名密钥标识已被使用", "Signing key id taken"), "/key_id"
    ),
    "uq_api_key_active_slot": ConstraintProblem(
        TooManyActiveKeys, Text("每个合作方最多两个有效密钥", "At most two active keys per partner")
    ),
}
_ROUTE_LABELS = {prefix: prefix + "/*" for prefixes in UPSTREAM_PREFIXES.values() for prefix in prefixes}


class PathNotFound(NotFound):
    code = "ROUTE_NOT_FOUND"
    title = Text("没有这个接口", "No such route")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


class Gateway:
    """Owns the per-process resources (engine, aiohttp session, limiter) and routes each request."""

    engine: AsyncEngine
    http: aiohttp.ClientSession
    limiter: RateLimiter
    nonces: SqlNonceStore

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.authenticator = Authenticator(settings)
        self.own = self._own_app()
        urls = settings.upstream_urls()
        self.openapi = OpenApiMerger(
            self.own.openapi, {name: replicas[0] for name, replicas in urls.items()}, settings.openapi_retry_seconds
        )
        self.upstreams = {
            name: Upstream(
                name,
                [
                    Replica(
                        url,
                        CircuitBreaker(
                            name if len(replicas) == 1 else f"{name} {url}",
                            settings.breaker_failure_threshold,
                            settings.breaker_open_seconds,
                            on_recovered=functools.partial(self.openapi.invalidate, name),
                        ),
                    )
                    for url in replicas
                ],
            )
            for name, replicas in urls.items()
        }
        self.proxied = {
            prefix: self.upstreams[name]
            for name, prefixes in UPSTREAM_PREFIXES.items()
            if name in self.upstreams
            for prefix in prefixes
        }
        self.own_routes = RequestContextMiddleware(
            RefuseNul(self._own), service="gateway", max_body=settings.max_body_bytes
        )
        self._lifespan_protocol = Router(lifespan=lambda _: self.lifespan())
        self.context = RequestContext("gateway")

    def _own_app(self) -> FastAPI:
        app = FastAPI(
            title="Gateway",
            description="Partners, API keys and the caller's identity.",
            version="0.1.0",
            openapi_url=None,
            docs_url=None,
            redoc_url=None,
            telemetry=NO_OPENTELEMETRY,
            dependencies=[Depends(refuse_unknown_query)],
        )
        app.state.settings = self.settings
        app.state.service_name = "gateway"
        app.state.gateway = self
        app.state.authenticator = self.authenticator
        app.state.token_verifier = InternalTokenVerifier(self.settings.internal_token_secret.get_secret_value())
        install_problem_handlers(app, CONSTRAINT_PROBLEMS)
        app.include_router(operations_router)
        app.include_router(identity_router)
        app.include_router(partners_router)
        app.mount("/docs/static", StaticFiles(directory=STATIC_DIR), name="docs-static")
        document_roles(app)
        return app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            prefix = two_segments(path)
            upstream = self.proxied.get(prefix)
            if upstream is not None and path not in OWN_PATHS and not unsafe_path(path):
                await self._proxy(scope, receive, send, upstream, prefix)
            else:
                await self.own_routes(scope, receive, send)
        elif scope["type"] == "lifespan":  # Starlette speaks the ASGI lifespan protocol for `lifespan()`
            await self._lifespan_protocol.lifespan(scope, receive, send)
        else:  # websockets are not part of the public API
            await receive()
            await send({"type": "websocket.close", "code": 1008})

    async def _own(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The gateway's own paths, and the answer to any path no upstream owns."""
        try:
            await self._own_http(scope, receive, send)
        except ClientDisconnected:
            return
        except ProblemError as error:
            language = negotiate_language(_header(scope, b"accept-language"))
            trace_id = (scope.get("state") or {}).get("trace_id")
            await problem_response(error, language, trace_id)(scope, receive, send)

    async def _own_http(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        if path in PUBLIC_OWN_PATHS or path.startswith("/docs/static/"):
            await self.own(scope, receive, send)
            return
        if unsafe_path(path) or (two_segments(path) not in AUTHENTICATED_OWN_PREFIXES and path not in OWN_PATHS):
            raise PathNotFound()  # includes /internal/*: never reachable from outside
        headers = strip_identity(scope["headers"])
        authorization = _header(scope, b"authorization")
        if authorization:
            identity, signing_key = await self.authenticator.credentials(authorization)
            await self.limiter.check(identity)
            if signing_key is not None:
                receive = await self._verified_body(scope, receive, signing_key)
            headers.append((b"x-platform-identity", self.authenticator.internal_token(identity).encode()))
        scope["headers"] = headers
        await self.own(scope, receive, send)

    async def _proxy(self, scope: Scope, receive: Receive, send: Send, upstream: Upstream, prefix: str) -> None:
        """A proxied request in the shared request context (`RequestContext`, called inline)."""
        head = RequestHead(scope["headers"])
        request = self.context.begin(head.request_id, head.traceparent)
        request_id, trace_id = request.request_id, request.trace_id
        status = 500
        try:
            status = await self._admit_and_forward(scope, receive, send, upstream, head, request_id, trace_id)
        except ClientDisconnected:
            return
        except ProblemError as error:
            language = negotiate_language(head.language)
            if scope["path"].startswith(open311.PREFIX):
                response = open311.error_response(error, scope["path"], language)
            else:
                response = problem_response(error, language, trace_id)
            status = response.status_code
            response.headers["x-request-id"] = request_id
            if status == 413:  # the rest of the body is not read: the connection cannot be reused
                response.headers["connection"] = "close"
            await response(scope, receive, send)
        finally:
            self.context.end(request, scope["method"], _ROUTE_LABELS[prefix], status)

    async def _admit_and_forward(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        upstream: Upstream,
        head: RequestHead,
        request_id: str,
        trace_id: str,
    ) -> int:
        """Size limit, credentials, rate limit and signature, then the upstream call; returns its status."""
        signed_file = signed_file_path(scope["path"])
        max_body = self.settings.signed_upload_max_body_bytes if signed_file else self.settings.max_body_bytes
        if head.content_length is not None and head.content_length > max_body:
            raise body_too_large()
        # The service refuses a NUL too; here it also keeps one out of an Open311 `api_key` lookup.
        if nul_items := query_items(scope["query_string"], negotiate_language(head.language)):
            raise nul_refusal(nul_items)
        authorization = head.authorization
        key_in_parameters = False
        anonymous = None
        if scope["path"] in ANONYMOUS_PATHS or signed_file:  # the body or the signed path holds the credential
            client = scope.get("client")
            anonymous = Identity(subject=f"anonymous:{client[0] if client else 'unknown'}", roles=frozenset())
        elif authorization is None and scope["path"].startswith(open311.PREFIX):
            authorization, receive = await open311.take_api_key(scope, receive, max_body)
            key_in_parameters = authorization is not None
            head = RequestHead(scope["headers"])  # a form body without `api_key` has a new length
            if authorization is None and (anonymous := open311.anonymous_reader(scope)) is None:
                raise open311.CredentialsRequired(
                    Text("请提供 api_key 或 Authorization", "Send an `api_key` or `Authorization: Bearer <token>`")
                )
        if anonymous is not None:  # an Open311 read without credentials: forwarded with no identity
            identity, signing_key, internal_token = anonymous, None, None
        else:
            identity, signing_key = await self.authenticator.credentials(authorization)
            internal_token = self.authenticator.internal_token(identity)
        await self.limiter.check(identity)
        if signing_key is not None:
            if key_in_parameters:  # removing `api_key` changed the signed query or body
                raise SignatureRefused(
                    Text("签名请求须在 Authorization 头中携带密钥", "Signed requests send the key in `Authorization`"),
                    extra={"reason": "signature_needs_authorization_header"},
                )
            receive = await self._verified_body(scope, receive, signing_key)
        forwarded = head.forwarded(scope, internal_token, request_id, trace_id)
        return await forward(
            self.http,
            upstream,
            scope,
            receive,
            send,
            head,
            forwarded,
            retries=self.settings.upstream_retries,
            max_body=max_body,
            request_id=request_id,
        )

    async def _verified_body(self, scope: Scope, receive: Receive, key: PartnerSigningKey) -> Receive:
        """Check the RFC 9421 signature, Content-Digest and nonce of a partner that must sign; 401 otherwise."""
        body = await read_body(receive, self.settings.max_body_bytes)
        host = _header(scope, b"host") or "gateway"
        raw_path = scope.get("raw_path") or scope["path"].encode()
        query = scope["query_string"]
        url = f"{scope['scheme']}://{host}{raw_path.decode('latin-1')}" + (
            f"?{query.decode('latin-1')}" if query else ""
        )
        headers = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in scope["headers"]]
        try:
            await verify_signed_request(
                method=scope["method"], url=url, headers=headers, body=body, key=key, nonces=self.nonces
            )
        except SignatureRejected as rejected:
            raise SignatureRefused(rejected.detail, extra={"reason": rejected.code}) from rejected
        return replay(body)

    async def _purge_nonces(self) -> None:
        """Forget nonces too old to be replayed (a stale signature is refused before its nonce is read)."""
        while True:
            await asyncio.sleep(self.settings.nonce_purge_seconds)
            try:
                await self.nonces.purge()
            except Exception:  # the next round retries; claims never depend on purging
                logger.warning("nonce_purge_failed", exc_info=True)

    @contextlib.asynccontextmanager
    async def lifespan(self) -> AsyncIterator[None]:
        """The gateway's one lifespan: it opens every long-lived resource of this process (the
        engine, the one aiohttp session, the rate limiter, the nonce store, the housekeeping
        tasks) and closes them in reverse order, as `create_service_app`'s lifespan does."""
        settings = self.settings
        async with contextlib.AsyncExitStack() as opened:
            self.engine = create_engine(settings.async_database_url, pool_size=5, max_overflow=5)
            opened.push_async_callback(self.engine.dispose)
            sessionmaker = create_sessionmaker(self.engine)
            # the own app's state holds the settings and the engine, as a service's does
            self.own.state.engine = self.engine
            self.own.state.sessionmaker = sessionmaker
            self.authenticator.sessionmaker = sessionmaker
            self.http = await opened.enter_async_context(_client_session(settings))
            self.limiter = RateLimiter(settings)
            self.nonces = SqlNonceStore(self.engine, request_nonce)
            if self.authenticator.key_set is not None:
                self.authenticator.key_set.http = self.http
            tasks = [
                asyncio.create_task(self._purge_nonces(), name="gateway-nonce-purge"),
                asyncio.create_task(expire_keys(platform_tables.idempotency_key)(self.own), name="gateway-key-expiry"),
            ]
            deny_list = self.authenticator.deny_list
            if deny_list is not None:
                deny_list.http = self.http
                tasks.append(asyncio.create_task(deny_list.run(), name="gateway-deny-list"))
            opened.push_async_callback(_cancel, tasks)
            settle_heap()
            yield


def _client_session(settings: Settings) -> aiohttp.ClientSession:
    """The one aiohttp session of the process, for every proxied request."""
    return aiohttp.ClientSession(
        # Below uvicorn's 5 s keep-alive, so an idle connection is dropped here before the service drops it.
        connector=aiohttp.TCPConnector(limit=512, keepalive_timeout=4, ttl_dns_cache=300),
        timeout=aiohttp.ClientTimeout(
            total=None,
            connect=settings.upstream_connect_timeout_seconds,
            sock_read=settings.upstream_timeout_seconds,
        ),
        auto_decompress=False,
        skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding", "Content-Type"),
        cookie_jar=aiohttp.DummyCookieJar(),  # never keep one caller's cookies for another
    )


async def _cancel(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def create_app(settings: Settings | None = None) -> ASGIApp:
    """`uvicorn gateway.app:create_app --factory`."""
    settings = settings or Settings()
    configure_logging(settings.log_level, settings.log_json)
    gateway = Gateway(settings)
    app: Any = gateway
    if settings.cors_origins:
        app = CORSMiddleware(
            app,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "If-Match", "Accept-Language"],
            expose_headers=["ETag", "Link", "Location", "Retry-After", "X-Request-ID", "Idempotent-Replayed"],
            allow_credentials=settings.cors_allow_credentials,
            max_age=600,
        )
    # CORS answers preflight requests itself, before the gateway's request context.
    return GatewayApp(app, gateway)


class GatewayApp(DrainRefusedBody):
    """The ASGI app uvicorn serves; `gateway` is the dispatcher inside, for tests and tools."""

    def __init__(self, app: ASGIApp, gateway: Gateway) -> None:
        super().__init__(app)
        self.gateway = gateway
