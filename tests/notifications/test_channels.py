"""WeChat one-time subscriptions, preferences, quiet hours, retries and the dead-letter list."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import httpx

from notifications.delivery.schedule import in_quiet_hours, send_time
from notifications.identity_client import IdentityClient
from shared.uow import unit_of_work
from tests.notifications.conftest import Notifications
from tests.notifications.test_inbox import resolved, rows
from tests.support.identities import admin, auth, employee

PROGRESS = "tmpl-request-progress"


async def queued(n: Notifications, subject: str, channel: str) -> list[tuple[object, ...]]:
    return await rows(
        n,
        "SELECT status, message, subscription_id, last_error, attempts FROM notifications.notification"
        " WHERE recipient = :r AND channel = :c",
        r=subject,
        c=channel,
    )


async def test_a_wechat_message_is_queued_only_for_a_subscriber(notifications: Notifications) -> None:
    subscriber, other = employee(uuid.uuid4()), employee(uuid.uuid4())
    templates = await notifications.client.get("/v1/notifications/wechat-templates", headers=auth(subscriber))
    assert PROGRESS in {template["template_id"] for template in templates.json()}
    report = await notifications.client.post(
        "/v1/notifications/wechat-subscriptions",
        json={"results": {PROGRESS: "accept", "tmpl-activity-notice": "reject"}},
        headers=auth(subscriber),
    )
    assert report.status_code == 201, report.text
    assert report.json() == {"open": {PROGRESS: 1}}
    for person in (subscriber, other):
        await notifications.feed("service-requests", "RequestTransitioned", resolved(person.subject, "会议室预约" * 5))
    await notifications.fan_out()

    [(status, message, *_)] = await queued(notifications, subscriber.subject, "wechat")
    assert status == "queued"
    body = json.loads(str(message))
    assert body["template_id"] == PROGRESS and body["page"].startswith("pages/requests/detail?id=")
    assert len(body["data"]["thing1"]) <= 20 and body["data"]["phrase2"] == "已办结"
    assert await queued(notifications, other.subject, "wechat") == []


async def test_a_subscription_report_for_an_unknown_template_is_refused(notifications: Notifications) -> None:
    person = employee(uuid.uuid4())
    unknown = await notifications.client.post(
        "/v1/notifications/wechat-subscriptions", json={"results": {"no-such-template": "accept"}}, headers=auth(person)
    )
    assert unknown.status_code == 422 and unknown.json()["code"] == "UNKNOWN_TEMPLATE"
    assert "no-such-template" not in unknown.text  # input is not echoed
    wrong = await notifications.client.post(
        "/v1/notifications/wechat-subscriptions", json={"results": {PROGRESS: "maybe"}}, headers=auth(person)
    )
    assert wrong.status_code == 422
    mine = await notifications.client.get("/v1/notifications/wechat-subscriptions", headers=auth(person))
    assert mine.json() == {"open": {}}


async def test_preferences_switch_wechat_off_but_not_urgent_kinds(notifications: Notifications) -> None:
    person = employee(uuid.uuid4())
    headers = auth(person)
    await notifications.client.post(
        "/v1/notifications/wechat-subscriptions", json={"results": {PROGRESS: "accept"}}, headers=headers
    )
    off = await notifications.client.put(
        "/v1/notifications/kinds/request.resolved", json={"channels": []}, headers=headers
    )
    assert off.status_code == 200 and off.json()["chosen"] == []
    urgent = await notifications.client.put(
        "/v1/notifications/kinds/request.escalated", json={"channels": []}, headers=headers
    )
    assert urgent.status_code == 422 and urgent.json()["code"] == "KIND_NOT_CONFIGURABLE"
    unknown = await notifications.client.put(
        "/v1/notifications/kinds/no.such_kind", json={"channels": []}, headers=headers
    )
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["parameter"] == "kind"
    channel = await notifications.client.put(
        "/v1/notifications/kinds/registry.representative_appointed", json={"channels": ["wechat"]}, headers=headers
    )
    assert channel.status_code == 422 and channel.json()["errors"][0]["pointer"] == "/channels/0"

    await notifications.feed("service-requests", "RequestTransitioned", resolved(person.subject))
    await notifications.fan_out()
    assert await queued(notifications, person.subject, "wechat") == []
    assert len(await queued(notifications, person.subject, "inbox")) == 1
    kinds = await notifications.client.get("/v1/notifications/kinds", headers=headers)
    chosen = {kind["kind"]: kind["chosen"] for kind in kinds.json()}
    assert chosen["request.resolved"] == [] and chosen["request.acknowledged"] == ["wechat"]


async def test_an_unreachable_provider_is_retried_then_dead_lettered_and_an_operator_retries(
    notifications: Notifications,
) -> None:
    """The in-process identity has no account for this subject: a send the identity service cannot
    place is skipped, and one it cannot reach is retried with backoff until the dead-letter list."""
    person = employee(uuid.uuid4())
    await notifications.client.post(
        "/v1/notifications/wechat-subscriptions", json={"results": {PROGRESS: "accept"}}, headers=auth(person)
    )
    await notifications.feed("service-requests", "RequestTransitioned", resolved(person.subject))
    await notifications.fan_out()
    working = notifications.app.state.identity
    async with httpx.AsyncClient(base_url="http://127.0.0.1:9") as nowhere:  # nothing listens there
        notifications.app.state.identity = IdentityClient(nowhere, "secret")
        try:
            for _ in range(3):  # max_attempts=3 in the fixture
                await _due_now(notifications)
                await notifications.send("wechat")
        finally:
            notifications.app.state.identity = working
    [(status, _message, subscription, error, attempts)] = await queued(notifications, person.subject, "wechat")
    assert (status, attempts, subscription) == ("dead", 3, None) and error
    dead = await notifications.client.get("/v1/notifications/dead-letters", headers=auth(admin()))
    [letter] = [item for item in dead.json()["items"] if item["recipient"] == person.subject]
    assert letter["channel"] == "wechat" and letter["attempts"] == 3
    retried = await notifications.client.post(
        f"/v1/notifications/dead-letters/{letter['id']}/retry", headers=auth(admin())
    )
    assert retried.status_code == 200
    [(status, *_)] = await queued(notifications, person.subject, "wechat")
    assert status == "queued"
    gone = await notifications.client.post(
        f"/v1/notifications/dead-letters/{uuid.uuid4()}/retry", headers=auth(admin())
    )
    assert gone.status_code == 404 and gone.json()["code"] == "DEAD_LETTER_NOT_FOUND"


async def _due_now(n: Notifications) -> None:
    async with unit_of_work(n.app) as uow:
        from sqlalchemy import text

        await uow.session.execute(
            text("UPDATE notifications.notification SET next_attempt_at = now() WHERE status = 'queued'")
        )


def test_quiet_hours_hold_non_urgent_messages_until_eight_in_shanghai() -> None:
    late = dt.datetime(2026, 12, 3, 15, 30, tzinfo=dt.UTC)  # 23:30 in Shanghai
    assert in_quiet_hours(late, 22, 8)
    assert send_time(late, urgent=False, start_hour=22, end_hour=8) == dt.datetime(2026, 12, 4, 0, 0, tzinfo=dt.UTC)
    assert send_time(late, urgent=True, start_hour=22, end_hour=8) == late
    early = dt.datetime(2026, 12, 3, 23, 0, tzinfo=dt.UTC)  # 07:00 the next day in Shanghai
    assert send_time(early, urgent=False, start_hour=22, end_hour=8) == dt.datetime(2026, 12, 4, 0, 0, tzinfo=dt.UTC)
    day = dt.datetime(2026, 12, 3, 2, 0, tzinfo=dt.UTC)  # 10:00
    assert not in_quiet_hours(day, 22, 8) and send_time(day, urgent=False, start_hour=22, end_hour=8) == day


def test_equal_hours_mean_no_quiet_hours() -> None:
    """What `make run` and the tests set: every hour of the day sends at once."""
    for hour in range(24):
        moment = dt.datetime(2026, 12, 3, hour, 30, tzinfo=dt.UTC)
        assert not in_quiet_hours(moment, 0, 0)
        assert send_time(moment, urgent=False, start_hour=0, end_hour=0) == moment
