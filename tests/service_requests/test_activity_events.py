"""Activity events for notifications: enrolled, waiting list, promoted, cancelled, the reminder once."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from service_requests.activities.service import remind_upcoming
from shared.db import create_engine, create_sessionmaker
from shared.settings import PlatformSettings
from shared.uow import UnitOfWork
from tests.service_requests.conftest import World, feed_events
from tests.support.identities import auth

# in the future whenever the suite runs: enrolment closes when an activity starts (ACTIVITY_STARTED)
STARTS = (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).replace(hour=6, minute=0, second=0, microsecond=0)


@pytest.fixture
async def sessionmaker(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(PlatformSettings(database_url=database_url, environment="test").async_database_url)
    yield create_sessionmaker(engine)
    await engine.dispose()


async def _activity(client: httpx.AsyncClient, world: World, capacity: int) -> dict[str, Any]:
    body = {
        "community_id": str(world.community_id),
        "title": "直播电商技能培训",
        "scenario": "personal_growth",
        "starts_at": STARTS.isoformat(),
        "ends_at": (STARTS + dt.timedelta(hours=2)).isoformat(),
        "place": "党群服务中心 3 楼",
        "capacity": capacity,
        "eligible_roles": ["employee", "enterprise_rep"],
    }
    response = await client.post("/v1/activities", json=body, headers=auth(world.staff()))
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def _remind(sessionmaker: async_sessionmaker[AsyncSession], now: dt.datetime) -> int:
    async with sessionmaker() as session, session.begin():
        return await remind_upcoming(UnitOfWork(session, None), now)


async def test_enrolment_waiting_list_promotion_and_cancellation_are_on_the_feed(
    requests_app: httpx.AsyncClient, world: World
) -> None:
    activity = await _activity(requests_app, world, capacity=1)
    first, second = world.employee(), world.employee()
    for who in (first, second):
        await requests_app.post(f"/v1/activities/{activity['id']}/enrollments", headers=auth(who))
    await requests_app.delete(f"/v1/activities/{activity['id']}/enrollments", headers=auth(first))

    seated, waiting = await feed_events(requests_app, "ActivityEnrolled", 2)
    assert (seated["payload"]["subject"], seated["payload"]["waitlisted"]) == (first.subject, False)
    assert (waiting["payload"]["subject"], waiting["payload"]["waitlisted"]) == (second.subject, True)
    assert waiting["payload"]["waitlist_position"] == 1
    assert waiting["payload"]["title"] == "直播电商技能培训"
    assert dt.datetime.fromisoformat(waiting["payload"]["starts_at"]) == STARTS
    (left,) = await feed_events(requests_app, "ActivityEnrolmentCancelled", 1)
    assert (left["payload"]["subject"], left["payload"]["was"]) == (first.subject, "enrolled")
    (promoted,) = await feed_events(requests_app, "ActivityEnrolmentPromoted", 1)
    assert promoted["payload"]["subject"] == second.subject
    assert promoted["payload"]["activity_id"] == activity["id"]


async def test_cancelling_an_activity_names_everyone_enrolled_or_waiting(
    requests_app: httpx.AsyncClient, world: World
) -> None:
    activity = await _activity(requests_app, world, capacity=2)
    people = [world.employee() for _ in range(3)]
    for who in people:
        await requests_app.post(f"/v1/activities/{activity['id']}/enrollments", headers=auth(who))
    staff = world.staff()
    cancelled = await requests_app.post(f"/v1/activities/{activity['id']}/cancellation", headers=auth(staff))
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["cancelled_at"] is not None
    assert cancelled.json()["version"] == activity["version"] + 1

    (event,) = await feed_events(requests_app, "ActivityCancelled", 1)
    assert event["payload"]["subjects"] == [who.subject for who in people]
    assert (event["payload"]["part"], event["payload"]["parts"]) == (1, 1)
    again = await requests_app.post(f"/v1/activities/{activity['id']}/cancellation", headers=auth(staff))
    assert (again.status_code, again.json()["code"]) == (409, "ACTIVITY_CANCELLED")
    late = await requests_app.post(f"/v1/activities/{activity['id']}/enrollments", headers=auth(world.employee()))
    assert (late.status_code, late.json()["code"]) == (409, "ACTIVITY_CANCELLED")


async def test_only_staff_of_the_community_cancel_an_activity(requests_app: httpx.AsyncClient, world: World) -> None:
    activity = await _activity(requests_app, world, capacity=2)
    other = await requests_app.post(f"/v1/activities/{activity['id']}/cancellation", headers=auth(world.other_staff()))
    assert (other.status_code, other.json()["code"]) == (404, "ACTIVITY_NOT_FOUND")
    assert await feed_events(requests_app, "ActivityCancelled", 1, wait_seconds=0.5) == []


async def test_the_reminder_is_written_once_the_day_before(
    requests_app: httpx.AsyncClient, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    activity = await _activity(requests_app, world, capacity=1)
    seated, waiting = world.employee(), world.employee()
    for who in (seated, waiting):
        await requests_app.post(f"/v1/activities/{activity['id']}/enrollments", headers=auth(who))

    assert await _remind(sessionmaker, STARTS - dt.timedelta(hours=25)) == 0
    runs = await asyncio.gather(*(_remind(sessionmaker, STARTS - dt.timedelta(hours=23)) for _ in range(3)))
    assert sum(runs) == 1
    assert await _remind(sessionmaker, STARTS - dt.timedelta(hours=1)) == 0
    (reminder,) = await feed_events(requests_app, "ActivityReminder", 1)
    assert reminder["payload"]["subjects"] == [seated.subject]  # the waiting list is not reminded


async def test_a_cancelled_activity_gets_no_reminder(
    requests_app: httpx.AsyncClient, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    activity = await _activity(requests_app, world, capacity=1)
    await requests_app.post(f"/v1/activities/{activity['id']}/cancellation", headers=auth(world.staff()))
    assert await _remind(sessionmaker, STARTS - dt.timedelta(hours=23)) == 0
