"""Sending the queued WeChat and SMS messages: within the provider's quota, retried with backoff,
dead-lettered when they keep failing, never during quiet hours unless urgent."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from typing import Any

import structlog

from notifications.delivery.repository import Claimed, QueueRepository
from notifications.delivery.schedule import backoff_seconds, in_quiet_hours
from notifications.identity_client import IdentityClient, SendOutcome
from notifications.metrics import DEAD, FAILED, SENT, SKIPPED
from notifications.settings import Settings
from notifications.subscriptions.repository import SubscriptionRepository
from shared.uow import unit_of_work

logger = structlog.get_logger("notifications.delivery")
CHANNELS = ("wechat", "sms")


async def send_once(app: Any, channel: str) -> int:
    """Claim one quota's worth of due messages on `channel`, send them, settle each; returns how many."""
    settings: Settings = app.state.settings
    limit = max(1, int(settings.wechat_per_second if channel == "wechat" else settings.sms_per_second))
    quiet = in_quiet_hours(dt.datetime.now(dt.UTC), settings.quiet_start_hour, settings.quiet_end_hour)
    async with unit_of_work(app) as uow:
        claimed = await uow.repository(QueueRepository).claim(
            channel, limit, lease_seconds=settings.send_lease_seconds, quiet=quiet
        )
        ready: list[Claimed] = []
        for message in claimed:
            if channel != "wechat" or message.subscription_id is not None:
                ready.append(message)
                continue
            template_id = json.loads(message.message).get("template_id", "")
            found = await uow.repository(SubscriptionRepository).claim(message.recipient, template_id, message.id)
            if found is None:  # spent by another message since this one was queued
                await uow.repository(QueueRepository).settle(message.id, "skipped", error="NO_SUBSCRIPTION")
                SKIPPED.labels(channel).inc()
                continue
            await uow.repository(QueueRepository).attach_subscription(message.id, found)
            ready.append(Claimed(message.id, message.recipient, message.message, message.attempts, found))
    if not ready:
        return len(claimed)
    identity: IdentityClient = app.state.identity
    outcomes = await asyncio.gather(*(_send(identity, channel, message) for message in ready))
    async with unit_of_work(app) as uow:
        for message, outcome in zip(ready, outcomes, strict=True):
            await _settle(uow, settings, channel, message, outcome)
    return len(claimed)


async def _send(identity: IdentityClient, channel: str, message: Claimed) -> SendOutcome:
    body = json.loads(message.message)
    if channel == "wechat":
        return await identity.send_wechat(message.recipient, body["template_id"], body.get("page"), body["data"])
    return await identity.send_sms(message.recipient, body["template_code"], body.get("params", {}))


async def _settle(uow: Any, settings: Settings, channel: str, message: Claimed, outcome: SendOutcome) -> None:
    queue = uow.repository(QueueRepository)
    subscriptions = uow.repository(SubscriptionRepository)
    if outcome.status == "sent" or outcome.status == "refused":  # 43101 spends the subscription too
        await queue.settle(message.id, outcome.status, error=outcome.code)
        if message.subscription_id is not None:
            await subscriptions.spend(message.subscription_id)
        if outcome.status == "sent":
            SENT.labels(channel).inc()
        return
    if outcome.status in ("skipped", "invalid"):
        status = "skipped" if outcome.status == "skipped" else "dead"
        await queue.settle(message.id, status, error=outcome.code, keep_subscription=False)
        if message.subscription_id is not None:
            await subscriptions.release(message.subscription_id)
        (SKIPPED if status == "skipped" else DEAD).labels(channel).inc()
        if status == "dead":
            logger.warning("notification_dead", channel=channel, notification_id=str(message.id), code=outcome.code)
        return
    FAILED.labels(channel).inc()
    if message.attempts >= settings.max_attempts:
        await queue.settle(message.id, "dead", error=outcome.code, keep_subscription=False)
        if message.subscription_id is not None:
            await subscriptions.release(message.subscription_id)
        DEAD.labels(channel).inc()
        logger.warning("notification_dead", channel=channel, notification_id=str(message.id), code=outcome.code)
        return
    delay = outcome.retry_after or backoff_seconds(
        message.attempts, settings.retry_base_seconds, settings.retry_max_seconds
    )
    retry_at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=delay)
    await queue.settle(message.id, "queued", error=outcome.code, retry_at=retry_at)


async def sender(app: Any, channel: str) -> None:
    """Forever: send what is due on `channel`, at most the quota per second."""
    settings: Settings = app.state.settings
    while True:
        started = time.monotonic()
        try:
            handled = await send_once(app, channel)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the database away for a moment must not end the loop
            logger.warning("send_failed", channel=channel, error_type=type(exc).__name__)
            handled = 0
        if handled == 0:
            await asyncio.sleep(settings.send_poll_seconds)
        else:  # a full quota: wait out the rest of the second
            await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - started)))
