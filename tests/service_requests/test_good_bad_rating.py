"""好差评: a bad rating owes a return visit within 1 working day, a rectification within 15, and one
follow-up rating; each step is in the history, late steps are escalated, the figures add up."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import chinese_calendar
import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from service_requests.requests.jobs import escalate_due
from shared.db import create_engine, create_sessionmaker
from shared.settings import PlatformSettings
from shared.uow import UnitOfWork
from tests.service_requests.conftest import World, act, create_type, submit
from tests.support.identities import auth

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
async def sessionmaker(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(PlatformSettings(database_url=database_url, environment="test").async_database_url)
    yield create_sessionmaker(engine)
    await engine.dispose()


def next_working_day(day: dt.date) -> tuple[dt.date, bool]:
    """The State Council calendar as the holiday package has it (weekdays, provisional, past its years)."""
    candidate = day + dt.timedelta(days=1)
    while True:
        try:
            working, provisional = chinese_calendar.is_workday(candidate), False
        except NotImplementedError:
            working, provisional = candidate.weekday() < 5, True
        if working:
            return candidate, provisional
        candidate += dt.timedelta(days=1)


async def resolved_request(client: httpx.AsyncClient, world: World) -> dict[str, Any]:
    """A resolved request; `requester` is the identity that filed it (the one who may rate)."""
    service_type = await create_type(client, world)
    requester = world.employee()
    created = (await submit(client, requester, service_type["id"])).json()
    version = created["version"]
    for action, extra in (("accept", {}), ("start", {}), ("resolve", {"reason": "已办结"})):
        moved = await act(client, world.staff(), created["id"], action, version, **extra)
        assert moved.status_code == 200, moved.text
        version = moved.json()["version"]
    body: dict[str, Any] = moved.json()
    return body | {"requester": requester}


async def rate(client: httpx.AsyncClient, request: dict[str, Any], score: int) -> httpx.Response:
    return await client.post(
        f"/v1/service-requests/{request['id']}/rating", json={"score": score}, headers=auth(request["requester"])
    )


async def visit(client: httpx.AsyncClient, who: Any, request_id: str) -> httpx.Response:
    return await client.post(
        f"/v1/service-requests/{request_id}/return-visits", json={"notes": "电话回访"}, headers=auth(who)
    )


async def test_a_bad_rating_runs_the_whole_loop_to_one_follow_up_rating(
    requests_app: httpx.AsyncClient, world: World
) -> None:
    request = await resolved_request(requests_app, world)
    bad = await rate(requests_app, request, 1)
    assert bad.status_code == 200, bad.text
    reopened = bad.json()
    rated_on = dt.datetime.fromisoformat(reopened["updated_at"]).astimezone(SHANGHAI).date()
    visit_day, provisional = next_working_day(rated_on)
    due = dt.datetime.fromisoformat(reopened["return_visit_due_at"]).astimezone(SHANGHAI)
    assert (due.date(), due.time()) == (visit_day, dt.time(17, 0))
    assert reopened["provisional"] is (provisional or reopened["provisional"])
    assert reopened["status"] == "reopened" and reopened["return_visited_at"] is None

    assert (await visit(requests_app, request["requester"], request["id"])).status_code == 403  # staff only
    assert (await visit(requests_app, world.other_staff(), request["id"])).status_code in (403, 404)
    visited = await visit(requests_app, world.staff(), request["id"])
    assert visited.status_code == 200, visited.text
    assert visited.json()["return_visited_at"] is not None
    again = await visit(requests_app, world.staff(), request["id"])
    assert again.status_code == 409 and again.json()["code"] == "RETURN_VISIT_ALREADY_RECORDED"

    version = visited.json()["version"]
    for action, extra in (("start", {}), ("resolve", {"reason": "整改完成"})):
        moved = await act(requests_app, world.staff(), request["id"], action, version, **extra)
        assert moved.status_code == 200, moved.text
        version = moved.json()["version"]
    follow_up = await rate(requests_app, request, 2)  # still unhappy: recorded, not reopened again
    assert follow_up.status_code == 200, follow_up.text
    assert follow_up.json()["status"] == "closed"
    assert (follow_up.json()["rating"], follow_up.json()["follow_up_rating"]) == (1, 2)
    third = await rate(requests_app, request, 5)
    assert third.status_code == 409 and third.json()["code"] == "NOT_RATEABLE"

    timeline = (
        await requests_app.get(f"/v1/service-requests/{request['id']}/timeline", headers=auth(world.staff()))
    ).json()["items"]
    steps = [(item["kind"], item.get("to_status")) for item in timeline if item["kind"] != "comment"]
    assert ("return_visit", None) in steps
    assert [item["data"]["follow_up"] for item in timeline if item["kind"] == "rating"] == [False, True]


async def test_a_good_rating_owes_no_return_visit(requests_app: httpx.AsyncClient, world: World) -> None:
    request = await resolved_request(requests_app, world)
    good = await rate(requests_app, request, 3)
    assert good.json()["status"] == "closed" and good.json()["return_visit_due_at"] is None
    refused = await visit(requests_app, world.staff(), request["id"])
    assert refused.status_code == 409 and refused.json()["code"] == "NO_RETURN_VISIT_OWED"


async def test_two_follow_up_ratings_at_once_record_exactly_one(
    requests_app: httpx.AsyncClient, world: World, database_url: str, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    request = await resolved_request(requests_app, world)
    reopened = (await rate(requests_app, request, 2)).json()
    version = reopened["version"]
    for action, extra in (("start", {}), ("resolve", {"reason": "整改完成"})):
        version = (await act(requests_app, world.staff(), request["id"], action, version, **extra)).json()["version"]
    answers = await asyncio.gather(*(rate(requests_app, request, score) for score in (5, 4, 1)))
    assert sorted(answer.status_code for answer in answers) == [200, 409, 409]
    async with sessionmaker() as session:
        rows = (
            await session.execute(
                text(
                    "SELECT count(*) FILTER (WHERE kind = 'rating' AND (data->>'follow_up')::boolean),"
                    " (SELECT follow_up_rating FROM requests.service_request WHERE id = :id)"
                    " FROM requests.request_event WHERE request_id = :id"
                ),
                {"id": request["id"]},
            )
        ).one()
    winner = next(answer for answer in answers if answer.status_code == 200).json()["follow_up_rating"]
    assert tuple(rows) == (1, winner)


async def test_a_late_return_visit_is_escalated_once(
    requests_app: httpx.AsyncClient, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    request = await resolved_request(requests_app, world)
    reopened = (await rate(requests_app, request, 1)).json()
    due = dt.datetime.fromisoformat(reopened["return_visit_due_at"])

    async def escalate(now: dt.datetime) -> list[Any]:
        async with sessionmaker() as session, session.begin():
            await escalate_due(UnitOfWork(session, None), now)
            rows = await session.execute(
                text(
                    "SELECT data FROM requests.request_event WHERE request_id = :id AND kind = 'escalation'"
                    " AND data->>'deadline' = 'return_visit'"
                ),
                {"id": request["id"]},
            )
            return list(rows.scalars())

    assert await escalate(due - dt.timedelta(minutes=1)) == []
    assert len(await escalate(due + dt.timedelta(minutes=1))) == 1
    assert len(await escalate(due + dt.timedelta(hours=2))) == 1  # once
    late = await visit(requests_app, world.staff(), request["id"])
    assert late.status_code == 200  # a late visit is still recorded


async def test_the_figures_follow_the_standard_grades(requests_app: httpx.AsyncClient, world: World) -> None:
    for score in (5, 4, 3, 2, 1, 1):
        request = await resolved_request(requests_app, world)
        assert (await rate(requests_app, request, score)).status_code == 200
    today = dt.datetime.now(SHANGHAI).date()
    stats = await requests_app.get(
        "/v1/service-requests/stats",
        params={"community_id": str(world.community_id), "from": str(today - dt.timedelta(days=1)), "to": str(today)},
        headers=auth(world.staff()),
    )
    assert stats.status_code == 200, stats.text
    figures = stats.json()
    assert figures["rating_grades"] == [
        {"key": "5", "count": 1},
        {"key": "4", "count": 1},
        {"key": "3", "count": 1},
        {"key": "2", "count": 1},
        {"key": "1", "count": 2},
    ]
    assert figures["good_rating_rate"] == 0.5  # 3 of 6 are 基本满意 or better
    assert figures["bad_ratings"] == 3 and figures["return_visits_on_time_rate"] == 0.0
    assert figures["follow_up_ratings"] == 0 and figures["follow_up_good_rate"] is None
    # each request above has a service type of its own: six types, one rating each
    per_type = sorted((item["rated"], item["good_rating_rate"]) for item in figures["by_service_type"])
    assert per_type == [(1, 0.0)] * 3 + [(1, 1.0)] * 3
