"""Who may export the grid's records (staff of the community, admins) and the rows of each export.

Each export checks the caller in the request's unit of work, then reads its rows in a unit of work
of its own that lives as long as the stream (the request's is committed before the body is sent).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from sqlalchemy import Row

from grid.exports.repository import GridExportRepository
from shared.auth import Identity
from shared.dates import BUSINESS_ZONE, business_today
from shared.exports import Cell, Export, check_export_range
from shared.scope import require_staff
from shared.uow import UnitOfWork, unit_of_work

HAZARD_HEADERS = (
    "隐患编号",
    "网格",
    "楼宇",
    "楼层",
    "企业",
    "等级",
    "隐患描述",
    "整改期限",
    "状态",
    "是否超期",
    "上报人",
    "上报时间",
)
EVENT_HEADERS = (
    "事件编号",
    "网格",
    "来源渠道",
    "类别",
    "标题",
    "楼宇",
    "企业",
    "状态",
    "处置方类型",
    "处置方",
    "派遣时间",
    "处置期限",
    "督办等级",
    "评价",
    "结案时间",
    "上报时间",
)
INSPECTION_HEADERS = ("巡查编号", "网格", "楼宇", "楼层", "企业", "巡查日期", "巡查人", "发现问题数", "备注")
LEVEL_ZH = {"general": "一般", "major": "重大"}


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=BUSINESS_ZONE)


def _rows(
    app: Any,
    read: Callable[[GridExportRepository], AsyncIterator[Row[Any]]],
    shape: Callable[[Row[Any]], Sequence[Cell]],
) -> AsyncIterator[Sequence[Cell]]:
    async def rows() -> AsyncIterator[Sequence[Cell]]:
        async with unit_of_work(app) as reader:
            async for row in read(reader.repository(GridExportRepository)):
                yield shape(row)

    return rows()


def _check(identity: Identity, community_id: uuid.UUID, start: dt.date, end: dt.date) -> None:
    check_export_range(start, end)
    require_staff(identity, community_id)


async def hazards(uow: UnitOfWork, identity: Identity, community_id: uuid.UUID, start: dt.date, end: dt.date) -> Export:
    """The hazard ledger (隐患台账) of entries made from `start` to `end` (Shanghai dates, inclusive)."""
    _check(identity, community_id, start, end)
    today, since, until = business_today(), _midnight(start), _midnight(end + dt.timedelta(days=1))

    def shape(row: Row[Any]) -> Sequence[Cell]:
        values = list(row)
        values[5] = LEVEL_ZH.get(row.level, row.level)
        return values

    rows = _rows(uow.app, lambda repository: repository.hazards(community_id, since, until, today), shape)
    return Export(filename=f"隐患台账_{start}_{end}", headers=HAZARD_HEADERS, rows=rows, sheet="隐患台账")


async def events(uow: UnitOfWork, identity: Identity, community_id: uuid.UUID, start: dt.date, end: dt.date) -> Export:
    """Grid events reported from `start` to `end`."""
    _check(identity, community_id, start, end)
    since, until = _midnight(start), _midnight(end + dt.timedelta(days=1))
    rows = _rows(uow.app, lambda repository: repository.events(community_id, since, until), tuple)
    return Export(filename=f"网格事件_{start}_{end}", headers=EVENT_HEADERS, rows=rows, sheet="网格事件")


async def inspections(
    uow: UnitOfWork, identity: Identity, community_id: uuid.UUID, start: dt.date, end: dt.date
) -> Export:
    """Patrol visits made from `start` to `end`."""
    _check(identity, community_id, start, end)
    rows = _rows(uow.app, lambda repository: repository.inspections(community_id, start, end), tuple)
    return Export(filename=f"巡查记录_{start}_{end}", headers=INSPECTION_HEADERS, rows=rows, sheet="巡查记录")
