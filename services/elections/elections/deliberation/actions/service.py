"""Accountability: an adopted decision becomes an action (owner, due date) with progress updates visible to
the community; overdue actions are escalated once by the periodic job, as overdue requests are."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from elections.deliberation.access import ensure_staff, event
from elections.deliberation.actions.models import Action, ActionUpdate
from elections.deliberation.actions.repository import ActionRepository
from elections.deliberation.actions.schemas import ActionOut, ActionUpdateIn, ActionUpdateOut
from elections.deliberation.committee.models import Committee
from elections.deliberation.committee.service import load_committee
from elections.deliberation.exceptions import ActionDone, ActionNotFound
from elections.deliberation.meetings.models import MeetingItem
from shared.auth import Identity
from shared.dates import business_today
from shared.db import utcnow
from shared.errors import ValidationFailed
from shared.i18n import Text
from shared.pagination import Page, encode_cursor
from shared.uow import UnitOfWork


async def open_action(
    uow: UnitOfWork, committee: Committee, item: MeetingItem, owner: str, due_on: dt.date
) -> uuid.UUID:
    """Called by the decision, in its transaction."""
    action = Action(
        committee_id=committee.id,
        community_id=committee.community_id,
        item_id=item.id,
        proposal_id=item.proposal_id,
        title=item.title,
        owner=owner,
        due_on=due_on,
    )
    uow.repository(ActionRepository).add(action)
    await uow.flush()
    return action.id


async def _present(uow: UnitOfWork, actions: list[Action]) -> list[ActionOut]:
    updates: dict[uuid.UUID, list[ActionUpdateOut]] = {}
    for row in await uow.repository(ActionRepository).updates([a.id for a in actions]):
        updates.setdefault(row.action_id, []).append(ActionUpdateOut.model_validate(row))
    today = business_today()
    return [
        ActionOut(
            id=a.id,
            committee_id=a.committee_id,
            community_id=a.community_id,
            item_id=a.item_id,
            proposal_id=a.proposal_id,
            title=a.title,
            owner=a.owner,
            due_on=a.due_on,
            status=a.status,
            progress=a.progress,
            done_at=a.done_at,
            overdue=a.status != "done" and a.due_on < today,
            escalated_at=a.escalated_at,
            updates=updates.get(a.id, []),
            version=a.version,
            created_at=a.created_at,
        )
        for a in actions
    ]


async def page(
    uow: UnitOfWork, identity: Identity, committee_id: uuid.UUID, after: tuple[Any, ...] | None, limit: int
) -> Page[ActionOut]:
    """Members of the committee's community (others: 404)."""
    committee = await load_committee(uow, identity, committee_id)
    rows = list(await uow.repository(ActionRepository).page(committee.id, after, limit + 1))
    items = await _present(uow, rows[:limit])
    last = rows[limit - 1] if len(rows) > limit else None
    return Page(items=items, next_cursor=encode_cursor([last.due_on.isoformat(), last.id]) if last else None)


async def record_update(
    uow: UnitOfWork, identity: Identity, committee_id: uuid.UUID, action_id: uuid.UUID, body: ActionUpdateIn
) -> ActionOut:
    """Staff of the community report progress; `done` needs 100 and ends the action."""
    committee = await load_committee(uow, identity, committee_id)
    ensure_staff(identity, committee.community_id)
    actions = uow.repository(ActionRepository)
    action = await actions.get(committee.id, action_id, for_update=True)
    if action is None:
        raise ActionNotFound()
    if action.status == "done":
        raise ActionDone()
    if (body.status == "done") != (body.progress == 100):
        raise ValidationFailed(
            Text("办结时进度须为 100,反之亦然", "done goes with progress 100, and only with it"),
            errors=[{"detail": "done needs progress 100", "pointer": "/progress"}],
        )
    action.status, action.progress = body.status, body.progress
    if body.status == "done":
        action.done_at = utcnow()
    actions.add(
        ActionUpdate(
            action_id=action.id,
            note=body.note,
            progress=body.progress,
            status=body.status,
            author_subject=identity.subject,
        )
    )
    await uow.flush()
    (out,) = await _present(uow, [action])
    return out


async def escalate_overdue(uow: UnitOfWork, now: dt.datetime) -> int:
    """A job: each overdue action once, with an `ActionOverdue` event."""
    escalated = await uow.repository(ActionRepository).escalate_overdue(business_today(), now)
    for action in escalated:
        await event(
            uow,
            "ActionOverdue",
            "action",
            action.id,
            action.community_id,
            committee_id=str(action.committee_id),
            title=action.title,
            owner=action.owner,
            due_on=action.due_on.isoformat(),
            progress=action.progress,
        )
    return len(escalated)
