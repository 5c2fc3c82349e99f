"""The grid-event loop: every transition comes from the table, is role-checked, and writes history alongside."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from grid.access import in_grid, visible_grids
from grid.events.exceptions import (
    EventNotFound,
    EventTransitionInvalid,
    EventTransitionNotAllowed,
    NoPendingExtension,
)
from grid.events.models import GridEvent, GridEventHistory
from grid.events.repository import EventRepository
from grid.events.schemas import EventCreate, EventDetail, EventHistoryRead, EventRead, EventTransition
from grid.events.transitions import EVENT_TRANSITIONS, INITIAL, EventStep
from grid.grids.exceptions import GridNotFound
from grid.grids.repository import GridRepository
from grid.outbox import emit
from grid.workers.exceptions import WorkerNotFound
from grid.workers.repository import WorkerRepository
from shared.auth import Identity, Role
from shared.db import utcnow
from shared.errors import Forbidden
from shared.i18n import Text
from shared.uow import UnitOfWork

RED_AFTER = dt.timedelta(hours=48)
LEVEL_RANK = {"normal": 0, "yellow": 1, "red": 2}


def due_level(event: GridEvent, now: dt.datetime) -> str:
    """The supervision level the deadline calls for right now."""
    if event.status not in ("dispatched", "handling") or event.deadline is None or event.deadline >= now:
        return "normal"
    return "red" if now - event.deadline > RED_AFTER else "yellow"


def present(event: GridEvent, now: dt.datetime | None = None) -> EventRead:
    now = now or utcnow()
    level = max(event.supervision_level, due_level(event, now), key=LEVEL_RANK.__getitem__)
    read = EventRead.model_validate(event)
    return read.model_copy(update={"supervision_level": level, "overdue": due_level(event, now) != "normal"})


async def _detail(uow: UnitOfWork, event: GridEvent) -> EventDetail:
    history = await uow.repository(EventRepository).history(event.id)
    return EventDetail(**present(event).model_dump(), history=[EventHistoryRead.model_validate(h) for h in history])


def _acting_role(identity: Identity, roles: Sequence[Role]) -> str:
    for role in (Role.platform_admin, Role.community_staff, Role.grid_worker, Role.enterprise_rep):
        if role in identity.roles and role in roles:
            return str(role)
    return sorted(identity.roles)[0]


async def report_event(uow: UnitOfWork, identity: Identity, body: EventCreate) -> EventRead:
    """Report an event: staff in their community, grid workers in their grids, enterprises in their community."""
    parent_id = None
    if body.grid_id is not None:
        grid = await uow.repository(GridRepository).get(body.grid_id)
        if grid is None or grid.community_id != body.community_id:
            raise GridNotFound()
        parent_id = grid.parent_id
    allowed = identity.staff_of(body.community_id)
    if not allowed and Role.grid_worker in identity.roles and body.grid_id is not None:
        allowed = in_grid(identity, body.community_id, body.grid_id, parent_id)
    channel, enterprise_id = body.source_channel, None
    if not allowed and Role.enterprise_rep in identity.roles and body.community_id in identity.community_ids:
        allowed, channel, enterprise_id = True, "enterprise", identity.enterprise_id
    if not allowed:
        raise Forbidden(Text("只能上报本社区或本网格的事件", "You may report only in your own community or grids"))
    event = GridEvent(
        **body.model_dump(exclude={"source_channel"}),
        source_channel=channel,
        enterprise_id=enterprise_id,
        reporter_subject=identity.subject,
        status=INITIAL,
    )
    event = await uow.repository(EventRepository).add(event)
    await uow.repository(EventRepository).add_history(
        GridEventHistory(
            event_id=event.id,
            action="report",
            from_status=INITIAL,
            to_status=INITIAL,
            actor=identity.subject,
            actor_role=_acting_role(identity, (Role.platform_admin, Role.community_staff, Role.grid_worker)),
            data={"source_channel": channel},
        )
    )
    return present(event)


async def get_event(uow: UnitOfWork, identity: Identity, event_id: uuid.UUID) -> EventDetail:
    """Staff, workers of its grid, its handler, or its reporter."""
    return await _detail(uow, await load_event(uow, identity, event_id))


async def load_event(
    uow: UnitOfWork, identity: Identity, event_id: uuid.UUID, *, for_update: bool = False
) -> GridEvent:
    """The event, for staff of its community, workers of its grid, or its handler."""
    event = await uow.repository(EventRepository).get(event_id, for_update=for_update)
    if event is None:
        raise EventNotFound()
    if identity.staff_of(event.community_id) or await _in_event_grid(uow, identity, event):
        return event
    if await _is_handler(uow, identity, event) or event.reporter_subject == identity.subject:
        return event
    if event.enterprise_id is not None and Role.enterprise_rep in identity.roles:
        if event.enterprise_id == identity.enterprise_id:  # a resident's report names the enterprise
            return event
    raise Forbidden(Text("只能查看自己网格的事件", "You may see only events of your own grids"))


async def _in_event_grid(uow: UnitOfWork, identity: Identity, event: GridEvent) -> bool:
    if event.grid_id is None or Role.grid_worker not in identity.roles:
        return False
    grid = await uow.repository(GridRepository).get(event.grid_id)
    return grid is not None and in_grid(identity, event.community_id, grid.id, grid.parent_id)


async def _is_handler(uow: UnitOfWork, identity: Identity, event: GridEvent) -> bool:
    if event.handler_type != "grid_worker" or event.handler_worker_id is None:
        return False
    worker = await uow.repository(WorkerRepository).get(event.handler_worker_id)
    return worker is not None and worker.user_subject == identity.subject


async def _may_take(uow: UnitOfWork, identity: Identity, event: GridEvent, step: EventStep) -> bool:
    if identity.roles.isdisjoint(step.roles):
        return False
    if identity.staff_of(event.community_id):
        return True
    if Role.grid_worker not in identity.roles or Role.grid_worker not in step.roles:
        return False
    if step.handler_only:
        return await _is_handler(uow, identity, event)
    # an escalated event belongs to the community; the grid no longer moves it
    return not event.escalated and await _in_event_grid(uow, identity, event)


async def transition(uow: UnitOfWork, identity: Identity, event_id: uuid.UUID, body: EventTransition) -> EventDetail:
    """Apply one action from the transition table under a row lock; history in the same transaction."""
    event = await load_event(uow, identity, event_id, for_update=True)
    step = EVENT_TRANSITIONS[body.action]
    if not await _may_take(uow, identity, event, step):
        raise Forbidden(Text("无权对该事件执行此操作", "You may not take this action on this event"))
    if event.status not in step.sources:
        raise EventTransitionNotAllowed(
            Text(f"事件当前为 {event.status}", f"The event is {event.status}"),
            extra={"status_now": event.status, "allowed_from": list(step.sources)},
        )
    now = utcnow()
    previous = event.status
    data = await _apply(uow, event, body, now)
    if step.target is not None:
        event.status = step.target
    await uow.flush()
    await uow.repository(EventRepository).add_history(
        GridEventHistory(
            event_id=event.id,
            action=body.action,
            from_status=previous,
            to_status=event.status,
            actor=identity.subject,
            actor_role=_acting_role(identity, step.roles),
            note=body.note,
            data=data,
        )
    )
    if body.action == "dispatch":
        await _notice(uow, "GridEventDispatched", event, handler_type=event.handler_type)
    return await _detail(uow, event)


async def _notice(uow: UnitOfWork, event_type: str, event: GridEvent, **extra: object) -> None:
    """A grid-event event naming its handling worker by subject (if a worker handles it), never by name."""
    worker = await uow.repository(WorkerRepository).get(event.handler_worker_id) if event.handler_worker_id else None
    payload = {
        "event_id": str(event.id),
        "community_id": str(event.community_id),
        "grid_id": str(event.grid_id) if event.grid_id else None,
        "title": event.title,
        "deadline": event.deadline.isoformat() if event.deadline else None,
        "worker_subject": worker.user_subject if worker else None,
        "reporter_subject": event.reporter_subject,
        **extra,
    }
    await emit(uow, event_type, "grid_event", event.id, payload)


async def _apply(uow: UnitOfWork, event: GridEvent, body: EventTransition, now: dt.datetime) -> dict[str, object]:
    """The action's own effect on the event; returns what the history should remember."""
    if body.action == "dispatch":
        if body.handler is None or body.deadline is None:
            raise EventTransitionInvalid(Text("派遣需指定处置方和期限", "Dispatch needs a handler and a deadline"))
        if body.deadline <= now:
            raise EventTransitionInvalid(Text("期限须晚于当前时间", "The deadline must be in the future"))
        handler = body.handler
        if handler.type == "grid_worker":
            worker = await uow.repository(WorkerRepository).get(handler.worker_id) if handler.worker_id else None
            if worker is None or worker.community_id != event.community_id:
                raise WorkerNotFound()
            event.handler_worker_id, event.handler_name = worker.id, worker.name
        else:
            if not handler.name:
                raise EventTransitionInvalid(Text("请填写处置单位名称", "Name the department or station"))
            event.handler_worker_id, event.handler_name = None, handler.name
        event.handler_type = handler.type
        event.deadline = body.deadline
        event.dispatched_at = now
        return {"handler": handler.model_dump(mode="json"), "deadline": body.deadline.isoformat()}
    if body.action == "escalate":
        event.escalated = True
        return {"escalated": True}
    if body.action == "request_extension":
        if body.requested_deadline is None or event.deadline is None or body.requested_deadline <= event.deadline:
            raise EventTransitionInvalid(Text("延期须晚于现有期限", "Ask for a deadline later than the current one"))
        event.extension_requested_until = body.requested_deadline
        event.extension_reason = body.note
        return {"requested_deadline": body.requested_deadline.isoformat()}
    if body.action == "decide_extension":
        if event.extension_requested_until is None:
            raise NoPendingExtension()
        if body.approve is None:
            raise EventTransitionInvalid(Text("请给出审批结果", "Say whether the extension is approved"))
        requested = event.extension_requested_until
        if body.approve:
            event.deadline = requested
            if requested > now:
                event.supervision_level = "normal"
        event.extension_requested_until, event.extension_reason = None, None
        return {"approved": body.approve, "requested_deadline": requested.isoformat()}
    if body.action == "close":
        if body.evaluation is None:
            raise EventTransitionInvalid(Text("结案须附评价", "Closing needs an evaluation"))
        event.evaluation_rating = body.evaluation.rating
        event.evaluation_comment = body.evaluation.comment
        event.closed_at = now
        return {"evaluation": body.evaluation.model_dump()}
    if body.action == "send_back":
        return {"reason": body.note}
    return {}


async def list_events(
    uow: UnitOfWork,
    identity: Identity,
    community_id: uuid.UUID,
    *,
    status: str | None,
    overdue: bool,
    after: tuple[dt.datetime, uuid.UUID] | None,
    limit: int,
) -> list[EventRead]:
    grid_ids = visible_grids(identity, community_id)
    now = utcnow()
    events = await uow.repository(EventRepository).list_filtered(
        community_id=community_id,
        grid_ids=grid_ids,
        status=status,
        overdue_at=now if overdue else None,
        after=after,
        limit=limit,
    )
    return [present(event, now) for event in events]


async def raise_supervision(uow: UnitOfWork, now: dt.datetime | None = None) -> int:
    """Raise the supervision level of overdue events (yellow, then red after 48 h), with history rows."""
    now = now or utcnow()
    raised = 0
    repository = uow.repository(EventRepository)
    for event in await repository.late_for_update(now):
        level = due_level(event, now)
        if LEVEL_RANK[level] <= LEVEL_RANK[event.supervision_level]:
            continue
        previous_level = event.supervision_level
        event.supervision_level = level
        await uow.flush()
        await repository.add_history(
            GridEventHistory(
                event_id=event.id,
                action="supervise",
                from_status=event.status,
                to_status=event.status,
                actor="service:grid",
                actor_role="service",
                note=None,
                data={"from_level": previous_level, "to_level": level},
            )
        )
        await _notice(uow, "SupervisionFlagged", event, level=level, from_level=previous_level)
        raised += 1
    return raised
