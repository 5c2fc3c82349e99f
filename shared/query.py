"""Unknown query parameters are refused (400 naming them), never ignored: a mistyped filter would
otherwise answer with everything. Added to every app as an app-wide dependency by the factories."""

from __future__ import annotations

from fastapi import FastAPI, Request
from starlette.types import ASGIApp, Receive, Scope, Send

from shared.errors import InvalidRequest, MethodNotAllowed, problem_response
from shared.i18n import Text, negotiate_language
from shared.routes import declared_query, fixed_path_methods

# GeoReport v2 lets every call carry `jurisdiction_id` and `api_key` (the gateway takes the key out),
# and its POST may send any form field in the query: those are the standard's, not typos.
OPEN311_PREFIX = "/open311/"
OPEN311_COMMON_QUERY = frozenset({"jurisdiction_id", "api_key"})


def _allowed_query(request: Request) -> frozenset[str] | None:
    """The query names the matched route declares; None when it takes any (an Open311 POST)."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return frozenset()
    path = request.url.path
    if path.startswith(OPEN311_PREFIX):
        if request.method == "POST":
            return None
        return declared_query(dependant) | OPEN311_COMMON_QUERY
    return declared_query(dependant)


async def refuse_unknown_query(request: Request) -> None:
    """400 naming each query parameter the route does not declare, instead of ignoring it (a typo'd
    filter would otherwise answer everything)."""
    sent = {name for name, _ in request.query_params.multi_items()}
    if not sent:
        return
    allowed = _allowed_query(request)
    unknown = sorted(sent - allowed) if allowed is not None else []
    if unknown:
        raise UnknownQueryParameter(
            Text("请求包含未定义的查询参数", "The request has query parameters this operation does not define"),
            errors=[
                {"detail": "unknown query parameter", "code": "UNKNOWN_PARAMETER", "parameter": name[:64]}
                for name in unknown[:20]
            ],
        )


class UnknownQueryParameter(InvalidRequest):
    code = "UNKNOWN_QUERY_PARAMETER"
    title = Text("未定义的查询参数", "Unknown query parameter")


class UndeclaredMethods:
    """405 for a method a fixed path does not declare, where a parameterised sibling would otherwise
    take it (`PATCH /v1/grids/unassigned-buildings` reaching `PATCH /v1/grids/{grid_id}` as a 422)."""

    def __init__(self, app: ASGIApp, service: FastAPI) -> None:
        self.app = app
        self.fixed = {
            path: methods | ({"HEAD"} if "GET" in methods else set())
            for path, methods in fixed_path_methods(service.router).items()
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            methods = self.fixed.get(scope["path"])
            if methods is not None and scope["method"] not in methods:
                language = negotiate_language(_accept_language(scope))
                error = MethodNotAllowed(headers={"Allow": ", ".join(sorted(methods))})
                await problem_response(error, language, (scope.get("state") or {}).get("trace_id"))(
                    scope, receive, send
                )
                return
        await self.app(scope, receive, send)


def _accept_language(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"accept-language":
            return str(value.decode("latin-1"))
    return None
