"""Periodic jobs of requests (escalation, deadline notices, auto-closing); recomputing after a calendar change."""

from __future__ import annotations

import datetime as dt
from typing import Any

from service_requests.requests import workflow
from service_requests.requests.models import ServiceRequest
from service_requests.requests.ratings import RETURN_VISIT_WORKING_DAYS
from service_requests.requests.repository import RequestRepository
from service_requests.requests.transitions import RECTIFICATION_WORKING_DAYS, SYSTEM_SUBJECT, move, new_event, people
from service_requests.requests.workflow import Action
from service_requests.working_calendar import SHANGHAI, Deadline, DeadlineUnit, WorkingCalendar
from shared.uow import UnitOfWork

AUTO_CLOSE_AFTER = dt.timedelta(days=7)


async def escalate_due(uow: UnitOfWork, now: dt.datetime, batch: int = 200) -> int:
    """Escalate open requests at 1x and 3x their resolve deadline: timeline row and RequestOverdue event."""
    repository = uow.repository(RequestRepository)
    rows = await repository.due_for_escalation(now, batch)
    for row in rows:
        allowed = row.resolve_due_at - row.clock_started_at
        reached = 2 if row.clock_started_at + allowed * 3 <= now else 1
        for level in range(row.escalation_level + 1, reached + 1):
            repository.add_event(
                new_event(
                    row,
                    "escalation",
                    SYSTEM_SUBJECT,
                    "system",
                    now,
                    body=None,
                    internal=False,
                    data={"level": level, "multiple": 3 if level == 2 else 1},
                )
            )
            await repository.record(
                "RequestOverdue",
                row.id,
                {
                    "request_id": str(row.id),
                    "level": level,
                    "multiple": 3 if level == 2 else 1,
                    "resolve_due_at": row.resolve_due_at.isoformat(),
                    "community_id": str(row.community_id),
                    "routed_partner_id": str(row.routed_partner_id) if row.routed_partner_id else None,
                    **people(row),
                },
            )
        row.escalation_level = reached
    visits = await repository.return_visits_overdue(now, batch)
    for row in visits:
        due = row.return_visit_due_at
        assert due is not None  # the query selects only requests that owe a visit
        data = {"deadline": "return_visit", "return_visit_due_at": due.isoformat()}
        repository.add_event(
            new_event(row, "escalation", SYSTEM_SUBJECT, "system", now, body=None, internal=False, data=data)
        )
        await repository.record(
            "RequestReturnVisitOverdue",
            row.id,
            {"request_id": str(row.id), "community_id": str(row.community_id), **data, **people(row)},
        )
        row.return_visit_escalated = True
    await repository.flush()
    return len(rows) + len(visits)


async def notice_deadlines_approaching(uow: UnitOfWork, now: dt.datetime, batch: int = 200) -> int:
    """RequestDeadlineApproaching once per deadline (acknowledge, resolve) when 80% of its time has passed."""
    repository = uow.repository(RequestRepository)
    claimed = await repository.claim_deadline_notices(now, batch)
    for kind, row in claimed:
        due = row.acknowledge_due_at if kind == "acknowledge" else row.resolve_due_at
        await repository.record(
            "RequestDeadlineApproaching",
            row.id,
            {
                "request_id": str(row.id),
                "deadline": kind,
                "due_at": due.isoformat(),
                "community_id": str(row.community_id),
                "routed_partner_id": str(row.routed_partner_id) if row.routed_partner_id else None,
                **people(row),
            },
        )
    return len(claimed)


async def close_unrated(uow: UnitOfWork, now: dt.datetime, batch: int = 200) -> int:
    """Close resolved requests nobody rated within 7 days."""
    repository = uow.repository(RequestRepository)
    rows = await repository.unrated_since(now - AUTO_CLOSE_AFTER, batch)
    rule = workflow.BY_ACTION[Action.close]
    for row in rows:
        await move(repository, row, rule, actor=SYSTEM_SUBJECT, role="system", reason="7 天未评价自动关闭", now=now)
    return len(rows)


def _pending_return_visit(row: ServiceRequest, calendar: WorkingCalendar) -> Deadline | None:
    """The return visit owed since the bad rating, as `calendar` counts it; None when none is owed."""
    if row.return_visit_due_at is None or row.return_visited_at is not None or row.rated_at is None:
        return None
    return calendar.add_working_days(row.rated_at, RETURN_VISIT_WORKING_DAYS)


def _running_deadlines(row: ServiceRequest, calendar: WorkingCalendar) -> tuple[Deadline | None, Deadline]:
    """The acknowledge (while unmet) and resolve deadlines as `calendar` counts them, pauses left out."""
    policy = row.type_snapshot["deadlines"]
    acknowledge = None
    if row.acknowledged_at is None:
        unit = DeadlineUnit(policy["acknowledge"]["unit"])
        acknowledge = calendar.deadline(row.created_at, policy["acknowledge"]["amount"], unit)
    if row.reopen_count > 0:  # the rectification clock of a reopened request
        resolve = calendar.add_working_days(row.clock_started_at, RECTIFICATION_WORKING_DAYS)
    else:
        resolve = calendar.deadline(
            row.clock_started_at, policy["resolve"]["amount"], DeadlineUnit(policy["resolve"]["unit"])
        )
    return acknowledge, resolve


async def recompute_deadlines(
    uow: UnitOfWork, before: WorkingCalendar, after: WorkingCalendar, year: int, now: dt.datetime
) -> int:
    """Recompute the running deadlines a calendar change touches; each change is a `deadline` timeline row.

    The resolve deadline moves by the difference between the two calendars' counts, so time already
    spent waiting for the requester stays added. Returns how many requests changed.
    """
    repository = uow.repository(RequestRepository)
    start = dt.datetime.combine(dt.date(year, 1, 1), dt.time(0), tzinfo=SHANGHAI)
    end = dt.datetime.combine(dt.date(year + 1, 1, 1), dt.time(0), tzinfo=SHANGHAI)
    changed = 0
    for row in await repository.running_deadlines_reaching(start, end):
        _, old_resolve = _running_deadlines(row, before)
        new_acknowledge, new_resolve = _running_deadlines(row, after)
        new_visit = _pending_return_visit(row, after)
        acknowledge_due_at = new_acknowledge.due_at if new_acknowledge is not None else row.acknowledge_due_at
        resolve_due_at = row.resolve_due_at + (new_resolve.due_at - old_resolve.due_at)
        return_visit_due_at = new_visit.due_at if new_visit is not None else row.return_visit_due_at
        provisional = any(
            deadline is not None and deadline.provisional for deadline in (new_resolve, new_acknowledge, new_visit)
        )
        moves = {
            "acknowledge_due_at": (row.acknowledge_due_at, acknowledge_due_at),
            "resolve_due_at": (row.resolve_due_at, resolve_due_at),
            "return_visit_due_at": (row.return_visit_due_at, return_visit_due_at),
            "provisional": (row.deadlines_provisional, provisional),
        }
        if all(old == new for old, new in moves.values()):
            continue
        data = {
            "reason": "calendar_loaded",
            "year": year,
            **{
                name: {"from": _json_value(old), "to": _json_value(new)}
                for name, (old, new) in moves.items()
                if old != new
            },
        }
        row.acknowledge_due_at = acknowledge_due_at
        row.resolve_due_at = resolve_due_at
        row.return_visit_due_at = return_visit_due_at
        row.deadlines_provisional = provisional
        row.updated_at = now
        repository.add_event(
            new_event(
                row,
                "deadline",
                SYSTEM_SUBJECT,
                "system",
                now,
                body=f"{year} 年工作日历已加载,期限重算 / the {year} working-day calendar was loaded",
                internal=False,
                data=data,
            )
        )
        await repository.flush()
        await repository.record(
            "RequestDeadlinesRecomputed",
            row.id,
            {"request_id": str(row.id), "community_id": str(row.community_id), "version": row.version, **data},
        )
        changed += 1
    return changed


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.datetime) else value
