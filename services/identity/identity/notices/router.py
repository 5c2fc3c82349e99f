"""`/internal/recipients` and `/internal/notices/*`: the notifications service's way to its recipients."""

from __future__ import annotations

from fastapi import APIRouter, Response

from identity.notices import service
from identity.notices.schemas import RecipientPage, RecipientQuery, SmsNotice, WeChatNotice
from shared.auth import Role, allow
from shared.errors import problem_responses
from shared.uow import UnitOfWorkDep

router = APIRouter(prefix="/internal", tags=["internal"])


@router.post(
    "/recipients",
    summary="Who a notification goes to",
    dependencies=[allow(Role.service)],
    responses=problem_responses(422),
)
async def recipients(body: RecipientQuery, uow: UnitOfWorkDep) -> RecipientPage:
    """Active accounts the selector names now (live grants only), by subject; `next` is the next page's `after`."""
    return await service.recipients(uow, body)


@router.post(
    "/notices/wechat",
    status_code=204,
    summary="Send a WeChat subscribe message to an account",
    dependencies=[allow(Role.service)],
    responses=problem_responses(404, 409, 422, 503),
)
async def send_wechat(body: WeChatNotice, uow: UnitOfWorkDep) -> Response:
    """To the account's openid in the mini-program. 409 `WECHAT_NOT_BOUND` / `WECHAT_REFUSED` (43101),
    422 `WECHAT_DATA_INVALID` (47003 and other argument errors), 503 `WECHAT_UNAVAILABLE`; `errcode` is WeChat's."""
    await service.send_wechat(uow, body)
    return Response(status_code=204)


@router.post(
    "/notices/sms",
    status_code=204,
    summary="Send a templated text message to an account",
    dependencies=[allow(Role.service)],
    responses=problem_responses(404, 409, 422, 503),
)
async def send_sms(body: SmsNotice, uow: UnitOfWorkDep) -> Response:
    """To the account's verified phone. 409 `PHONE_NOT_VERIFIED`, 422 `SMS_TEMPLATE_REFUSED` (Aliyun's isv.*
    template errors), 503 `SMS_UNAVAILABLE` (`Retry-After`); `provider_code` is Aliyun's."""
    await service.send_sms(uow, body)
    return Response(status_code=204)
