"""Recipients resolved from accounts and live grants; notices sent by WeChat subscribe message or text message.

The notifications service keeps only subjects: openids, phones and the providers' credentials stay
here. Nothing logs an openid, a phone or a message's values (only the provider's error code).
"""

from __future__ import annotations

import uuid

import structlog

from identity.accounts.exceptions import AccountNotFound
from identity.adapters.sms import UNREACHABLE, SmsError, SmsSender
from identity.adapters.wechat import STALE_TOKEN_CODES, TOO_FREQUENT, WeChatClient, WeChatError
from identity.notices.exceptions import (
    PhoneNotVerified,
    SmsTemplateRefused,
    WeChatDataInvalid,
    WeChatNotBound,
    WeChatRefused,
)
from identity.notices.repository import (
    Contact,
    RecipientRepository,
    holders_in_communities,
    holders_in_communities_enterprises,
    holders_in_enterprises,
    holders_in_grids,
)
from identity.notices.schemas import (
    CommunityEmployeesSelector,
    CommunityRepsSelector,
    CommunityStaffSelector,
    EmployeesSelector,
    EnterpriseRepsSelector,
    GridWorkersSelector,
    Recipient,
    RecipientPage,
    RecipientQuery,
    SmsNotice,
    SubjectsSelector,
    WeChatNotice,
)
from identity.settings import Settings
from identity.sms.exceptions import SmsUnavailable
from identity.wechat.exceptions import WeChatUnavailable
from shared.auth import Role
from shared.errors import ProblemError
from shared.uow import UnitOfWork

logger = structlog.get_logger("identity.notices")

# WeChat's answers to a subscribe message (docs/identity.md, "For the notifications service").
SUBSCRIPTION_REFUSED = 43101
# Argument errors are 4xxxx; these are our own credentials or setup, not the caller's message.
SETUP_CODES = STALE_TOKEN_CODES | {40013, 40125, 40164, 41002, 41004}
DATA_POINTERS = {47003: "/data", 40037: "/template_id", 41030: "/page", 40003: "/subject"}
UNAVAILABLE_RETRY_AFTER_SECONDS = 5
# Aliyun's throttling of one number (1 a minute, 5 an hour, 10 a day per template): retry in a minute.
SMS_THROTTLED = "isv.BUSINESS_LIMIT_CONTROL"
SMS_THROTTLED_RETRY_AFTER_SECONDS = 60
# Aliyun's refusals of the template or its parameters: the caller's request, not the provider's state.
SMS_TEMPLATE_CODES = frozenset(
    {
        "isv.SMS_TEMPLATE_ILLEGAL",
        "isv.TEMPLATE_MISSING_PARAMETERS",
        "isv.TEMPLATE_PARAMS_ILLEGAL",
        "isv.INVALID_JSON_PARAM",
        "isv.INVALID_PARAMETERS",
        "isv.PARAM_LENGTH_LIMIT",
        "isv.PARAM_NOT_SUPPORT_URL",
        "isv.SMS_CONTENT_ILLEGAL",
        "isv.SMS_TEST_TEMPLATE_PARAMS_ILLEGAL",
    }
)


async def recipients(uow: UnitOfWork, body: RecipientQuery) -> RecipientPage:
    """One page of the active accounts the selector names now, by account id."""
    settings: Settings = uow.app.state.settings
    selector = body.selector
    subjects: list[uuid.UUID] = []
    match selector:
        case SubjectsSelector():
            subjects = sorted({subject for text in selector.subjects if (subject := _account_id(text)) is not None})
            if not subjects:
                return RecipientPage(items=[], next=None)
            holders = None
        case EnterpriseRepsSelector():
            holders = holders_in_enterprises(Role.enterprise_rep, selector.enterprise_ids)
        case CommunityRepsSelector():
            holders = holders_in_communities_enterprises(Role.enterprise_rep, selector.community_ids)
        case CommunityStaffSelector():
            holders = holders_in_communities(Role.community_staff, selector.community_ids)
        case EmployeesSelector():
            holders = holders_in_enterprises(Role.employee, selector.enterprise_ids)
        case CommunityEmployeesSelector():
            holders = holders_in_communities_enterprises(Role.employee, selector.community_ids)
        case GridWorkersSelector():
            holders = holders_in_grids(Role.grid_worker, selector.grid_ids)
    rows = await uow.repository(RecipientRepository).page(
        settings.wechat_appid, holders=holders, subjects=subjects, after=body.after, limit=body.limit + 1
    )
    page = rows[: body.limit]
    return RecipientPage(
        items=[Recipient(subject=str(row.account_id), wechat=row.wechat, sms=row.sms) for row in page],
        next=str(page[-1].account_id) if len(rows) > body.limit else None,
    )


async def send_wechat(uow: UnitOfWork, body: WeChatNotice) -> None:
    """A subscribe message to the account's openid in the platform's mini-program."""
    settings: Settings = uow.app.state.settings
    contact = await _contact(uow, body.subject, settings.wechat_appid)
    if contact.openid is None:
        raise WeChatNotBound(errors=[{"detail": "no WeChat identity in the mini-program", "pointer": "/subject"}])
    client: WeChatClient = uow.app.state.wechat
    try:
        await client.send_subscribe_message(
            openid=contact.openid, template_id=body.template_id, data=body.data, page=body.page
        )
    except WeChatError as error:
        logger.warning("wechat_notice_refused", errcode=error.errcode)
        raise wechat_problem(error) from None


def wechat_problem(error: WeChatError) -> ProblemError:
    """WeChat's errcode of a subscribe message as the platform's answer (the errcode in the body)."""
    extra = {"errcode": error.errcode}
    if error.errcode == SUBSCRIPTION_REFUSED:
        return WeChatRefused(extra=extra, errors=[{"detail": "no subscription to spend", "pointer": "/template_id"}])
    if error.errcode == TOO_FREQUENT:
        return WeChatUnavailable(headers={"Retry-After": str(error.retry_after_seconds)}, extra=extra)
    if 40000 <= error.errcode < 50000 and error.errcode not in SETUP_CODES:
        pointer = DATA_POINTERS.get(error.errcode, "/data")
        return WeChatDataInvalid(extra=extra, errors=[{"detail": "WeChat refused this argument", "pointer": pointer}])
    return WeChatUnavailable(headers={"Retry-After": str(UNAVAILABLE_RETRY_AFTER_SECONDS)}, extra=extra)


async def send_sms(uow: UnitOfWork, body: SmsNotice) -> None:
    """A templated text message to the account's verified phone."""
    settings: Settings = uow.app.state.settings
    contact = await _contact(uow, body.subject, settings.wechat_appid)
    if contact.phone is None:
        raise PhoneNotVerified(errors=[{"detail": "no verified phone", "pointer": "/subject"}])
    sender: SmsSender = uow.app.state.sms_sender
    try:
        await sender.send(contact.phone, body.template_code, body.params)
    except SmsError as error:
        logger.warning("sms_notice_refused", provider_code=error.code)
        raise sms_problem(error) from None


def sms_problem(error: SmsError) -> ProblemError:
    """Aliyun's `Code` of a SendSms as the platform's answer (the code in `provider_code`)."""
    if error.code in SMS_TEMPLATE_CODES:
        return SmsTemplateRefused(
            extra={"provider_code": error.code},
            errors=[{"detail": "the provider refused the template or its parameters", "pointer": "/template_code"}],
        )
    retry_after = SMS_THROTTLED_RETRY_AFTER_SECONDS if error.code == SMS_THROTTLED else UNAVAILABLE_RETRY_AFTER_SECONDS
    extra = {} if error.code == UNREACHABLE else {"provider_code": error.code}
    return SmsUnavailable(headers={"Retry-After": str(retry_after)}, extra=extra)


async def _contact(uow: UnitOfWork, subject: str, appid: str) -> Contact:
    account_id = _account_id(subject)
    contact = await uow.repository(RecipientRepository).contact(account_id, appid) if account_id else None
    if contact is None:
        raise AccountNotFound(errors=[{"detail": "no active account with this subject", "pointer": "/subject"}])
    return contact


def _account_id(subject: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(subject)
    except ValueError:
        return None
