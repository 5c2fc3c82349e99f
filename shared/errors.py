"""One exception hierarchy and one set of handlers: every error leaves as RFC 9457 Problem Details.

Domain modules raise subclasses of `ProblemError` (`BuildingNotFound`), never `HTTPException`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from sqlalchemy.exc import DBAPIError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.field_messages import field_message
from shared.i18n import DEFAULT_LANGUAGE, Language, Text, negotiate_language
from shared.jsonutil import dumps
from shared.routes import allowed_methods

PROBLEM_JSON = "application/problem+json"
logger = structlog.get_logger("shared.errors")


def problem_type(code: str) -> str:
    """The stable `type` URI of a problem code."""
    return "urn:binjiang:problem:" + code.lower().replace("_", "-")


class ProblemError(Exception):
    """Base of every error a client may see; subclasses fix `status`, `code` and `title`."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "BAD_REQUEST"
    title: ClassVar[Text] = Text("请求有误", "Bad request")

    def __init__(
        self,
        detail: str | Text | None = None,
        *,
        errors: Sequence[Mapping[str, Any]] = (),
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        self.detail = detail
        self.errors = list(errors)
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})
        super().__init__(detail.en if isinstance(detail, Text) else (detail or self.code))

    def to_problem(self, language: Language, trace_id: str | None) -> dict[str, Any]:
        """Render as a Problem Details body."""
        body: dict[str, Any] = {
            "type": problem_type(self.code),
            "title": self.title.render(language),
            "status": self.status,
            "code": self.code,
        }
        if self.detail is not None:
            body["detail"] = self.detail.render(language) if isinstance(self.detail, Text) else self.detail
        if self.errors:
            body["errors"] = self.errors
        body.update(self.extra)
        if trace_id:
            body["trace_id"] = trace_id
        return body


class InvalidRequest(ProblemError):
    status = 400
    code = "INVALID_REQUEST"
    title = Text("请求参数有误", "Invalid request")


class InvalidCursor(InvalidRequest):
    code = "INVALID_CURSOR"
    title = Text("分页游标无效", "Invalid cursor")


class InvalidDateRange(InvalidRequest):
    """A query's date range is reversed or longer than the endpoint allows (`errors[].parameter` names its end)."""

    code = "INVALID_DATE_RANGE"
    title = Text("日期范围无效", "Invalid date range")


def check_date_range(start: dt.date | None, end: dt.date | None, end_name: str, max_days: int = 366) -> None:
    """Refuse `end` before `start`, or more than `max_days` days from `start` to `end` inclusive."""
    if start is None or end is None:
        return
    if end < start:
        detail = Text("结束日期早于开始日期", f"`{end_name}` is before the start of the range")
    elif (end - start).days + 1 > max_days:
        detail = Text(f"日期范围最长 {max_days} 天", f"the range may span at most {max_days} days")
    else:
        return
    raise InvalidDateRange(detail, errors=[{"detail": detail.en, "parameter": end_name}])


class Unauthenticated(ProblemError):
    status = 401
    code = "UNAUTHENTICATED"
    title = Text("未认证", "Authentication required")


class Forbidden(ProblemError):
    status = 403
    code = "FORBIDDEN"
    title = Text("无权执行此操作", "Not allowed")


class NotFound(ProblemError):
    status = 404
    code = "NOT_FOUND"
    title = Text("资源不存在", "Not found")


class Conflict(ProblemError):
    status = 409
    code = "CONFLICT"
    title = Text("与当前状态冲突", "Conflict with the current state")


class PreconditionFailed(ProblemError):
    status = 412
    code = "VERSION_MISMATCH"
    title = Text("资源已被修改", "The resource has changed")


class PayloadTooLarge(ProblemError):
    status = 413
    code = "PAYLOAD_TOO_LARGE"
    title = Text("请求体过大", "Request body too large")


def body_too_large() -> PayloadTooLarge:
    """The 413 for a body over the platform's 1 MiB limit (services and gateway alike)."""
    return PayloadTooLarge(Text("请求体不得超过 1 MiB", "Request bodies are limited to 1 MiB"))


class MethodNotAllowed(ProblemError):
    status = 405
    code = "METHOD_NOT_ALLOWED"
    title = Text("不支持该请求方法", "Method not allowed")


class ValidationFailed(ProblemError):
    status = 422
    code = "VALIDATION_FAILED"
    title = Text("输入校验失败", "Validation failed")


class PreconditionRequired(ProblemError):
    status = 428
    code = "IF_MATCH_REQUIRED"
    title = Text("缺少 If-Match 请求头", "If-Match header required")


class RateLimited(ProblemError):
    status = 429
    code = "RATE_LIMITED"
    title = Text("请求过于频繁", "Too many requests")


class ServiceUnavailable(ProblemError):
    status = 503
    code = "SERVICE_UNAVAILABLE"
    title = Text("服务暂不可用", "Service unavailable")


class DatabaseUnavailable(ServiceUnavailable):
    code = "DATABASE_UNAVAILABLE"
    title = Text("数据库暂不可用", "The database is unavailable")


DATABASE_RETRY_AFTER_SECONDS = 2
# Connection exceptions (class 08), shutdowns and "starting up" (57P0x), too many connections (53300).
_UNAVAILABLE_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300"})


def database_unavailable(exc: BaseException) -> bool:
    """Whether `exc` (or what it wraps) says the database cannot be reached right now, not that a query is wrong.

    A raw `OSError` counts: asyncpg raises the socket's own error (refused, no such socket, reset, timeout)
    and SQLAlchemy passes it on unwrapped; the services open no other raw sockets in a request.
    """
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, OSError) or getattr(current, "connection_invalidated", False):
            return True
        sqlstate = getattr(current, "sqlstate", None)
        if isinstance(sqlstate, str) and (sqlstate.startswith("08") or sqlstate in _UNAVAILABLE_SQLSTATES):
            return True
        orig = getattr(current, "orig", None)
        pending += [orig if isinstance(orig, BaseException) else None, current.__cause__, current.__context__]
    return False


def database_unavailable_error() -> DatabaseUnavailable:
    """The 503 for a database outage; clients retry after a short pause, recovery needs nobody."""
    return DatabaseUnavailable(
        Text("数据库暂不可用,请稍后重试", "The database cannot be reached; retry shortly"),
        headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
    )


class InternalError(ProblemError):
    status = 500
    code = "INTERNAL_ERROR"
    title = Text("服务器内部错误", "Internal server error")


@dataclass(frozen=True, slots=True)
class ConstraintProblem:
    """How a named database constraint violation is reported (so races end as 409, not 500)."""

    error: type[ProblemError]
    detail: Text
    pointer: str | None = None


def problem_response(error: ProblemError, language: Language, trace_id: str | None = None) -> Response:
    """The HTTP response for a `ProblemError`."""
    return Response(
        content=dumps(error.to_problem(language, trace_id)),
        status_code=error.status,
        media_type=PROBLEM_JSON,
        headers={**error.headers, "Content-Language": language},
    )


def _trace_id(request: Request) -> str | None:
    value = request.scope.get("state", {}).get("trace_id")
    return str(value) if value else None


def _location_item(location: Sequence[Any], detail: str, error_type: str) -> dict[str, Any]:
    item: dict[str, Any] = {"detail": detail, "code": error_type.upper()}
    where, *rest = location or ("body",)
    if where == "body":
        item["pointer"] = "/" + "/".join(str(part).replace("~", "~0").replace("/", "~1") for part in rest)
    elif where == "header":
        item["header"] = ".".join(str(part) for part in rest)
    else:  # query, path, cookie
        item["parameter"] = ".".join(str(part) for part in rest)
    return item


def validation_items(
    errors: Sequence[Mapping[str, Any]], language: Language = DEFAULT_LANGUAGE
) -> list[dict[str, Any]]:
    """Pydantic errors as `errors[]` items in `language`; the submitted input is never echoed back."""
    items = []
    for error in errors:
        message = field_message(error, language)
        items.append(_location_item(tuple(error.get("loc", ())), message, str(error.get("type", "invalid"))))
    return items


def _constraint_name(error: DBAPIError) -> str | None:
    original = getattr(error.orig, "__cause__", None) or error.orig
    return getattr(original, "constraint_name", None)


def _sqlstate(error: DBAPIError) -> str | None:
    original = getattr(error.orig, "__cause__", None) or error.orig
    return getattr(original, "sqlstate", None) or getattr(error.orig, "sqlstate", None)


def install_problem_handlers(app: FastAPI, constraint_problems: Mapping[str, ConstraintProblem] | None = None) -> None:
    """Register the one handler per error family on `app`."""
    constraints = dict(constraint_problems or {})

    def language_of(request: Request) -> Language:
        return negotiate_language(request.headers.get("accept-language"))

    async def on_problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ProblemError)
        return problem_response(exc, language_of(request), _trace_id(request))

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        error = ValidationFailed(
            Text("请求中有字段未通过校验", "Some fields of the request are invalid"),
            errors=validation_items(exc.errors(), language_of(request)),
        )
        return problem_response(error, language_of(request), _trace_id(request))

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        by_status: dict[int, type[ProblemError]] = {
            401: Unauthenticated,
            403: Forbidden,
            404: NotFound,
            409: Conflict,
            405: MethodNotAllowed,
            413: PayloadTooLarge,
            422: ValidationFailed,
            428: PreconditionRequired,
            429: RateLimited,
            503: ServiceUnavailable,
        }
        error_class = by_status.get(exc.status_code)
        headers = exc.headers
        if exc.status_code == 405:  # Starlette names only the first route's methods for the path
            headers = {**(headers or {}), "Allow": ", ".join(allowed_methods(request.app.router, request.url.path))}
        if error_class is None:
            error: ProblemError = InvalidRequest()
            error.extra = {"status": exc.status_code}
            body = error.to_problem(language_of(request), _trace_id(request))
            body.update(code=f"HTTP_{exc.status_code}", type=problem_type(f"HTTP_{exc.status_code}"))
            return Response(dumps(body), exc.status_code, media_type=PROBLEM_JSON, headers=headers)
        detail = exc.detail if isinstance(exc.detail, str) and exc.status_code != 422 else None
        return problem_response(error_class(detail, headers=headers), language_of(request), _trace_id(request))

    async def on_integrity(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, DBAPIError)
        name = _constraint_name(exc)
        sqlstate = _sqlstate(exc)
        known = constraints.get(name or "")
        if known is not None:
            items = [{"detail": known.detail.render(language_of(request)), "pointer": known.pointer}]
            error: ProblemError = known.error(known.detail, errors=items if known.pointer else ())
        elif sqlstate in ("40001", "40P01"):
            error = Conflict(Text("并发修改冲突,请重试", "Concurrent modification; please retry"))
            error.headers["Retry-After"] = "1"
        elif sqlstate in ("23505", "23P01"):
            error = Conflict(Text("与已有记录冲突", "Conflicts with an existing record"))
        elif sqlstate == "55P03":
            error = Conflict(Text("资源正被其他请求占用", "The resource is busy; please retry"))
        elif database_unavailable(exc):
            logger.warning("database_unavailable", sqlstate=sqlstate, error_type=type(exc).__name__)
            error = database_unavailable_error()
        else:
            logger.error("database_error", sqlstate=sqlstate, constraint=name, error_type=type(exc).__name__)
            error = InternalError()
        return problem_response(error, language_of(request), _trace_id(request))

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        if database_unavailable(exc):  # an outage, not a bug: no traceback, a 503 the client may retry
            logger.warning("database_unavailable", error_type=type(exc).__name__)
            return problem_response(database_unavailable_error(), language_of(request), _trace_id(request))
        logger.exception("unhandled_error", error_type=type(exc).__name__)
        return problem_response(InternalError(), language_of(request), _trace_id(request))

    app.add_exception_handler(ProblemError, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(IntegrityError, on_integrity)
    app.add_exception_handler(DBAPIError, on_integrity)
    app.add_exception_handler(Exception, on_unexpected)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries documenting the Problem Details a route may return."""
    descriptions = {
        400: "Invalid request",
        401: "Authentication required",
        403: "Not allowed",
        404: "Not found",
        409: "Conflict with the current state",
        412: "Stale If-Match version",
        413: "Body too large",
        422: "Validation failed",
        428: "If-Match required",
        429: "Too many requests",
        503: "Service unavailable; retry after `Retry-After` seconds",
    }
    return {
        status: {
            "description": descriptions.get(status, "Error"),
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }


def problem_codes(status: int) -> list[str]:
    """Every stable `code` a `ProblemError` subclass answers with `status` (those imported so far)."""
    codes: set[str] = set()
    pending: list[type[ProblemError]] = [ProblemError]
    while pending:
        error_class = pending.pop()
        pending.extend(error_class.__subclasses__())
        if error_class.status == status:
            codes.add(error_class.code)
    return sorted(codes)


def describe_codes(responses: dict[str, Any]) -> None:
    """Add the stable codes each documented Problem Details status can carry to its description."""
    for status, response in responses.items():
        if not status.isdigit() or PROBLEM_JSON not in response.get("content", {}):
            continue
        codes = problem_codes(int(status))
        if codes and "x-problem-codes" not in response:
            response["x-problem-codes"] = codes
            response["description"] = (
                response.get("description", "Error") + ". Codes: " + ", ".join(f"`{code}`" for code in codes)
            )


OPEN311_ERRORS_SCHEMA: dict[str, Any] = {
    "type": "array",
    "description": "The GeoReport v2 error array",
    "items": {
        "type": "object",
        "required": ["code", "description"],
        "properties": {"code": {"type": "integer"}, "description": {"type": "string"}},
    },
}


def open311_error_response(description: str) -> dict[str, Any]:
    """An error of an Open311 route: the specification's error array, in the requested format (or
    Problem Details when the gateway answers before the request reaches the service)."""
    return {
        "description": description.split(". Codes:")[0],
        "content": {
            "application/json": {"schema": OPEN311_ERRORS_SCHEMA},
            "text/xml": {"schema": {"type": "string"}},
            PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}},
        },
    }
