"""From a feed event to a person's inbox, exactly once; nobody reaches another person's."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import text

from shared.auth import Role
from shared.uow import unit_of_work
from tests.notifications.conftest import Notifications
from tests.support.identities import admin, auth, employee, identity


def resolved(requester: str, title: str = "空调维修") -> dict[str, object]:
    return {
        "request_id": str(uuid.uuid4()),
        "action": "resolve",
        "from": "in_progress",
        "to": "resolved",
        "reason": "已更换压缩机",
        "requester_subject": requester,
        "title": title,
        "community_id": str(uuid.uuid4()),
    }


async def rows(n: Notifications, sql: str, **params: object) -> list[tuple[object, ...]]:
    async with unit_of_work(n.app) as uow:
        return [tuple(row) for row in (await uow.session.execute(text(sql), params)).all()]


async def test_a_resolved_request_reaches_its_requester_and_nobody_else(notifications: Notifications) -> None:
    enterprise = uuid.uuid4()
    requester, colleague = employee(enterprise), employee(enterprise)
    await notifications.feed("service-requests", "RequestTransitioned", resolved(requester.subject))
    await notifications.fan_out()

    mine = await notifications.client.get("/v1/notifications", headers=auth(requester))
    assert mine.status_code == 200, mine.text
    [item] = mine.json()["items"]
    assert item["kind"] == "request.resolved" and item["title"] == "您的诉求已办结" and item["read_at"] is None
    assert "空调维修" in item["body"] and "已更换压缩机" in item["body"]
    english = await notifications.client.get("/v1/notifications", headers=auth(requester) | {"Accept-Language": "en"})
    assert english.json()["items"][0]["title"] == "Your request was resolved"

    theirs = await notifications.client.get("/v1/notifications", headers=auth(colleague))
    assert theirs.json()["items"] == []
    stolen = await notifications.client.post(f"/v1/notifications/{item['id']}/read", headers=auth(colleague))
    assert stolen.status_code == 404 and stolen.json()["code"] == "NOTIFICATION_NOT_FOUND"
    count = await notifications.client.get("/v1/notifications/unread-count", headers=auth(requester))
    assert count.json() == {"unread": 1}

    read = await notifications.client.post(f"/v1/notifications/{item['id']}/read", headers=auth(requester))
    assert read.status_code == 200 and read.json()["read_at"] is not None
    again = await notifications.client.post(f"/v1/notifications/{item['id']}/read", headers=auth(requester))
    assert again.json()["read_at"] == read.json()["read_at"]
    unread = await notifications.client.get("/v1/notifications?unread=true", headers=auth(requester))
    assert unread.json()["items"] == []


async def test_a_replayed_event_and_racing_workers_write_each_notification_once(notifications: Notifications) -> None:
    requester = employee(uuid.uuid4())
    event_id = uuid.uuid4()
    payload = resolved(requester.subject)
    await notifications.feed("service-requests", "RequestTransitioned", payload, event_id=event_id)
    await notifications.feed("service-requests", "RequestTransitioned", payload, event_id=event_id)  # replayed
    await asyncio.gather(*(notifications.fan_out() for _ in range(4)))
    found = await rows(
        notifications, "SELECT count(*) FROM notifications.notification WHERE recipient = :r", r=requester.subject
    )
    assert found == [(1,)]


async def test_the_unique_constraint_itself_refuses_a_second_row(notifications: Notifications) -> None:
    """Even a writer that skips the ON CONFLICT cannot double a notification: the database refuses."""
    from sqlalchemy.exc import IntegrityError

    insert = (
        "INSERT INTO notifications.notification (event_id, kind, recipient, channel, title_zh, title_en,"
        " body_zh, body_en, status)"
        " VALUES (:e, 'request.resolved', 'someone', 'inbox', 't', 't', 'b', 'b', 'delivered')"
    )
    event_id = uuid.uuid4()
    await rows(notifications, insert + " RETURNING id", e=event_id)
    try:
        await rows(notifications, insert + " RETURNING id", e=event_id)
    except IntegrityError as refused:
        assert "uq_notification_once" in str(refused)
    else:
        raise AssertionError("a second notification for the same event, recipient and channel was written")


async def test_paging_newest_first_and_mark_all_read(notifications: Notifications) -> None:
    requester = employee(uuid.uuid4())
    for number in range(5):
        await notifications.feed(
            "service-requests", "RequestTransitioned", resolved(requester.subject, f"诉求{number}")
        )
        await notifications.fan_out()
    first = await notifications.client.get("/v1/notifications?limit=3", headers=auth(requester))
    assert [item["body"][1:4] for item in first.json()["items"]] == ["诉求4", "诉求3", "诉求2"]
    cursor = first.json()["next_cursor"]
    rest = await notifications.client.get(
        "/v1/notifications", params={"limit": 3, "cursor": cursor}, headers=auth(requester)
    )
    assert [item["body"][1:4] for item in rest.json()["items"]] == ["诉求1", "诉求0"]
    marked = await notifications.client.post("/v1/notifications/read-all", headers=auth(requester))
    assert marked.json() == {"marked": 5}
    assert (await notifications.client.get("/v1/notifications/unread-count", headers=auth(requester))).json() == {
        "unread": 0
    }


async def test_bad_input_is_a_clear_error(notifications: Notifications) -> None:
    person = employee(uuid.uuid4())
    huge = await notifications.client.get("/v1/notifications?limit=100000", headers=auth(person))
    assert huge.status_code == 422 and huge.json()["errors"][0]["parameter"] == "limit"
    cursor = await notifications.client.get("/v1/notifications?cursor=not-ours", headers=auth(person))
    assert cursor.status_code == 400 and cursor.json()["code"] == "INVALID_CURSOR"
    missing = await notifications.client.post(f"/v1/notifications/{uuid.uuid4()}/read", headers=auth(person))
    assert missing.status_code == 404


async def test_roles(notifications: Notifications) -> None:
    anonymous = await notifications.client.get("/v1/notifications")
    assert anonymous.status_code == 401
    partner = await notifications.client.get("/v1/notifications", headers=auth(identity(Role.partner)))
    assert partner.status_code == 403
    person = await notifications.client.get("/v1/notifications/dead-letters", headers=auth(employee(uuid.uuid4())))
    assert person.status_code == 403
    operator = await notifications.client.get("/v1/notifications/dead-letters", headers=auth(admin()))
    assert operator.status_code == 200


async def test_a_granted_role_is_told_to_the_account_but_a_registry_grant_is_not(notifications: Notifications) -> None:
    account = str(uuid.uuid4())
    granted = {
        "subject": account,
        "role": "employee",
        "role_zh": "企业员工",
        "role_en": "employee",
        "source": "invitation",
    }
    await notifications.feed("identity", "RoleGranted", granted)
    await notifications.feed("identity", "RoleGranted", granted | {"role": "enterprise_rep", "source": "registry"})
    await notifications.fan_out()
    found = await rows(
        notifications, "SELECT kind, body_zh FROM notifications.notification WHERE recipient = :r", r=account
    )
    assert found == [("account.role_granted", "您已获授权:企业员工。")]
