"""Express routes: a few hot endpoints served without FastAPI's per-request machinery.

FastAPI's request path (matching against every route, solving dependencies, exit stacks,
exception wrappers, re-validating the response) cost ~0.3 ms per request in our services,
measured on ballot casting: more than the cast itself. An express endpoint is still declared as
an ordinary FastAPI route (so its OpenAPI operation, role list, body model and response model are
written once); the app factory is told which ones are express
(`create_service_app(express_routes=[endpoint, ...])`, nothing is registered at import time) and
adds `ExpressRoutes`, a thin ASGI layer just inside the request-context middleware, which serves
them by calling the same endpoint function directly:

* in FastAPI's order: the body is read (413 when oversized, 422 when it is not JSON), the
  internal identity token is verified and the route's `allow(...)` roles are checked (401/403;
  a public route, one without `allow(...)` such as a sign-in, reads no identity),
  then path parameters and body fields are validated with their annotations (the same
  `RequestValidationError` 422);
* `UnitOfWorkDep` (or a bare `SessionDep`) gets the same unit of work (committed after the
  endpoint, before the response; rolled back on error);
* any exception goes to the app's own exception handlers, so every error answer is the same
  Problem Details document. `tests/shared/test_express.py` checks these rules;
  `tests/test_express_equivalence.py` sends a table of requests per express route to each
  service with and without this layer and requires the same status, headers and body.

Supported parameters are exactly: path parameters, one pydantic body model, `Request`,
`Response` (headers and status set on it are merged into the answer, as FastAPI does),
`CurrentIdentity`, `UnitOfWorkDep` and `SessionDep`. A route using anything else is refused when
the app starts. A request with a non-JSON `Content-Type` (or none, to a route with a body:
FastAPI then validates bytes, not JSON) or any query string goes to FastAPI unchanged. A
`uuid.UUID` path parameter matches only a UUID, so `/things/about` declared before
`/things/{thing_id}` stays FastAPI's; any other route an express route would shadow (an earlier
route for the same method whose fixed path its pattern matches) is refused at startup.
"""

from __future__ import annotations

import inspect
import json
import re
import typing
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.params import Depends
from fastapi.routing import APIRoute
from pydantic import BaseModel, TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import ClientDisconnect
from starlette.responses import Response
from starlette.routing import compile_path
from starlette.types import ASGIApp, Receive, Scope, Send

from shared.auth import IDENTITY_HEADER, RoleCheck, current_identity, identity_from_token
from shared.db import request_session
from shared.query import refuse_unknown_query
from shared.routes import RouteInfo, walk_routes
from shared.uow import UnitOfWork, request_unit_of_work

Endpoint = Callable[..., Awaitable[Any]]
_IDENTITY_HEADER = IDENTITY_HEADER.encode()


class _Call:
    """One request on an express route: its session, opened once asked for."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker
        self._session: AsyncSession | None = None

    def session(self) -> AsyncSession:
        if self._session is None:
            self._session = self._sessionmaker()
        return self._session

    async def finish(self, *, commit: bool) -> None:
        """Commit (before the response is sent) or roll back, then close."""
        session, self._session = self._session, None
        if session is None:
            return
        try:
            # an untouched session has nothing to commit: skipping it saves ~25 us a request
            if session.in_transaction() or session.new or session.dirty or session.deleted:
                await (session.commit() if commit else session.rollback())
        finally:
            await session.close()


@dataclass
class _Compiled:
    route: APIRoute
    path: str
    pattern: re.Pattern[str]
    roles: RoleCheck | None  # None: a public route (signing in), no identity read
    call: Callable[..., Awaitable[Any]]
    path_params: dict[str, TypeAdapter[Any]] = field(default_factory=dict)
    body: tuple[str, type[BaseModel]] | None = None
    request_param: str | None = None
    response_param: str | None = None
    identity_params: list[str] = field(default_factory=list)
    session_params: list[str] = field(default_factory=list)
    uow_params: list[str] = field(default_factory=list)
    response: TypeAdapter[Any] | None = None
    status_code: int = 200


@dataclass(frozen=True, slots=True)
class _Label:
    path_format: str


def _dependency_of(annotation: Any) -> Callable[..., Any] | None:
    if typing.get_origin(annotation) is typing.Annotated:
        for extra in annotation.__metadata__:
            if isinstance(extra, Depends):
                return extra.dependency
    return None


def _compile(info: RouteInfo) -> _Compiled:
    route = info.route
    checks = [depends.dependency for depends in info.dependencies if isinstance(depends.dependency, RoleCheck)]
    others = [depends for depends in info.dependencies if depends.dependency is not refuse_unknown_query]
    if len(checks) > 1 or len(checks) != len(others):
        raise TypeError(f"express route {info.path} needs at most one allow(...) and no other route dependency")
    if route.response_model_exclude_none or route.response_model_exclude_unset or route.response_model_include:
        raise TypeError(f"express route {info.path}: response model options are not supported")
    hints = typing.get_type_hints(route.endpoint, include_extras=True)
    # a UUID parameter matches only a UUID: a fixed sibling path like `/about` stays FastAPI's
    matched = info.path
    for name, annotation in hints.items():
        if annotation is uuid.UUID:
            matched = matched.replace("{" + name + "}", "{" + name + ":uuid}")
    pattern, _, convertors = compile_path(matched)
    compiled = _Compiled(
        route=route,
        path=info.path,
        pattern=pattern,
        roles=checks[0] if checks else None,
        call=route.endpoint,
        response=TypeAdapter(route.response_model) if route.response_model is not None else None,
        status_code=route.status_code or 200,
    )
    for name in inspect.signature(route.endpoint).parameters:
        annotation = hints.get(name)
        dependency = _dependency_of(annotation)
        if dependency is current_identity:
            compiled.identity_params.append(name)
        elif dependency is request_session:
            compiled.session_params.append(name)
        elif dependency is request_unit_of_work:
            compiled.uow_params.append(name)
        elif annotation is Request:
            compiled.request_param = name
        elif annotation is Response:
            compiled.response_param = name
        elif name in convertors and annotation is not None:
            compiled.path_params[name] = TypeAdapter(annotation)
        elif isinstance(annotation, type) and issubclass(annotation, BaseModel) and compiled.body is None:
            compiled.body = (name, annotation)
        else:
            raise TypeError(f"express route {info.path}: parameter {name!r} is not supported")
    if compiled.roles is None and compiled.identity_params:
        raise TypeError(f"express route {info.path}: a public route has no identity")
    return compiled


def _refuse_shadowing(compiled: _Compiled, routes: list[RouteInfo]) -> None:
    """FastAPI tries routes in order; the express layer runs first, so it must not take a request
    that an earlier route of the same method would have answered."""
    methods = compiled.route.methods or set()
    for info in routes:
        if info.route is compiled.route:
            return
        fixed = "{" not in info.path
        if fixed and methods & (info.route.methods or set()) and compiled.pattern.match(info.path):
            raise TypeError(f"express route {compiled.path} would shadow {info.path}, declared before it")


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


def _json_or_unset(scope: Scope, *, has_body: bool) -> bool:
    """Whether FastAPI would read the body as JSON (or the route reads no body)."""
    content_type = _header(scope, b"content-type")
    if content_type is None:
        # FastAPI validates a body sent without Content-Type as bytes (strict_content_type): its answer
        return not has_body
    media = content_type.split(b";", 1)[0].strip().lower()
    return media.startswith(b"application/") and (media == b"application/json" or media.endswith(b"+json"))


def _decode_errors(body: bytes) -> list[dict[str, Any]]:
    """FastAPI's answer to a body that is not JSON: `json.loads`'s error position, or a 400 when
    the bytes are not even text."""
    try:
        json.loads(body)
    except json.JSONDecodeError as error:
        return [
            {
                "type": "json_invalid",
                "loc": ("body", error.pos),
                "msg": "JSON decode error",
                "input": {},
                "ctx": {"error": error.msg},
            }
        ]
    except (ValueError, RecursionError) as error:  # not UTF-8, or nested past the parser's depth
        raise HTTPException(status_code=400, detail="There was an error parsing the body") from error
    return [{"type": "json_invalid", "loc": ("body",), "msg": "JSON decode error", "input": {}}]


def _sub_response() -> Response:
    """The `Response` an endpoint may set headers and a status on, as FastAPI makes it."""
    sub = Response()
    del sub.headers["content-length"]
    sub.status_code = None  # type: ignore[assignment]
    return sub


class ExpressRoutes:
    """ASGI layer serving the routes of `endpoints`; every other request goes on to FastAPI."""

    def __init__(self, app: ASGIApp, service: FastAPI, endpoints: Sequence[Endpoint]) -> None:
        """Compiled when Starlette builds the middleware stack, at startup: a bad route fails then."""
        self.app = app
        self.service = service
        everything = list(walk_routes(service.router))
        self.routes = [_compile(info) for info in everything if info.route.endpoint in endpoints]
        served = {compiled.route.endpoint for compiled in self.routes}
        for endpoint in endpoints:
            if endpoint not in served:
                raise TypeError(f"express endpoint {endpoint.__qualname__} is not a route of {service.title}")
        if len(self.routes) != len(endpoints):
            raise TypeError("an express endpoint serves more than one route")
        for compiled in self.routes:
            _refuse_shadowing(compiled, everything)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for compiled in self.routes:
                match = compiled.pattern.match(scope["path"])
                if match is not None and scope["method"] in (compiled.route.methods or ()):
                    # express routes take no query parameters: FastAPI answers the 400 for any sent
                    if _json_or_unset(scope, has_body=compiled.body is not None) and not scope["query_string"]:
                        await self._serve(compiled, match.groupdict(), scope, receive, send)
                        return
                    break
        await self.app(scope, receive, send)

    async def _serve(
        self, compiled: _Compiled, params: dict[str, str], scope: Scope, receive: Receive, send: Send
    ) -> None:
        scope["route"] = _Label(compiled.path)  # the metrics label
        request = Request(scope, receive)
        call: _Call | None = None
        try:
            # FastAPI's order: the body is read (413 from the request-context layer) and must be
            # JSON before the identity and role are checked; field errors come after them.
            body = await request.body()
            parsed, errors = self._body(compiled, body)
            if any(error["type"] == "json_invalid" for error in errors):
                raise RequestValidationError(errors)
            identity = None
            if compiled.roles is not None:
                token = _header(scope, _IDENTITY_HEADER)
                verifier = self.service.state.token_verifier
                identity = identity_from_token(token.decode("latin-1") if token else None, verifier)
                compiled.roles.check(identity)
            arguments = self._arguments(compiled, params, parsed, errors, request)
            call = _Call(self.service.state.sessionmaker)
            for name in compiled.identity_params:
                arguments[name] = identity
            for name in compiled.session_params:
                arguments[name] = call.session()
            for name in compiled.uow_params:
                arguments[name] = UnitOfWork(None, self.service, open_session=call.session)
            sub = None
            if compiled.response_param is not None:
                arguments[compiled.response_param] = sub = _sub_response()
            result = await compiled.call(**arguments)
            await call.finish(commit=True)
            call = None
            if isinstance(result, Response):
                response = result
            else:
                assert compiled.response is not None, "an express endpoint returns a Response or its response model"
                response = Response(
                    compiled.response.dump_json(result, by_alias=True),
                    sub.status_code if sub is not None and sub.status_code else compiled.status_code,
                    media_type="application/json",
                )
                if sub is not None:
                    response.headers.raw.extend(sub.headers.raw)
        except ClientDisconnect:  # the client left before its body arrived: nobody to answer
            return
        except Exception as exc:
            if call is not None:
                await call.finish(commit=False)
            response = await self._handle(request, exc)
        await response(scope, receive, send)

    @staticmethod
    def _body(compiled: _Compiled, body: bytes) -> tuple[BaseModel | None, list[dict[str, Any]]]:
        if compiled.body is None:
            return None, []
        if not body:
            return None, [{"loc": ("body",), "msg": "Field required", "type": "missing"}]
        try:
            return compiled.body[1].model_validate_json(body), []
        except ValidationError as invalid:
            errors = invalid.errors()
            if any(error["type"] == "json_invalid" for error in errors):
                return None, _decode_errors(body)
            return None, [{**error, "loc": ("body", *error["loc"])} for error in errors]

    @staticmethod
    def _arguments(
        compiled: _Compiled,
        params: dict[str, str],
        parsed: BaseModel | None,
        body_errors: list[dict[str, Any]],
        request: Request,
    ) -> dict[str, Any]:
        arguments: dict[str, Any] = {}
        errors: list[dict[str, Any]] = []
        for name, adapter in compiled.path_params.items():
            try:
                arguments[name] = adapter.validate_python(params[name])
            except ValidationError as invalid:
                errors += [{**error, "loc": ("path", name, *error["loc"])} for error in invalid.errors()]
        errors += body_errors
        if errors:
            raise RequestValidationError(errors)
        if compiled.body is not None:
            arguments[compiled.body[0]] = parsed
        if compiled.request_param is not None:
            arguments[compiled.request_param] = request
        return arguments

    async def _handle(self, request: Request, exc: Exception) -> Response:
        """The app's own handler for `exc` (most specific class first), as Starlette's exception
        layer would; anything only the catch-all `Exception` handler covers is raised on, to the
        layers outside (the request-context 413, the server-error 500), as it is from FastAPI."""
        for kind in type(exc).__mro__:
            if kind in (Exception, BaseException, object):
                break
            handler = self.service.exception_handlers.get(kind)
            if handler is not None:
                response = handler(request, exc)
                answer = await response if inspect.isawaitable(response) else response
                assert isinstance(answer, Response)
                return answer
        raise exc
