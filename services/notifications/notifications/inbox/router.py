"""`/v1/notifications`: a person's inbox; `/v1/notifications/dead-letters`: the operators' list."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Query

from notifications.inbox import service
from notifications.inbox.schemas import DeadLetter, MarkedRead, NotificationRead, UnreadCount
from notifications.roles import OPERATORS, PEOPLE
from shared.auth import CurrentIdentity, allow
from shared.errors import problem_responses
from shared.i18n import RequestLanguage
from shared.pagination import Cursor, Limit, Page
from shared.uow import UnitOfWorkDep

router = APIRouter(prefix="/v1/notifications", tags=["notifications"])


@router.get(
    "",
    summary="My notifications, newest first",
    dependencies=[allow(*PEOPLE)],
    responses=problem_responses(400, 422),
)
async def list_notifications(
    uow: UnitOfWorkDep,
    identity: CurrentIdentity,
    language: RequestLanguage,
    unread: bool = Query(False, description="Only the unread ones"),
    cursor: Cursor = None,
    limit: Limit = 20,
) -> Page[NotificationRead]:
    """The caller's own inbox (by token subject); nobody else's is reachable."""
    return await service.inbox(uow, identity, language, unread=unread, cursor=cursor, limit=limit)


@router.get("/unread-count", summary="How many of mine are unread", dependencies=[allow(*PEOPLE)])
async def unread_count(uow: UnitOfWorkDep, identity: CurrentIdentity) -> UnreadCount:
    """The badge on the app's bell."""
    return await service.unread_count(uow, identity)


@router.post("/read-all", summary="Mark all mine read", dependencies=[allow(*PEOPLE)])
async def mark_all_read(uow: UnitOfWorkDep, identity: CurrentIdentity) -> MarkedRead:
    """Every unread notification of the caller's; the count of those it marked."""
    return await service.mark_all_read(uow, identity)


@router.get(
    "/dead-letters",
    summary="Messages given up on (operators)",
    dependencies=[allow(*OPERATORS)],
    responses=problem_responses(400, 422),
)
async def dead_letters(uow: UnitOfWorkDep, cursor: Cursor = None, limit: Limit = 20) -> Page[DeadLetter]:
    """WeChat and SMS messages that kept failing or were refused as invalid, newest first."""
    return await service.dead_letters(uow, cursor, limit)


@router.post(
    "/dead-letters/{notification_id}/retry",
    summary="Queue a dead letter again (operators)",
    dependencies=[allow(*OPERATORS)],
    responses=problem_responses(404, 422),
)
async def retry_dead_letter(notification_id: uuid.UUID, uow: UnitOfWorkDep) -> DeadLetter:
    """The message goes out at the next turn of the sender, with a fresh count of attempts."""
    return await service.retry_dead_letter(uow, notification_id)


@router.post(
    "/{notification_id}/read",
    summary="Mark one of mine read",
    dependencies=[allow(*PEOPLE)],
    responses=problem_responses(404, 422),
)
async def mark_read(
    notification_id: uuid.UUID, uow: UnitOfWorkDep, identity: CurrentIdentity, language: RequestLanguage
) -> NotificationRead:
    """Idempotent: the first read time stays. Another person's notification is 404."""
    return await service.mark_read(uow, identity, language, notification_id)
