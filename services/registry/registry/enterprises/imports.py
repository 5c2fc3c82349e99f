"""Bulk import of enterprises from CSV: every row is validated, then all are imported or none.

Headers may be the English field names or their Chinese labels. Row numbers are the file's
line numbers (the header is line 1), so an operator can find the row in a spreadsheet.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import uuid
from collections.abc import Callable
from typing import Any

from pydantic import Field, ValidationError

from registry.buildings.repository import BuildingRepository
from registry.common import emit_many, period
from registry.enterprises.exceptions import ImportRejected
from registry.enterprises.repository import EnterpriseRepository
from registry.enterprises.schemas import EnterpriseFields, EnterpriseSummary, ImportResult
from registry.enterprises.uscc import USCC, is_valid
from shared.auth import Identity, Role
from shared.dates import business_today
from shared.i18n import Text
from shared.uow import UnitOfWork

HEADERS = {
    "uscc": ("统一社会信用代码", "信用代码"),
    "name": ("企业名称", "名称"),
    "legal_representative": ("法定代表人",),
    "registered_address": ("注册地址",),
    "operating_address": ("经营地址",),
    "industry_section": ("行业门类",),
    "industry_code": ("行业代码",),
    "registered_capital": ("注册资本(万元)", "注册资本（万元）", "注册资本"),
    "contact_name": ("联系人",),
    "contact_phone": ("联系电话",),
    "active_from": ("成立日期", "登记日期"),
    "building_id": ("楼宇ID", "楼宇编号"),
    "floor": ("楼层",),
    "unit": ("房号", "单元"),
    "valid_from": ("入驻日期",),
}
LABELS = {label: field for field, labels in HEADERS.items() for label in (field, *labels)}
REQUIRED = ("uscc", "name", "legal_representative", "industry_section")
EXAMPLE = (
    "统一社会信用代码,企业名称,法定代表人,行业门类,行业代码,联系电话\n"
    "91110000802100433B,杭州星光数字科技有限公司,张三,I,6513,13800000000\n"
)
MAX_ROWS = 200_000
Progress = Callable[[int], None]


class ImportRow(EnterpriseFields):
    uscc: USCC
    registered_capital: float | None = Field(None, ge=0)  # CSV cells are text: converted here, strict in JSON
    active_from: dt.date | None = None
    building_id: uuid.UUID | None = None
    floor: str | None = None
    unit: str | None = None
    valid_from: dt.date | None = None


def _error(row: int, field: str | None, detail: str, code: str) -> dict[str, Any]:
    item: dict[str, Any] = {"row": row, "detail": detail, "code": code}
    if field is not None:
        item["field"] = field
    return item


@dataclasses.dataclass
class Parsed:
    rows: list[tuple[int, ImportRow]] = dataclasses.field(default_factory=list)
    errors: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    codes: list[tuple[int, str]] = dataclasses.field(default_factory=list)  # every well-formed USCC, good row or not


def parse(content: str) -> Parsed:
    """Parse and validate every row on its own; returns the good rows and every error."""
    reader = csv.reader(io.StringIO(content))
    header = next(reader, None)
    parsed = Parsed()
    errors = parsed.errors
    if not header or not any(cell.strip() for cell in header):
        errors.append(_error(1, None, "the file is empty; the first line must name the columns", "EMPTY_FILE"))
        return parsed
    fields: list[str | None] = []
    for number, cell in enumerate(header, start=1):
        name = LABELS.get(cell.strip().lstrip("\ufeff"))
        if name is None and cell.strip():  # named by position: an error never echoes the file's text
            errors.append(_error(1, f"column {number}", "unknown column", "UNKNOWN_COLUMN"))
        fields.append(name)
    missing = [name for name in REQUIRED if name not in fields]
    errors.extend(_error(1, name, "required column is missing", "MISSING_COLUMN") for name in missing)
    if errors:
        return parsed
    rows = parsed.rows
    for line, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(rows) + len(errors) >= MAX_ROWS:
            errors.append(_error(line, None, f"at most {MAX_ROWS} rows per import", "TOO_MANY_ROWS"))
            break
        if len(cells) > len(fields):
            errors.append(_error(line, None, "more cells than columns", "TOO_MANY_CELLS"))
            continue
        values = {name: cell.strip() for name, cell in zip(fields, cells, strict=False) if name and cell.strip()}
        code = str(values.get("uscc", "")).upper()
        if is_valid(code):
            parsed.codes.append((line, code))
        try:
            rows.append((line, ImportRow.model_validate(values)))
        except ValidationError as exc:
            for item in exc.errors(include_input=False, include_url=False):
                name = str(item["loc"][0]) if item["loc"] else None
                errors.append(_error(line, name, item["msg"], item["type"].upper()))
    return parsed


async def check(
    uow: UnitOfWork, identity: Identity, parsed: Parsed
) -> tuple[dict[uuid.UUID, uuid.UUID], list[dict[str, Any]]]:
    """Checks that need the database: duplicates, buildings, and the caller's community scope."""
    errors: list[dict[str, Any]] = []
    first_line: dict[str, int] = {}
    for line, code in parsed.codes:
        if code in first_line:
            errors.append(_error(line, "uscc", f"same USCC as row {first_line[code]}", "DUPLICATE_IN_FILE"))
        else:
            first_line[code] = line
    taken = await uow.repository(EnterpriseRepository).existing_usccs(list(first_line)) if first_line else set()
    errors.extend(
        _error(line, "uscc", "already registered", "USCC_TAKEN") for line, code in parsed.codes if code in taken
    )
    rows = parsed.rows
    today = business_today()
    building_ids = sorted({row.building_id for _, row in rows if row.building_id is not None})
    communities = await uow.repository(BuildingRepository).communities_on(building_ids, today) if building_ids else {}
    is_admin = Role.platform_admin in identity.roles
    for line, row in rows:
        if row.building_id is None:
            if row.floor or row.unit or row.valid_from:
                errors.append(_error(line, "building_id", "a site needs its building", "SITE_INCOMPLETE"))
            elif not is_admin:
                errors.append(_error(line, "building_id", "community staff must give the building", "SITE_REQUIRED"))
            continue
        community_id = communities.get(row.building_id)
        if community_id is None:
            errors.append(_error(line, "building_id", "no such building in any community today", "BUILDING_NOT_FOUND"))
        elif not identity.staff_of(community_id):
            errors.append(_error(line, "building_id", "the building is not in your community", "FORBIDDEN"))
    return communities, errors


async def store(
    uow: UnitOfWork,
    rows: list[tuple[int, ImportRow]],
    communities: dict[uuid.UUID, uuid.UUID],
    progress: Progress | None = None,
    batch: int = 1000,
) -> list[EnterpriseSummary]:
    """Insert the checked rows with their status, sites and events, in batches (one transaction)."""
    today = business_today()
    stored: list[EnterpriseSummary] = []
    for start in range(0, len(rows), batch):
        chunk = [row for _, row in rows[start : start + batch]]
        enterprises: list[dict[str, Any]] = []
        statuses: list[dict[str, Any]] = []
        sites: list[dict[str, Any]] = []
        events: list[tuple[str, str, uuid.UUID, dict[str, Any]]] = []
        for row in chunk:
            enterprise_id = uuid.uuid4()
            fields = row.model_dump(include=set(EnterpriseFields.model_fields) | {"uscc"})
            enterprises.append({"id": enterprise_id, "status": "active", **fields})
            statuses.append(
                {"enterprise_id": enterprise_id, "status": "active", "during": period(row.active_from or today)}
            )
            events.append(
                (
                    "EnterpriseRegistered",
                    "enterprise",
                    enterprise_id,
                    {"enterprise_id": str(enterprise_id), "uscc": row.uscc, "name": row.name},
                )
            )
            if row.building_id is not None:
                valid_from = row.valid_from or today
                sites.append(
                    {
                        "enterprise_id": enterprise_id,
                        "building_id": row.building_id,
                        "floor": row.floor,
                        "unit": row.unit,
                        "during": period(valid_from),
                    }
                )
                payload = {
                    "enterprise_id": str(enterprise_id),
                    "building_id": str(row.building_id),
                    "community_id": str(communities[row.building_id]),
                    "floor": row.floor,
                    "unit": row.unit,
                    "valid_from": valid_from.isoformat(),
                    "valid_to": None,
                }
                events.append(("OccupancyStarted", "enterprise", enterprise_id, payload))
            stored.append(
                EnterpriseSummary(
                    id=enterprise_id,
                    uscc=row.uscc,
                    name=row.name,
                    industry_section=row.industry_section,
                    industry_code=row.industry_code,
                    status="active",
                )
            )
        await uow.repository(EnterpriseRepository).insert_bulk(enterprises, statuses, sites)
        await emit_many(uow, events)
        if progress is not None:
            progress(len(chunk))
    return stored


async def import_csv(
    uow: UnitOfWork, identity: Identity, content: str, progress: Progress | None = None
) -> ImportResult:
    """Import every row, or raise `ImportRejected` listing every bad row; nothing is written then."""
    parsed = parse(content)
    rows, errors = parsed.rows, parsed.errors
    communities: dict[uuid.UUID, uuid.UUID] = {}
    if parsed.codes or rows:
        communities, more = await check(uow, identity, parsed)
        errors.extend(more)
    if errors:
        errors.sort(key=lambda item: item["row"])
        bad_rows = len({item["row"] for item in errors})
        raise ImportRejected(
            Text(f"{bad_rows} 行有错误,未导入任何记录", f"{bad_rows} row(s) have errors; nothing was imported"),
            errors=errors,
            extra={"bad_rows": bad_rows},
        )
    if not rows:
        raise ImportRejected(errors=[_error(1, None, "no data rows", "EMPTY_FILE")], extra={"bad_rows": 0})
    stored = await store(uow, rows, communities, progress)
    return ImportResult(imported=len(stored), items=stored)
