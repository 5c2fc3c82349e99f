"""`/v1/notifications/wechat-*`: the mini-program's subscribe-message templates and what the user accepted."""

from __future__ import annotations

from fastapi import APIRouter

from notifications.roles import PEOPLE
from notifications.subscriptions import service
from notifications.subscriptions.schemas import SubscriptionReport, Subscriptions, TemplateRead
from shared.auth import CurrentIdentity, allow
from shared.errors import problem_responses
from shared.i18n import RequestLanguage
from shared.uow import UnitOfWorkDep

router = APIRouter(prefix="/v1/notifications", tags=["notifications"])


@router.get("/wechat-templates", summary="The subscribe-message templates", dependencies=[allow(*PEOPLE)])
async def templates(uow: UnitOfWorkDep, language: RequestLanguage) -> list[TemplateRead]:
    """The ids the mini-program asks the user to accept with `wx.requestSubscribeMessage`."""
    return service.templates(uow, language)


@router.get("/wechat-subscriptions", summary="My open subscriptions", dependencies=[allow(*PEOPLE)])
async def my_subscriptions(uow: UnitOfWorkDep, identity: CurrentIdentity) -> Subscriptions:
    """How many messages of each template the caller may still receive."""
    return await service.mine(uow, identity)


@router.post(
    "/wechat-subscriptions",
    status_code=201,
    summary="Report what I accepted in wx.requestSubscribeMessage",
    dependencies=[allow(*PEOPLE)],
    responses=problem_responses(422),
)
async def report(body: SubscriptionReport, uow: UnitOfWorkDep, identity: CurrentIdentity) -> Subscriptions:
    """Each `accept` allows one message of that template (a one-time subscription); `reject`, `ban`
    and `filter` allow none. An id that is not one of `GET /v1/notifications/wechat-templates` is 422."""
    return await service.report(uow, identity, body)
