"""The events the notifications service reads: recipients by subject, a short title, deadline notices once."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from service_requests.requests.jobs import escalate_due, notice_deadlines_approaching
from service_requests.working_calendar import SHANGHAI
from shared.db import create_engine, create_sessionmaker
from shared.settings import PlatformSettings
from shared.uow import UnitOfWork
from tests.service_requests.conftest import World, act, create_type, feed_events, submit

# On the eve of the 2026 National Day: acknowledge by 14:00 the same day, resolve by 13 October 17:00.
SUBMITTED = dt.datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture
async def sessionmaker(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(PlatformSettings(database_url=database_url, environment="test").async_database_url)
    yield create_sessionmaker(engine)
    await engine.dispose()


async def _notice(sessionmaker: async_sessionmaker[AsyncSession], now: dt.datetime) -> int:
    async with sessionmaker() as session, session.begin():
        return await notice_deadlines_approaching(UnitOfWork(session, None), now)


async def test_submission_and_transitions_name_the_requester_and_the_assignee(
    requests_app: httpx.AsyncClient, world: World
) -> None:
    service_type = await create_type(requests_app, world)
    requester, staff = world.employee(), world.staff()
    created = (await submit(requests_app, requester, service_type["id"])).json()
    version = (await act(requests_app, staff, created["id"], "accept", 1)).json()["version"]
    await act(requests_app, staff, created["id"], "assign", version, assignee_subject="staff-handler-7")

    (submitted,) = await feed_events(requests_app, "RequestSubmitted", 1)
    assert submitted["payload"]["requester_subject"] == requester.subject
    assert submitted["payload"]["title"] == "融资咨询"
    assert submitted["payload"]["enterprise_id"] == str(world.enterprise_id)
    accepted, assigned = await feed_events(requests_app, "RequestTransitioned", 2)
    assert accepted["payload"]["requester_subject"] == requester.subject
    assert accepted["payload"]["assignee_subject"] is None
    assert assigned["payload"]["assignee_subject"] == "staff-handler-7"
    assert assigned["payload"]["title_en"] == "Financing consultation"
    assert "description" not in assigned["payload"]


async def test_deadline_notices_come_once_per_deadline_at_eighty_percent(
    requests_app: httpx.AsyncClient,
    world: World,
    sessionmaker: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    service_type = await create_type(requests_app, world)
    requester = world.employee()
    monkeypatch.setattr("service_requests.requests.router.utcnow", lambda: SUBMITTED.astimezone(dt.UTC))
    created = (await submit(requests_app, requester, service_type["id"])).json()
    monkeypatch.undo()
    resolve_due = dt.datetime.fromisoformat(created["resolve_due_at"])

    # 80% of the four hours to 14:00 is 13:12
    assert await _notice(sessionmaker, SUBMITTED.replace(hour=13, minute=11)) == 0
    assert await _notice(sessionmaker, SUBMITTED.replace(hour=13, minute=13)) == 1
    assert await _notice(sessionmaker, SUBMITTED.replace(hour=13, minute=30)) == 0
    assert await _notice(sessionmaker, resolve_due - dt.timedelta(minutes=5)) == 1
    assert await _notice(sessionmaker, resolve_due - dt.timedelta(minutes=1)) == 0
    assert await _notice(sessionmaker, resolve_due + dt.timedelta(minutes=1)) == 0  # passed: that is overdue

    notices = await feed_events(requests_app, "RequestDeadlineApproaching", 2)
    assert [event["payload"]["deadline"] for event in notices] == ["acknowledge", "resolve"]
    assert notices[0]["payload"]["requester_subject"] == requester.subject
    assert dt.datetime.fromisoformat(notices[1]["payload"]["due_at"]) == resolve_due
    assert notices[1]["payload"]["community_id"] == str(world.community_id)


async def test_two_jobs_racing_write_one_notice(
    requests_app: httpx.AsyncClient,
    world: World,
    sessionmaker: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    service_type = await create_type(requests_app, world)
    monkeypatch.setattr("service_requests.requests.router.utcnow", lambda: SUBMITTED.astimezone(dt.UTC))
    await submit(requests_app, world.employee(), service_type["id"])
    monkeypatch.undo()
    counts = await asyncio.gather(*(_notice(sessionmaker, SUBMITTED.replace(hour=13, minute=30)) for _ in range(4)))
    assert sum(counts) == 1


async def test_overdue_events_name_the_requester(
    requests_app: httpx.AsyncClient, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    service_type = await create_type(requests_app, world)
    requester = world.employee()
    created = (await submit(requests_app, requester, service_type["id"])).json()
    async with sessionmaker() as session, session.begin():
        due = dt.datetime.fromisoformat(created["resolve_due_at"])
        await escalate_due(UnitOfWork(session, None), due + dt.timedelta(minutes=1))
    (overdue,) = await feed_events(requests_app, "RequestOverdue", 1)
    assert overdue["payload"]["requester_subject"] == requester.subject
    assert overdue["payload"]["title"] == "融资咨询"
