"""Who may export what, and the rows of each export (Chinese headers, one row per record).

Each export checks the caller in the request's unit of work, then reads its rows in a unit of work
of its own that lives as long as the stream (the request's is committed before the body is sent).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Sequence

from service_requests.activities.exceptions import ActivityNotFound
from service_requests.activities.repository import ActivityRepository
from service_requests.activities.service import can_see
from service_requests.exports.repository import ExportRepository
from service_requests.requests import queries
from service_requests.requests.repository import shanghai_midnight
from shared.auth import Identity
from shared.db import utcnow
from shared.errors import Forbidden
from shared.exports import Cell, Export, check_export_range
from shared.i18n import Text
from shared.uow import UnitOfWork, unit_of_work

REQUEST_HEADERS = (
    "请求编号",
    "服务事项",
    "服务类别",
    "场景",
    "企业",
    "状态",
    "提交时间",
    "受理期限",
    "受理时间",
    "办结期限",
    "办结时间",
    "是否超期",
    "经办人",
    "评价",
    "评价意见",
    "回访时间",
    "追评",
    "诉求内容",
)
ROSTER_HEADERS = ("序号", "状态", "候补顺位", "报名人", "企业", "报名时间")
STATS_HEADERS = ("指标", "分项", "数值")
STATUS_ZH = {"enrolled": "已报名", "waitlisted": "候补"}


def _require_staff(identity: Identity, community_id: uuid.UUID) -> None:
    if not identity.staff_of(community_id):
        raise Forbidden(Text("只能导出本社区的数据", "You may export only your own community's records"))


async def requests(
    uow: UnitOfWork, identity: Identity, community_id: uuid.UUID, start: dt.date, end: dt.date
) -> Export:
    """The community's requests created from `start` to `end` (Shanghai dates, inclusive)."""
    check_export_range(start, end)
    _require_staff(identity, community_id)
    app, now = uow.app, utcnow()

    async def rows() -> AsyncIterator[Sequence[Cell]]:
        async with unit_of_work(app) as reader:
            found = reader.repository(ExportRepository).requests(
                community_id, shanghai_midnight(start), shanghai_midnight(end + dt.timedelta(days=1)), now
            )
            async for row in found:
                yield tuple(row)

    return Export(filename=f"服务请求_{start}_{end}", headers=REQUEST_HEADERS, rows=rows(), sheet="服务请求")


async def statistics(
    uow: UnitOfWork, identity: Identity, community_id: uuid.UUID, start: dt.date, end: dt.date
) -> Export:
    """The community's request statistics for the range as rows of (metric, breakdown, value)."""
    check_export_range(start, end)
    figures = await queries.stats(uow, identity, community_id, start, end)
    lines: list[Sequence[Cell]] = [
        ("请求总数", "", figures.total),
        ("超期未办结", "", figures.overdue),
        ("按时受理率", "", figures.acknowledged_on_time_rate),
        ("按时办结率", "", figures.resolved_on_time_rate),
        ("平均办结时长（小时）", "", figures.average_resolve_hours),
        ("办结时长中位数（小时）", "", figures.median_resolve_hours),
        ("满意率", "", figures.satisfaction_rate),
        ("好评率", "", figures.good_rating_rate),
        ("平均评分", "", figures.average_rating),
        ("差评数", "", figures.bad_ratings),
    ]
    lines += [("按状态", item.key, item.count) for item in figures.by_status]
    lines += [("按类别", item.key, item.count) for item in figures.by_category]
    lines += [("评分分布", item.key, item.count) for item in figures.rating_grades]

    async def rows() -> AsyncIterator[Sequence[Cell]]:
        for line in lines:
            yield line

    return Export(filename=f"服务统计_{start}_{end}", headers=STATS_HEADERS, rows=rows(), sheet="服务统计")


async def roster(uow: UnitOfWork, identity: Identity, activity_id: uuid.UUID) -> Export:
    """An activity's seats and waiting list, for staff of its community."""
    activity = await uow.repository(ActivityRepository).get(activity_id)
    if activity is None or not can_see(identity, activity.community_id):
        raise ActivityNotFound()
    _require_staff(identity, activity.community_id)
    app = uow.app

    async def rows() -> AsyncIterator[Sequence[Cell]]:
        async with unit_of_work(app) as reader:
            number, waiting = 0, 0
            async for row in reader.repository(ExportRepository).roster(activity_id):
                number += 1
                waiting += row.status == "waitlisted"
                position = waiting if row.status == "waitlisted" else None
                yield (number, STATUS_ZH[row.status], position, row.subject, row.enterprise_id, row.created_at)

    title = activity.title.replace("/", "_")
    return Export(filename=f"活动名单_{title}", headers=ROSTER_HEADERS, rows=rows(), sheet="报名名单")
