"""`/open311/v2`: the GeoReport v2 facade in `.json` and `.xml`, with the spec's error format.

Reads are open to every authenticated caller (the gateway authenticates; requests are filtered
by what the caller may see). POST needs a partner identity: the gateway turns `api_key` into it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl

from fastapi import APIRouter, FastAPI, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from service_requests.open311 import service
from service_requests.open311.exceptions import Open311BadRequest
from service_requests.open311.repository import Open311Repository
from service_requests.open311.schemas import render, render_errors
from service_requests.requests.repository import RequestRepository
from shared.auth import EVERY_ROLE, CurrentIdentity, allow
from shared.db import SessionDep, utcnow
from shared.errors import ProblemError
from shared.i18n import negotiate_language
from shared.routes import allowed_methods

PREFIX = "/open311/v2"
router = APIRouter(prefix=PREFIX, tags=["open311"])
FORMAT_DOC = "`json` or `xml`"
MAX_FORM_BYTES = 64 * 1024


@router.get("/discovery.{format}", summary="Open311 discovery", dependencies=[allow(*EVERY_ROLE)])
async def discovery(format: str, request: Request) -> Response:
    """Where this GeoReport v2 endpoint is and which formats it serves."""
    chosen = service.check_format(format)
    return render(chosen, service.discovery(_public_base_url(request)), root="discovery", item_tag=None)


def _public_base_url(request: Request) -> str:
    """The address clients use: behind the gateway, the gateway's, from the `X-Forwarded-*` headers
    it sets (it drops any a client sends); otherwise this service's own."""
    host = request.headers.get("x-forwarded-host")
    if not host:
        return str(request.base_url)
    return f"{request.headers.get('x-forwarded-proto') or request.url.scheme}://{host}/"


@router.get("/services.{format}", summary="Open311 service list", dependencies=[allow(*EVERY_ROLE)])
async def services(
    format: str, session: SessionDep, jurisdiction_id: str | None = Query(None, max_length=64)
) -> Response:
    """Every active service type; `jurisdiction_id` is a community id."""
    chosen = service.check_format(format)
    content = await service.services(Open311Repository(session), jurisdiction_id)
    return render(chosen, content, root="services", item_tag="service")


@router.get(
    "/services/{service_code}.{format}", summary="Open311 service definition", dependencies=[allow(*EVERY_ROLE)]
)
async def service_definition(service_code: str, format: str, session: SessionDep) -> Response:
    """The form of one service as Open311 attributes."""
    chosen = service.check_format(format)
    content = await service.definition(Open311Repository(session), service_code)
    return render(chosen, content, root="service_definition", item_tag=None)


@router.get("/requests.{format}", summary="Open311 request search", dependencies=[allow(*EVERY_ROLE)])
async def list_requests(
    format: str,
    session: SessionDep,
    identity: CurrentIdentity,
    service_request_id: str | None = Query(None, max_length=4000),
    service_code: str | None = Query(None, max_length=4000),
    start_date: str | None = Query(None, max_length=40),
    end_date: str | None = Query(None, max_length=40),
    status: str | None = Query(None, max_length=20),
) -> Response:
    """Requests the caller may see: the last 90 days and at most 1000 unless filtered by id."""
    chosen = service.check_format(format)
    content = await service.requests(
        Open311Repository(session),
        identity,
        service_request_id=service_request_id,
        service_code_filter=service_code,
        start_date=start_date,
        end_date=end_date,
        status=status,
        now=utcnow(),
    )
    return render(chosen, content, root="service_requests", item_tag="request")


@router.post("/requests.{format}", summary="Open311 submit a request (partners)", dependencies=[allow(*EVERY_ROLE)])
async def submit_request(format: str, request: Request, session: SessionDep, identity: CurrentIdentity) -> Response:
    """Form-encoded GeoReport v2 POST; needs a partner `api_key` (403 otherwise)."""
    chosen = service.check_format(format)
    raw = await request.body()
    if len(raw) > MAX_FORM_BYTES:
        raise Open311BadRequest("the form is too large")
    content_type = request.headers.get("content-type", "")
    if raw and not content_type.startswith("application/x-www-form-urlencoded"):
        raise Open311BadRequest("send application/x-www-form-urlencoded")
    fields = parse_qsl(raw.decode("utf-8", errors="replace"), keep_blank_values=False)
    fields += [(key, value) for key, value in request.query_params.multi_items() if key != "api_key"]
    content = await service.submit(Open311Repository(session), RequestRepository(session), identity, fields, utcnow())
    return render(chosen, content, root="service_requests", item_tag="request", status_code=201)


@router.get("/requests/{service_request_id}.{format}", summary="Open311 one request", dependencies=[allow(*EVERY_ROLE)])
async def get_request(service_request_id: str, format: str, session: SessionDep, identity: CurrentIdentity) -> Response:
    """One request, as a one-element list."""
    chosen = service.check_format(format)
    content = await service.one_request(Open311Repository(session), identity, service_request_id)
    return render(chosen, content, root="service_requests", item_tag="request")


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
            if isinstance(exc, ProblemError):
                status, description = (
                    exc.status,
                    exc.to_problem(language, None).get("detail") or exc.title.render(language),
                )
            elif isinstance(exc, StarletteHTTPException):
                status, description = exc.status_code, str(exc.detail)
            else:
                status, description = 400, "invalid parameters"
            response = render_errors(_format_of(request), status, str(description))
            if isinstance(exc, ProblemError):
                response.headers.update(exc.headers)
            elif isinstance(exc, StarletteHTTPException) and status == 405:
                response.headers["Allow"] = ", ".join(allowed_methods(request.app.router, request.url.path))
            return response

        app.add_exception_handler(exception_class, handler)
