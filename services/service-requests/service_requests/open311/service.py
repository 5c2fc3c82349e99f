"""The Open311 GeoReport v2 view of our catalogue and requests, and submission by partners."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

from service_requests.catalogue.models import ServiceType
from service_requests.open311.exceptions import Open311BadRequest, ServiceCodeNotFound, UnknownFormat
from service_requests.open311.repository import Open311Repository
from service_requests.open311.schemas import CLOSED_STATUSES, DATATYPES, FORMATS, SPECIFICATION, w3c
from service_requests.requests import submission
from service_requests.requests.exceptions import AnswersInvalid
from service_requests.requests.models import ServiceRequest
from service_requests.requests.schemas import Attachment, Location, RequestCreate
from service_requests.requests.workflow import Status
from service_requests.working_calendar import SHANGHAI
from shared.auth import Identity, Role
from shared.i18n import Text
from shared.uow import UnitOfWork

DEFAULT_WINDOW = dt.timedelta(days=90)  # the standard's default window, and the widest range a query may ask
MAX_RECORDS = 1000
CHANGESET = "2026-11-26T00:00:00+08:00"
OPEN_STATUSES = [status.value for status in Status if status.value not in CLOSED_STATUSES]


def discovery(base_url: str) -> dict[str, Any]:
    """Where the endpoint is and what it speaks."""
    return {
        "changeset": CHANGESET,
        "contact": "星光产业社区公共服务中心 / Binjiang modern industrial community platform",
        "key_service": "Partner API keys are issued by the platform operator (POST /v1/partners)",
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": base_url.rstrip("/") + "/open311/v2",
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }


def service_code(service_type: ServiceType) -> str:
    return str(service_type.id)


def service_entry(service_type: ServiceType) -> dict[str, Any]:
    return {
        "service_code": service_code(service_type),
        "service_name": service_type.name_zh,
        "description": service_type.description_zh or service_type.name_en,
        "metadata": bool(service_type.form),
        "type": "realtime",
        "keywords": ",".join([service_type.code, service_type.scenario, service_type.name_en]),
        "group": service_type.category,
    }


def _parse_code(code: str) -> uuid.UUID:
    try:
        return uuid.UUID(code)
    except ValueError as exc:
        raise ServiceCodeNotFound() from exc


async def services(uow: UnitOfWork, jurisdiction_id: str | None) -> list[dict[str, Any]]:
    """Every active service type (of one community when `jurisdiction_id` names it)."""
    community = None
    if jurisdiction_id:
        try:
            community = uuid.UUID(jurisdiction_id)
        except ValueError as exc:
            raise Open311BadRequest("jurisdiction_id is not a community id") from exc
    return [service_entry(row) for row in await uow.repository(Open311Repository).services(community)]


async def definition(uow: UnitOfWork, code: str) -> dict[str, Any]:
    """The service's attributes in the specification's vocabulary."""
    service_type = await uow.repository(Open311Repository).service(_parse_code(code))
    if service_type is None or not service_type.active:
        raise ServiceCodeNotFound()
    attributes = []
    for attribute in service_type.form:
        entry: dict[str, Any] = {
            "variable": True,
            "code": attribute["code"],
            "datatype": DATATYPES[attribute["datatype"]],
            "required": bool(attribute.get("required")),
            "datatype_description": attribute["label_en"],
            "order": attribute["order"],
            "description": attribute["label_zh"],
        }
        if attribute.get("choices"):
            entry["values"] = [{"key": choice["key"], "name": choice["label_zh"]} for choice in attribute["choices"]]
        attributes.append(entry)
    return {"service_code": service_code(service_type), "attributes": attributes}


def request_entry(row: ServiceRequest, notes: dict[uuid.UUID, str], identity: Identity | None) -> dict[str, Any]:
    closed = row.status in CLOSED_STATUSES
    entry = {
        "service_request_id": str(row.id),
        "status": "closed" if closed else "open",
        "status_notes": f"{row.status}: {notes[row.id]}" if row.id in notes else row.status,
        "service_name": row.type_snapshot["name_zh"],
        "service_code": str(row.type_id),
        "description": row.description,
        "agency_responsible": "community_staff"
        if row.handler_kind == "community_staff"
        else f"partner:{row.handler_kind}",
        "service_notice": None,
        "requested_datetime": w3c(row.created_at),
        "updated_datetime": w3c(row.updated_at),
        "expected_datetime": None if closed else w3c(row.resolve_due_at),
        "address": row.address,
        "address_id": str(row.building_id) if row.building_id else None,
        "zipcode": None,
        "lat": row.latitude,
        "long": row.longitude,
        "media_url": row.attachments[0]["ref"] if row.attachments else None,
    }
    if identity is None or (identity.has(Role.partner) and row.requester_subject != identity.subject):
        # anonymous: status and dates only (a description or an address can name a person);
        # a request routed to a partner: only what the partner view shares (issue 7)
        shared_description = identity is not None and row.type_snapshot.get("share_description")
        entry.update(
            description=row.description if shared_description else None,
            status_notes=row.status,
            address=None,
            address_id=None,
            lat=None,
            long=None,
            media_url=None,
        )
    return entry


# The W3C note "Date and Time Formats": YYYY, YYYY-MM, YYYY-MM-DD, and with hh:mm, hh:mm:ss or
# hh:mm:ss.s plus a zone designator (Z or +hh:mm / -hh:mm), which is required once a time is given.
W3C_DATETIME = re.compile(
    r"(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
    r"(?:T(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?P<fraction>\.\d+)?)?"
    r"(?P<zone>Z|[+-]\d{2}:\d{2}))?)?)?",
    re.ASCII,
)


def parse_w3c(value: str) -> tuple[dt.datetime, str] | None:
    """The moment a W3C datetime names and its precision (`year`, `month`, `day` or `time`); a date
    without a time is the start of that period in Shanghai."""
    match = W3C_DATETIME.fullmatch(value.strip())
    if match is None:
        return None
    part = match.groupdict()
    try:
        if part["hour"] is None:
            day = dt.date(int(part["year"]), int(part["month"] or 1), int(part["day"] or 1))
            precision = "day" if part["day"] else "month" if part["month"] else "year"
            return dt.datetime.combine(day, dt.time(), SHANGHAI), precision
        zone = part["zone"]
        offset = (
            dt.timedelta()
            if zone == "Z"
            else int(zone[0] + "1") * dt.timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
        )
        moment = dt.datetime(
            int(part["year"]),
            int(part["month"]),
            int(part["day"]),
            int(part["hour"]),
            int(part["minute"]),
            int(part["second"] or 0),
            int((part["fraction"] or ".")[1:7].ljust(6, "0")),  # microseconds; finer digits are dropped
            dt.timezone(offset),
        )
    except (ValueError, OverflowError):  # 2024-02-30, 25:00, an offset of 24 hours or more
        return None
    return moment, "time"


def _w3c_param(name: str, value: str | None) -> dt.datetime | None:
    if not value:
        return None
    parsed = parse_w3c(value)
    if parsed is None:
        raise Open311BadRequest(f"{name} must be a W3C datetime such as 2026-07-16T19:20+08:00")
    return parsed[0]


def query_range(
    start: dt.datetime | None, end: dt.datetime | None, now: dt.datetime
) -> tuple[dt.datetime, dt.datetime | None]:
    """The searched range: at most 90 days; one bound alone means the 90 days next to it."""
    if start is None and end is None:
        return now - DEFAULT_WINDOW, None
    if start is None:
        assert end is not None
        return end - DEFAULT_WINDOW, end
    if end is None:
        return start, start + DEFAULT_WINDOW
    if end < start:
        raise Open311BadRequest("end_date is before start_date")
    if end - start > DEFAULT_WINDOW:
        raise Open311BadRequest("start_date to end_date may span at most 90 days")
    return start, end


async def requests(
    uow: UnitOfWork,
    identity: Identity | None,
    *,
    service_request_id: str | None,
    service_code_filter: str | None,
    start_date: str | None,
    end_date: str | None,
    status: str | None,
    now: dt.datetime,
) -> list[dict[str, Any]]:
    """Requests the caller may see: by ids (overriding every other filter), else the last 90 days, max 1000."""
    ids = None
    if service_request_id:
        try:
            ids = [uuid.UUID(part.strip()) for part in service_request_id.split(",") if part.strip()]
        except ValueError as exc:
            raise Open311BadRequest("service_request_id must be request ids") from exc
    type_ids = [_parse_code(part.strip()) for part in service_code_filter.split(",")] if service_code_filter else None
    statuses = None
    if status:
        wanted = {part.strip() for part in status.split(",")}
        if not wanted <= {"open", "closed"}:
            raise Open311BadRequest("status must be open or closed")
        statuses = (OPEN_STATUSES if "open" in wanted else []) + (sorted(CLOSED_STATUSES) if "closed" in wanted else [])
    start, end = query_range(_w3c_param("start_date", start_date), _w3c_param("end_date", end_date), now)
    repository = uow.repository(Open311Repository)
    rows = await repository.requests(
        identity, ids=ids, type_ids=type_ids, statuses=statuses, start=start, end=end, limit=MAX_RECORDS
    )
    notes = await repository.last_notes([row.id for row in rows])
    return [request_entry(row, notes, identity) for row in rows]


async def one_request(uow: UnitOfWork, identity: Identity | None, request_id: str) -> list[dict[str, Any]]:
    """One request as a one-element list (as the specification returns it)."""
    try:
        wanted = uuid.UUID(request_id)
    except ValueError as exc:
        raise ServiceCodeNotFound("no such service_request_id") from exc
    repository = uow.repository(Open311Repository)
    rows = await repository.requests(
        identity, ids=[wanted], type_ids=None, statuses=None, start=None, end=None, limit=1
    )
    if not rows:
        raise ServiceCodeNotFound("no such service_request_id")
    notes = await repository.last_notes([rows[0].id])
    return [request_entry(rows[0], notes, identity)]


def _day_of(code: str, value: str) -> str:
    """The Shanghai calendar day a W3C datetime falls on (`1997-07-16T19:20+01:00` is 1997-07-17 there)."""
    parsed = parse_w3c(value)
    if parsed is None or parsed[1] in ("year", "month"):
        raise AnswersInvalid(
            Text("请检查表单中标出的字段", "Check the marked answers"),
            errors=[{"detail": "must be a W3C datetime naming a day", "pointer": f"/answers/{code}"}],
        )
    return parsed[0].astimezone(SHANGHAI).date().isoformat()


def _attributes(form: list[dict[str, Any]], fields: list[tuple[str, str]]) -> dict[str, Any]:
    """`attribute[code]=v` and `attribute[code][]=v` fields, typed by the form."""
    kinds = {attribute["code"]: attribute["datatype"] for attribute in form}
    answers: dict[str, Any] = {}
    for name, value in fields:
        if not (name.startswith("attribute[") and "]" in name):
            continue
        code = name[len("attribute[") : name.index("]")]
        kind = kinds.get(code)
        if kind == "multi_choice":
            answers.setdefault(code, []).append(value)
        elif kind == "date":  # offered as an Open311 `datetime`: any W3C form naming a day
            answers[code] = _day_of(code, value)
        elif kind == "number":
            try:
                answers[code] = int(value) if value.lstrip("-").isdigit() else float(value)
            except ValueError:
                answers[code] = value  # the form check reports it
        else:
            answers[code] = value
    return answers


async def submit(
    uow: UnitOfWork,
    identity: Identity,
    fields: list[tuple[str, str]],
    now: dt.datetime,
) -> list[dict[str, Any]]:
    """POST requests, for the caller: the route allows the requester roles of `POST /v1/service-requests`,
    and the requests service checks the type's roles and the caller's community as it does there."""
    form = dict(fields)
    code = form.get("service_code")
    if not code:
        raise Open311BadRequest("service_code is required")
    service_type = await uow.repository(Open311Repository).service(_parse_code(code))
    if service_type is None or not service_type.active:
        raise ServiceCodeNotFound()
    try:
        lat = float(form["lat"]) if form.get("lat") else None
        lon = float(form["long"]) if form.get("long") else None
        location = Location(
            lat=lat,
            lon=lon,
            address=form.get("address_string") or None,
            building_id=uuid.UUID(form["address_id"]) if form.get("address_id") else None,
        )
    except ValueError as exc:
        raise Open311BadRequest("lat, long or address_id is malformed") from exc
    if (lat is None or lon is None) and location.address is None and location.building_id is None:
        raise Open311BadRequest("a location is required: lat and long, address_string or address_id")
    body = RequestCreate(
        type_id=service_type.id,
        description=(form.get("description") or service_type.name_zh)[:4000],
        location=location,
        attachments=[Attachment(ref=form["media_url"][:500])] if form.get("media_url") else [],
    )
    created = await submission.submit(uow, identity, body, now, answers=_attributes(service_type.form, fields))
    return [{"service_request_id": str(created.id), "service_notice": None, "account_id": None}]


def check_format(format_: str) -> str:
    """`json` or `xml`; anything else is 404 like an unknown path."""
    if format_ not in FORMATS:
        raise UnknownFormat()
    return format_
