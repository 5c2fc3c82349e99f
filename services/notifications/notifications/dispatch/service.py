"""From feed events to notifications: the rules fire dispatches, the fan-out writes them out.

The feed consumer only writes dispatches (cheap, in the cursor's transaction); the fan-out worker
then takes one page of one dispatch per transaction: the page's recipients from the identity
service, the person's preferences and WeChat subscriptions, and the page's rows with the new
cursor, committed together. A killed process resumes at the page it had not committed, and the
unique (event, recipient, channel) makes a page written twice write nothing the second time.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import structlog

from notifications import rules
from notifications.delivery.schedule import send_time
from notifications.dispatch.models import Dispatch
from notifications.dispatch.repository import DispatchRepository
from notifications.identity_client import IdentityClient, IdentityUnavailable, Recipient
from notifications.inbox.repository import NotificationRepository, Row, Words
from notifications.metrics import COMMIT_TO_INBOX, QUEUED
from notifications.preferences.repository import PreferenceRepository
from notifications.settings import Settings
from notifications.subscriptions.repository import SubscriptionRepository
from notifications.wechat_fields import WeChatFieldError
from notifications.wechat_fields import render as render_wechat
from shared.outbox import FeedEvent
from shared.uow import UnitOfWork, unit_of_work

logger = structlog.get_logger("notifications.dispatch")
IDENTITY_RETRY_SECONDS = 5.0


async def on_event(uow: UnitOfWork, feed: str, event: FeedEvent) -> None:
    """The feed handler: one dispatch per rule the event fires; reminders it makes moot called off."""
    dispatches = uow.repository(DispatchRepository)
    for rule in rules.rules_for(feed, event.type, event.payload):
        selectors = rule.recipients(event.payload)
        if not selectors:
            continue
        context = rules.context_of(rule, event.payload, event.occurred_at, event.aggregate_id)
        event_id = event.event_id if rule.delay is None else uuid.uuid5(event.event_id, rule.kind)
        key = event.payload.get(rule.subject_key) if rule.subject_key else None
        await dispatches.add(
            event_id=event_id,
            kind=rule.kind,
            feed=feed,
            subject_key=str(key) if key is not None else None,
            selectors=selectors,
            context=context,
            urgent=rule.urgent,
            not_before=event.occurred_at + (rule.delay or dt.timedelta()),
            occurred_at=event.occurred_at,
        )
    for rule, key in rules.cancellations(feed, event.type):
        value = event.payload.get(key)
        if value is not None:
            await dispatches.cancel(rule.kind, str(value))


async def fan_out_once(app: Any) -> bool:
    """Write one page of the dispatch whose turn it is; False when none is due."""
    settings: Settings = app.state.settings
    identity: IdentityClient = app.state.identity
    postpone: int | None = None
    async with unit_of_work(app) as uow:
        dispatch = await uow.repository(DispatchRepository).take()
        if dispatch is None:
            return False
        try:
            await _page(uow, dispatch, identity, settings)
        except IdentityUnavailable as exc:
            logger.warning("recipients_unavailable", kind=dispatch.kind, error=str(exc))
            postpone = dispatch.id
            await uow.session.rollback()
    if postpone is not None:
        async with unit_of_work(app) as uow:
            await uow.repository(DispatchRepository).postpone(postpone, IDENTITY_RETRY_SECONDS)
    return True


async def fan_out_all(app: Any) -> int:
    """Fan out until nothing is due (tests and the benchmark drive the worker with this)."""
    turns = 0
    while await fan_out_once(app):
        turns += 1
    return turns


async def _page(uow: UnitOfWork, dispatch: Dispatch, identity: IdentityClient, settings: Settings) -> None:
    rule = rules.RULES_BY_KIND.get(dispatch.kind)
    if rule is None:  # a rule removed since the dispatch was written
        await uow.repository(DispatchRepository).advance(dispatch, None, 0)
        return
    parts: list[dict[str, Any]] = dispatch.selector["parts"]
    part, after = _cursor(dispatch.cursor)
    recipients, next_after = await _recipients(identity, parts[part], after, settings.fanout_page_size)
    if next_after is None:
        part, next_after = part + 1, None
        cursor = None if part >= len(parts) else json.dumps({"part": part, "after": None})
    else:
        cursor = json.dumps({"part": part, "after": next_after})
    written = await _write(uow, dispatch, rule, recipients, settings)
    if dispatch.cursor is None and dispatch.written == 0 and dispatch.occurred_at is not None and written:
        COMMIT_TO_INBOX.observe(max(0.0, (dt.datetime.now(dt.UTC) - dispatch.occurred_at).total_seconds()))
    await uow.repository(DispatchRepository).advance(dispatch, cursor, written)


def _cursor(text: str | None) -> tuple[int, str | None]:
    if text is None:
        return 0, None
    data = json.loads(text)
    return int(data["part"]), data.get("after")


async def _recipients(
    identity: IdentityClient, selector: dict[str, Any], after: str | None, limit: int
) -> tuple[list[Recipient], str | None]:
    """One page of a selector. Subjects named by the event need no look-up for the inbox (a token
    subject is the person); every other selector is resolved by the identity service, now."""
    if selector["kind"] == "subjects":
        named: list[str] = selector["subjects"]
        start = int(after or 0)
        page = named[start : start + limit]
        more = start + limit < len(named)
        return [Recipient(subject) for subject in page], str(start + limit) if more else None
    found = await identity.recipients(selector, after, limit)
    return found.items, found.next


async def _write(
    uow: UnitOfWork, dispatch: Dispatch, rule: rules.Rule, recipients: list[Recipient], settings: Settings
) -> int:
    if not recipients:
        return 0
    subjects = list(dict.fromkeys(recipient.subject for recipient in recipients))
    rendered = rules.render(rule, dispatch.context)
    words = Words(
        dispatch.event_id,
        rule.kind,
        rule.urgent,
        rendered.title.zh,
        rendered.title.en,
        rendered.body.zh,
        rendered.body.en,
        rendered.link,
    )
    rows = [Row(subject, "inbox") for subject in subjects]
    now = dt.datetime.now(dt.UTC)
    at = send_time(now, urgent=rule.urgent, start_hour=settings.quiet_start_hour, end_hour=settings.quiet_end_hour)
    wanted = await uow.repository(PreferenceRepository).for_kind(rule.kind, subjects) if not rule.urgent else {}
    if rule.wechat is not None:
        message = _wechat_message(rule, dispatch.context, settings)
        subscribed = await uow.repository(SubscriptionRepository).subscribed(
            _template_id(rule.wechat, settings), subjects
        )
        for subject in subjects:
            if message and subject in subscribed and "wechat" in wanted.get(subject, ["wechat"]):
                rows.append(Row(subject, "wechat", at, message))
    if rule.sms is not None:
        params = {name: str(dispatch.context.get(source, "-"))[:35] for name, source in rule.sms.params.items()}
        sms = json.dumps({"template_code": rule.sms.code, "params": params}, ensure_ascii=False)
        rows.extend(Row(subject, "sms", at, sms) for subject in subjects)
    written = await uow.repository(NotificationRepository).insert_page(words, rows)
    for channel in ("inbox", "wechat", "sms"):
        count = sum(1 for row in rows if row.channel == channel)
        if count:
            QUEUED.labels(channel).inc(count)
    return written


def _template_id(template: rules.WeChatTemplate, settings: Settings) -> str:
    return settings.wechat_template_ids.get(template.name, template.template_id)


def _wechat_message(rule: rules.Rule, context: dict[str, Any], settings: Settings) -> str | None:
    """The subscribe message, fixed at queue time; a value WeChat's rules refuse drops the channel."""
    template = rule.wechat
    assert template is not None
    try:
        data = render_wechat(template.fields, context)
    except WeChatFieldError as exc:
        logger.error("wechat_template_invalid", kind=rule.kind, field=exc.key, reason=exc.reason)
        return None
    page = rules.fill(template.page, context)[:256]
    return json.dumps({"template_id": _template_id(template, settings), "page": page, "data": data}, ensure_ascii=False)
