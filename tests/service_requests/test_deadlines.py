"""Deadlines on the Chinese working-day calendar, the overdue flag, escalations and auto-closing."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from service_requests.app import create_app
from service_requests.requests.jobs import close_unrated, escalate_due
from service_requests.settings import Settings
from service_requests.working_calendar import SHANGHAI, DeadlineUnit, add_working_days, add_working_hours, deadline
from shared.db import create_engine, create_sessionmaker
from shared.settings import PlatformSettings
from shared.uow import UnitOfWork
from tests.service_requests.conftest import World, act, create_type, feed_events, submit
from tests.support.identities import auth


def shanghai(year: int, month: int, day: int, hour: int, minute: int) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def test_working_days_skip_the_national_day_holiday_and_count_the_make_up_saturday() -> None:
    # 2025: 1-8 October off; Sunday 28 September and Saturday 11 October are make-up working days.
    submitted = shanghai(2025, 9, 30, 10, 0)
    assert add_working_days(submitted, 1) == shanghai(2025, 10, 9, 17, 0)
    assert add_working_days(submitted, 3) == shanghai(2025, 10, 11, 17, 0)  # the make-up Saturday counts
    assert add_working_days(submitted, 5) == shanghai(2025, 10, 14, 17, 0)  # Sunday 12th does not
    before = shanghai(2025, 9, 26, 12, 0)  # a Friday: Saturday 27th is off, Sunday 28th works
    assert add_working_days(before, 1) == shanghai(2025, 9, 28, 17, 0)


def test_working_hours_stop_at_the_end_of_the_day_and_resume_after_the_holiday() -> None:
    assert add_working_hours(shanghai(2025, 9, 30, 16, 0), 4) == shanghai(2025, 10, 9, 12, 0)
    assert add_working_hours(shanghai(2025, 10, 3, 10, 0), 2) == shanghai(2025, 10, 9, 11, 0)
    assert add_working_hours(shanghai(2025, 10, 10, 20, 0), 1) == shanghai(2025, 10, 11, 10, 0)
    assert deadline(shanghai(2025, 10, 9, 7, 30), 8, DeadlineUnit.working_hours) == shanghai(2025, 10, 9, 17, 0)


def test_2026_spring_festival_national_day_and_mid_autumn_by_hand() -> None:
    # State Council notice for 2026: 15-23 February off, Saturdays 14 and 28 February work;
    # 25-27 September (Mid-Autumn) off; 1-7 October off, Sunday 20 September and Saturday 10 October work.
    assert add_working_days(shanghai(2026, 2, 13, 10, 0), 1) == shanghai(2026, 2, 14, 17, 0)
    assert add_working_days(shanghai(2026, 2, 13, 10, 0), 2) == shanghai(2026, 2, 24, 17, 0)
    assert add_working_days(shanghai(2026, 2, 13, 10, 0), 6) == shanghai(2026, 2, 28, 17, 0)
    assert add_working_days(shanghai(2026, 9, 18, 12, 0), 1) == shanghai(2026, 9, 20, 17, 0)
    assert add_working_days(shanghai(2026, 9, 24, 15, 0), 1) == shanghai(2026, 9, 28, 17, 0)
    assert add_working_days(shanghai(2026, 9, 30, 10, 0), 1) == shanghai(2026, 10, 8, 17, 0)
    assert add_working_days(shanghai(2026, 9, 30, 10, 0), 3) == shanghai(2026, 10, 10, 17, 0)
    assert add_working_days(shanghai(2026, 9, 30, 10, 0), 5) == shanghai(2026, 10, 13, 17, 0)
    assert add_working_hours(shanghai(2026, 9, 30, 16, 0), 4) == shanghai(2026, 10, 8, 12, 0)
    assert add_working_hours(shanghai(2026, 2, 14, 15, 0), 3) == shanghai(2026, 2, 24, 10, 0)


# A submission clock fixed on the eve of the 2026 National Day: the deadlines below are counted by hand.
SUBMITTED = shanghai(2026, 9, 30, 10, 0)


@pytest.fixture
async def sessionmaker(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(PlatformSettings(database_url=database_url, environment="test").async_database_url)
    yield create_sessionmaker(engine)
    await engine.dispose()


async def _escalate(sessionmaker: async_sessionmaker[AsyncSession], now: dt.datetime) -> int:
    async with sessionmaker() as session, session.begin():
        return await escalate_due(UnitOfWork(session, None), now)


async def test_overdue_requests_escalate_at_once_and_three_times_the_deadline(
    requests_app: httpx.AsyncClient,
    world: World,
    sessionmaker: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    service_type = await create_type(requests_app, world)
    # The wall clock is the one input faked: the submission happens at SUBMITTED.
    monkeypatch.setattr("service_requests.requests.router.utcnow", lambda: SUBMITTED.astimezone(dt.UTC))
    created = (await submit(requests_app, world.employee(), service_type["id"])).json()
    monkeypatch.undo()
    submitted_at = dt.datetime.fromisoformat(created["created_at"])
    assert submitted_at == SUBMITTED
    due = dt.datetime.fromisoformat(created["resolve_due_at"])
    # 5 working days: 8, 9, 10 (make-up Saturday), 12 and 13 October; 4 working hours: 10:00 to 14:00.
    assert due == shanghai(2026, 10, 13, 17, 0)
    assert dt.datetime.fromisoformat(created["acknowledge_due_at"]) == shanghai(2026, 9, 30, 14, 0)

    assert await _escalate(sessionmaker, due - dt.timedelta(minutes=1)) == 0
    assert await _escalate(sessionmaker, due + dt.timedelta(minutes=1)) == 1
    assert await _escalate(sessionmaker, due + dt.timedelta(minutes=2)) == 0  # once per level
    three_times = submitted_at + (due - submitted_at) * 3
    assert await _escalate(sessionmaker, three_times + dt.timedelta(seconds=1)) == 1

    staff = world.staff()
    timeline = (await requests_app.get(f"/v1/service-requests/{created['id']}/timeline", headers=auth(staff))).json()
    assert [item["data"]["level"] for item in timeline["items"] if item["kind"] == "escalation"] == [1, 2]
    current = (await requests_app.get(f"/v1/service-requests/{created['id']}", headers=auth(staff))).json()
    assert current["escalation_level"] == 2
    overdue = await feed_events(requests_app, "RequestOverdue", 2)
    assert [event["payload"]["multiple"] for event in overdue] == [1, 3]


async def test_waiting_for_the_requester_pauses_the_clock(requests_app: httpx.AsyncClient, world: World) -> None:
    service_type = await create_type(requests_app, world)
    requester, staff = world.employee(), world.staff()
    created = (await submit(requests_app, requester, service_type["id"])).json()
    version = 1
    for action, extra in (("accept", {}), ("assign", {}), ("start", {}), ("request_info", {"reason": "补材料"})):
        version = (await act(requests_app, staff, created["id"], action, version, **extra)).json()["version"]
    resumed = (await act(requests_app, requester, created["id"], "provide_info", version, reason="已补")).json()
    paused_for = dt.datetime.fromisoformat(resumed["resolve_due_at"]) - dt.datetime.fromisoformat(
        created["resolve_due_at"]
    )
    assert paused_for > dt.timedelta(0)


async def test_a_resolved_request_nobody_rates_closes_after_seven_days(
    requests_app: httpx.AsyncClient, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    service_type = await create_type(requests_app, world)
    staff = world.staff()
    created = (await submit(requests_app, world.employee(), service_type["id"])).json()
    version = 1
    for action, extra in (("accept", {}), ("assign", {}), ("start", {}), ("resolve", {"reason": "完成"})):
        moved = await act(requests_app, staff, created["id"], action, version, **extra)
        version = moved.json()["version"]
    resolved_at = dt.datetime.fromisoformat(moved.json()["resolved_at"])

    async with sessionmaker() as session, session.begin():
        assert await close_unrated(UnitOfWork(session, None), resolved_at + dt.timedelta(days=6, hours=23)) == 0
    async with sessionmaker() as session, session.begin():
        assert await close_unrated(UnitOfWork(session, None), resolved_at + dt.timedelta(days=7, seconds=1)) == 1
    closed = (await requests_app.get(f"/v1/service-requests/{created['id']}", headers=auth(staff))).json()
    assert closed["status"] == "closed"
    assert closed["rating"] is None


async def test_the_overdue_filter_finds_late_requests(
    requests_app: httpx.AsyncClient, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    service_type = await create_type(requests_app, world)
    late = (await submit(requests_app, world.employee(), service_type["id"], description="迟了")).json()
    on_time = (await submit(requests_app, world.employee(), service_type["id"], description="准时")).json()
    async with sessionmaker() as session, session.begin():
        await session.execute(
            text("UPDATE requests.service_request SET resolve_due_at = now() - interval '1 hour' WHERE id = :id"),
            {"id": late["id"]},
        )
    staff = world.staff()
    overdue = await requests_app.get("/v1/service-requests", params={"overdue": "true"}, headers=auth(staff))
    assert [item["id"] for item in overdue.json()["items"]] == [late["id"]]
    assert overdue.json()["items"][0]["overdue"] is True
    fine = await requests_app.get("/v1/service-requests", params={"overdue": "false"}, headers=auth(staff))
    assert [item["id"] for item in fine.json()["items"]] == [on_time["id"]]


async def test_the_periodic_job_runs_in_the_background(
    database_url: str, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    app = create_app(Settings(database_url=database_url, environment="test", job_interval_seconds=0.1))
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service.test") as client:
            service_type = await create_type(client, world)
            created = (await submit(client, world.employee(), service_type["id"])).json()
            async with sessionmaker() as session, session.begin():
                await session.execute(
                    text(
                        "UPDATE requests.service_request SET clock_started_at = now() - interval '2 days', "
                        "resolve_due_at = now() - interval '1 day' WHERE id = :id"
                    ),
                    {"id": created["id"]},
                )
            levels: list[int] = []
            for _ in range(100):
                await asyncio.sleep(0.1)
                timeline = await client.get(
                    f"/v1/service-requests/{created['id']}/timeline", headers=auth(world.staff())
                )
                levels = [item["data"]["level"] for item in timeline.json()["items"] if item["kind"] == "escalation"]
                if levels:
                    break
            assert levels == [1]
