"""好差评: ratings of resolved requests, the return visit owed after a bad one."""

from __future__ import annotations

import datetime as dt
import uuid

from service_requests.calendar.service import current_calendar
from service_requests.requests import workflow
from service_requests.requests.exceptions import AlreadyRated, NoReturnVisitOwed, NotRateable, ReturnVisitRecorded
from service_requests.requests.repository import RequestRepository
from service_requests.requests.schemas import RatingCreate, RequestRead, ReturnVisitCreate
from service_requests.requests.transitions import load_visible, move, new_event
from service_requests.requests.views import actor_role, actors_of, to_read
from service_requests.requests.workflow import Action, Actor, Status
from shared.auth import Identity
from shared.errors import Forbidden
from shared.i18n import Text
from shared.uow import UnitOfWork

RETURN_VISIT_WORKING_DAYS = 1
BAD_RATING = 2  # 1 非常不满意 and 2 不满意 are the bad grades (差评)


async def rate(
    uow: UnitOfWork, identity: Identity, request_id: uuid.UUID, body: RatingCreate, now: dt.datetime
) -> RequestRead:
    """The requester rates a resolved request (好差评).

    A first rating of 3-5 closes it. 1-2 reopens it: staff owe a return visit within 1 working day,
    the handler a rectification within 15. After that, one follow-up rating closes it, good or bad.
    """
    repository = uow.repository(RequestRepository)
    row = await load_visible(repository, identity, request_id, for_update=True)
    if Actor.requester not in actors_of(identity, row):
        raise Forbidden(Text("只有申请人可以评价", "Only the requester may rate"))
    if row.status != Status.resolved.value:
        raise NotRateable(extra={"status_now": row.status})
    follow_up = row.rating is not None and row.rating <= BAD_RATING
    if follow_up and row.follow_up_rating is not None:
        raise AlreadyRated()
    reopen = not follow_up and body.score <= BAD_RATING
    if follow_up:
        row.follow_up_rating, row.follow_up_rated_at = body.score, now
    else:
        row.rating, row.rating_comment, row.rated_at = body.score, body.comment, now
    role = actor_role(identity)
    data = {"score": body.score, "follow_up": follow_up}
    repository.add_event(
        new_event(row, "rating", identity.subject, role, now, body=body.comment, internal=False, data=data)
    )
    rule = workflow.BY_ACTION[Action.reopen if reopen else Action.close]
    reason = body.comment or ("评价不满意,重新整改" if reopen else None)
    await move(
        repository, row, rule, actor=identity.subject, role=role, reason=reason, now=now, data={"rating": body.score}
    )
    if reopen:
        visit = (await current_calendar(repository.uow)).add_working_days(now, RETURN_VISIT_WORKING_DAYS)
        row.return_visit_due_at = visit.due_at
        row.deadlines_provisional = row.deadlines_provisional or visit.provisional
    await repository.record(
        "RequestRated",
        row.id,
        {
            "request_id": str(row.id),
            "score": body.score,
            "follow_up": follow_up,
            "reopened": reopen,
            "community_id": str(row.community_id),
        },
    )
    return to_read(row, identity, now)


async def return_visit(
    uow: UnitOfWork, identity: Identity, request_id: uuid.UUID, body: ReturnVisitCreate, now: dt.datetime
) -> RequestRead:
    """Staff record the return visit (回访) owed to a requester after a bad rating."""
    repository = uow.repository(RequestRepository)
    row = await load_visible(repository, identity, request_id, for_update=True)
    if Actor.staff not in actors_of(identity, row):
        raise Forbidden(Text("只有社区工作人员可以回访", "Only community staff make return visits"))
    if row.return_visit_due_at is None:
        raise NoReturnVisitOwed()
    if row.return_visited_at is not None:
        raise ReturnVisitRecorded()
    row.return_visited_at = now
    row.updated_at = now
    row.version += 1
    repository.add_event(
        new_event(
            row,
            "return_visit",
            identity.subject,
            actor_role(identity),
            now,
            body=body.notes,
            internal=False,
            data={"on_time": now <= row.return_visit_due_at},
        )
    )
    await repository.record(
        "RequestReturnVisited",
        row.id,
        {"request_id": str(row.id), "on_time": now <= row.return_visit_due_at, "community_id": str(row.community_id)},
    )
    await repository.flush()
    return to_read(row, identity, now)
