"""`/open311/v2`: the GeoReport v2 facade in `.json` and `.xml`, with the spec's error format.

Reads need no credentials (the standard's clients send none): anonymous callers get the public
view, authenticated ones what their role may see. POST files a request for the caller and allows
exactly the roles `POST /v1/service-requests` allows.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from service_requests.open311 import service
from service_requests.open311.dependencies import OptionalIdentity, optional_identity
from service_requests.open311.exceptions import Open311BadRequest
from service_requests.open311.schemas import render, render_errors
from service_requests.requests.router import REQUESTERS
from shared.addresses import public_base_url
from shared.auth import CurrentIdentity, allow
from shared.db import utcnow
from shared.errors import ProblemError
from shared.i18n import negotiate_language
from shared.routes import allowed_methods
from shared.uow import UnitOfWorkDep

PREFIX = "/open311/v2"
# Credentials are optional on reads, but ones that do not verify are refused everywhere.
router = APIRouter(prefix=PREFIX, tags=["open311"], dependencies=[Depends(optional_identity)])
FORMAT_DOC = "`json` or `xml`"
MAX_FORM_BYTES = 64 * 1024
# Public reads: no role list, and no security requirement in the OpenAPI document.
NO_CREDENTIALS: dict[str, Any] = {"security": []}
PUBLIC_READ_PATHS = frozenset(
    PREFIX + path
    for path in (
        "/discovery.{format}",
        "/services.{format}",
        "/services/{service_code}.{format}",
        "/requests.{format}",
        "/requests/{service_request_id}.{format}",
    )
)


@router.get("/discovery.{format}", summary="Open311 discovery", openapi_extra=NO_CREDENTIALS)
async def discovery(format: str, request: Request) -> Response:
    """Where this GeoReport v2 endpoint is and which formats it serves."""
    chosen = service.check_format(format)
    return render(chosen, service.discovery(public_base_url(request)), root="discovery", item_tag=None)


@router.get("/services.{format}", summary="Open311 service list", openapi_extra=NO_CREDENTIALS)
async def services(
    format: str, uow: UnitOfWorkDep, jurisdiction_id: str | None = Query(None, max_length=64)
) -> Response:
    """Every active service type; `jurisdiction_id` is a community id."""
    chosen = service.check_format(format)
    content = await service.services(uow, jurisdiction_id)
    return render(chosen, content, root="services", item_tag="service")


@router.get("/services/{service_code}.{format}", summary="Open311 service definition", openapi_extra=NO_CREDENTIALS)
async def service_definition(service_code: str, format: str, uow: UnitOfWorkDep) -> Response:
    """The form of one service as Open311 attributes."""
    chosen = service.check_format(format)
    content = await service.definition(uow, service_code)
    return render(chosen, content, root="service_definition", item_tag=None)


@router.get("/requests.{format}", summary="Open311 request search", openapi_extra=NO_CREDENTIALS)
async def list_requests(
    format: str,
    uow: UnitOfWorkDep,
    identity: OptionalIdentity,
    service_request_id: str | None = Query(None, max_length=4000),
    service_code: str | None = Query(None, max_length=4000),
    start_date: str | None = Query(None, max_length=40),
    end_date: str | None = Query(None, max_length=40),
    status: str | None = Query(None, max_length=20),
) -> Response:
    """Requests the caller may see (anonymous: the public view of city requests); a range of at
    most 90 days (the last 90 without dates) and at most 1000 records, unless filtered by id."""
    chosen = service.check_format(format)
    content = await service.requests(
        uow,
        identity,
        service_request_id=service_request_id,
        service_code_filter=service_code,
        start_date=start_date,
        end_date=end_date,
        status=status,
        now=utcnow(),
    )
    return render(chosen, content, root="service_requests", item_tag="request")


@router.post("/requests.{format}", summary="Open311 submit a request", dependencies=[allow(*REQUESTERS)])
async def submit_request(format: str, request: Request, uow: UnitOfWorkDep, identity: CurrentIdentity) -> Response:
    """Form-encoded GeoReport v2 POST, filed for the caller under the rules of `POST /v1/service-requests`
    (403 in the Open311 format without credentials, with invalid ones, or for any other role)."""
    chosen = service.check_format(format)
    raw = await request.body()
    if len(raw) > MAX_FORM_BYTES:
        raise Open311BadRequest("the form is too large")
    content_type = request.headers.get("content-type", "")
    if raw and not content_type.startswith("application/x-www-form-urlencoded"):
        raise Open311BadRequest("send application/x-www-form-urlencoded")
    fields = parse_qsl(raw.decode("utf-8", errors="replace"), keep_blank_values=False)
    fields += [(key, value) for key, value in request.query_params.multi_items() if key != "api_key"]
    content = await service.submit(uow, identity, fields, utcnow())
    return render(chosen, content, root="service_requests", item_tag="request", status_code=201)


@router.get("/requests/{service_request_id}.{format}", summary="Open311 one request", openapi_extra=NO_CREDENTIALS)
async def get_request(service_request_id: str, format: str, uow: UnitOfWorkDep, identity: OptionalIdentity) -> Response:
    """One request, as a one-element list."""
    chosen = service.check_format(format)
    content = await service.one_request(uow, identity, service_request_id)
    return render(chosen, content, root="service_requests", item_tag="request")


def open311_field(pointer: object) -> str:
    """A JSON pointer of the REST schema in the form's vocabulary: `/answers/x` is `attribute[x]`."""
    text = str(pointer or "")
    if text.startswith("/answers/"):
        return f"attribute[{text.removeprefix('/answers/')}]"
    return text.lstrip("/") or "request"


def _format_of(request: Request) -> str:
    return "xml" if request.url.path.endswith(".xml") else "json"


def install_open311_errors(app: FastAPI) -> None:
    """Errors under `/open311/v2` leave in the specification's format; elsewhere Problem Details."""
    Handler = Callable[[Request, Exception], Awaitable[Response]]
    for exception_class in (ProblemError, RequestValidationError, StarletteHTTPException):
        original: Handler = app.exception_handlers[exception_class]  # type: ignore[assignment]

        async def handler(request: Request, exc: Exception, original: Handler = original) -> Response:
            if not request.url.path.startswith(PREFIX + "/"):
                return await original(request, exc)
            language = negotiate_language(request.headers.get("accept-language"))
            details: list[str] = []
            if isinstance(exc, ProblemError):
                status = exc.status
                details = [str(exc.to_problem(language, None).get("detail") or exc.title.render(language))]
                details += [f"{open311_field(item.get('pointer'))}: {item.get('detail')}" for item in exc.errors]
            elif isinstance(exc, StarletteHTTPException):
                status, details = exc.status_code, [str(exc.detail)]
            else:
                status, details = 400, ["invalid parameters"]
            # GeoReport v2 answers a missing or invalid key with 403; it has no 401
            response = render_errors(_format_of(request), 403 if status == 401 else status, *details)
            if isinstance(exc, ProblemError):
                response.headers.update(exc.headers)
            elif isinstance(exc, StarletteHTTPException) and status == 405:
                response.headers["Allow"] = ", ".join(allowed_methods(request.app.router, request.url.path))
            response.headers["Content-Language"] = language
            return response

        app.add_exception_handler(exception_class, handler)
