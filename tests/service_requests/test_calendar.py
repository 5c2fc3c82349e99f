"""The working-day calendar across 2026/2027: without a 2027 table (provisional, Monday-Friday) and with one.

The 2027 table here is a test table, not the State Council's dates.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.routing import upstream_for
from service_requests.calendar import service as calendar_service
from service_requests.calendar.schemas import CalendarYearBody
from service_requests.requests import ratings, submission
from service_requests.requests.schemas import RatingCreate, RequestCreate
from service_requests.working_calendar import (
    PACKAGE_ONLY,
    SHANGHAI,
    DayKind,
    WorkingCalendar,
    YearNotCovered,
    add_working_days,
)
from shared.auth import Identity
from shared.db import create_engine, create_sessionmaker
from shared.settings import PlatformSettings
from shared.uow import UnitOfWork
from tests.service_requests.conftest import World, act, create_type, submit
from tests.support.identities import admin, auth

# A test table for 2027: New Year off 1-3 January, a make-up working Saturday on 20 February.
TEST_2027: dict[str, Any] = {
    "year": 2027,
    "notice": "test table",
    "holidays": [
        {"date": "2027-01-01", "name": "元旦"},
        {"date": "2027-01-02", "name": "元旦"},
        {"date": "2027-01-03", "name": "元旦"},
    ],
    "working_days": [{"date": "2027-02-20", "name": "调休"}],
}
WITH_2027 = WorkingCalendar(
    {
        2027: {
            dt.date(2027, 1, 1): DayKind.holiday,
            dt.date(2027, 1, 2): DayKind.holiday,
            dt.date(2027, 1, 3): DayKind.holiday,
            dt.date(2027, 2, 20): DayKind.working_day,
        }
    }
)
CALENDAR = "/v1/working-calendar"


def shanghai(year: int, month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def test_without_a_2027_table_a_deadline_reaching_2027_counts_weekdays_and_is_provisional() -> None:
    # the case: 15 working days from Monday 2026-12-21 ignore New Year's Day
    due = PACKAGE_ONLY.add_working_days(shanghai(2026, 12, 21, 10), 15)
    assert due.due_at == shanghai(2027, 1, 11, 17)
    assert due.provisional
    inside = PACKAGE_ONLY.add_working_days(shanghai(2026, 12, 1, 10), 5)
    assert inside.due_at == shanghai(2026, 12, 8, 17) and not inside.provisional
    hours = PACKAGE_ONLY.add_working_hours(shanghai(2026, 12, 31, 16), 2)
    assert hours.due_at == shanghai(2027, 1, 1, 10) and hours.provisional
    with pytest.raises(YearNotCovered):  # the strict helpers never guess
        add_working_days(shanghai(2026, 12, 21, 10), 15)


def test_with_a_2027_table_its_holidays_and_make_up_days_count_and_nothing_is_provisional() -> None:
    due = WITH_2027.add_working_days(shanghai(2026, 12, 21, 10), 15)
    assert due == (shanghai(2027, 1, 12, 17), False)
    assert WITH_2027.add_working_hours(shanghai(2026, 12, 31, 16), 2) == (shanghai(2027, 1, 4, 10), False)
    assert WITH_2027.add_working_days(shanghai(2027, 2, 19, 10), 1) == (shanghai(2027, 2, 20, 17), False)
    assert add_working_days(shanghai(2026, 12, 21, 10), 15, WITH_2027) == shanghai(2027, 1, 12, 17)


def test_a_table_replaces_the_package_for_its_year() -> None:
    # Wednesday 2026-10-07 is a holiday by the package; a 2026 table that does not list it makes it a working day
    replaced = WorkingCalendar({2026: {}})
    assert not PACKAGE_ONLY.is_working_day(dt.date(2026, 10, 7))
    assert replaced.is_working_day(dt.date(2026, 10, 7))


def test_the_gateway_routes_the_calendar_to_service_requests() -> None:
    assert upstream_for("/v1/working-calendar/2027") == "service-requests"


def test_next_year_is_reported_missing_from_the_first_of_november() -> None:
    assert not PACKAGE_ONLY.next_year_missing(dt.date(2026, 10, 31))
    assert PACKAGE_ONLY.next_year_missing(dt.date(2026, 11, 1))
    assert not WITH_2027.next_year_missing(dt.date(2026, 11, 1))


@pytest.fixture
async def sessionmaker(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(PlatformSettings(database_url=database_url, environment="test").async_database_url)
    yield create_sessionmaker(engine)
    await engine.dispose()


async def _submit_at(
    sessionmaker: async_sessionmaker[AsyncSession], who: Identity, type_id: str, now: dt.datetime
) -> dict[str, Any]:
    """File a request as if it were `now` (the route always uses the clock)."""
    body = RequestCreate(type_id=type_id, description=f"request of {now.isoformat()}", answers={"amount": 300})
    async with sessionmaker() as session, session.begin():
        return (await submission.submit(UnitOfWork(session, None), who, body, now)).model_dump()


async def _read(client: httpx.AsyncClient, world: World, request_id: Any) -> dict[str, Any]:
    answer = await client.get(f"/v1/service-requests/{request_id}", headers=auth(world.staff()))
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def _at(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


async def test_loading_2027_recomputes_open_provisional_deadlines_with_a_history_entry(
    requests_app: httpx.AsyncClient, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    service_type = await create_type(
        requests_app,
        world,
        deadlines={
            "acknowledge": {"amount": 4, "unit": "working_hours"},
            "resolve": {"amount": 15, "unit": "working_days"},
        },
    )
    requester = world.employee()
    late = await _submit_at(sessionmaker, requester, service_type["id"], shanghai(2026, 12, 21, 10))
    early = await _submit_at(sessionmaker, requester, service_type["id"], shanghai(2026, 11, 2, 10))
    cancelled = await _submit_at(sessionmaker, requester, service_type["id"], shanghai(2026, 12, 22, 10))
    assert (await act(requests_app, requester, str(cancelled["id"]), "cancel", 1)).status_code == 200

    before = await _read(requests_app, world, late["id"])
    assert before["provisional"] is True
    assert _at(before["resolve_due_at"]) == shanghai(2027, 1, 11, 17)
    assert (await _read(requests_app, world, early["id"]))["provisional"] is False

    loaded = await requests_app.put(f"{CALENDAR}/2027", json=TEST_2027, headers=auth(admin()))
    assert loaded.status_code == 201, loaded.text
    assert loaded.headers["ETag"] == '"v1"'
    assert loaded.json()["recomputed_requests"] == 1

    after = await _read(requests_app, world, late["id"])
    assert after["provisional"] is False
    assert _at(after["resolve_due_at"]) == shanghai(2027, 1, 12, 17)
    assert after["version"] == before["version"] + 1
    timeline = (
        await requests_app.get(f"/v1/service-requests/{late['id']}/timeline", headers=auth(world.staff()))
    ).json()["items"]
    entry = [item for item in timeline if item["kind"] == "deadline"]
    assert len(entry) == 1
    assert entry[0]["data"]["year"] == 2027
    assert _at(entry[0]["data"]["resolve_due_at"]["from"]) == shanghai(2027, 1, 11, 17)
    assert _at(entry[0]["data"]["resolve_due_at"]["to"]) == shanghai(2027, 1, 12, 17)
    assert entry[0]["data"]["provisional"] == {"from": True, "to": False}
    untouched = await _read(requests_app, world, cancelled["id"])
    assert untouched["provisional"] is True and untouched["status"] == "cancelled"  # closed: not recomputed

    # a request filed now counts the loaded table
    fresh = await _submit_at(sessionmaker, requester, service_type["id"], shanghai(2026, 12, 21, 10))
    assert fresh["provisional"] is False
    assert fresh["resolve_due_at"] == shanghai(2027, 1, 12, 17)


async def test_a_reopened_request_keeps_its_rectification_clock_through_the_recompute(
    requests_app: httpx.AsyncClient, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    service_type = await create_type(requests_app, world)
    requester = world.employee()
    created = (await submit(requests_app, requester, service_type["id"])).json()
    version = 1
    for action, extra in (("accept", {}), ("assign", {}), ("start", {}), ("resolve", {"reason": "完成"})):
        version = (await act(requests_app, world.staff(), created["id"], action, version, **extra)).json()["version"]
    async with sessionmaker() as session, session.begin():
        await ratings.rate(
            UnitOfWork(session, None),
            requester,
            uuid.UUID(created["id"]),
            RatingCreate(score=1),
            shanghai(2026, 12, 21, 10),
        )
    reopened = await _read(requests_app, world, created["id"])
    assert reopened["status"] == "reopened" and reopened["provisional"] is True
    assert _at(reopened["resolve_due_at"]) == shanghai(2027, 1, 11, 17)

    assert (await requests_app.put(f"{CALENDAR}/2027", json=TEST_2027, headers=auth(admin()))).status_code == 201
    recomputed = await _read(requests_app, world, created["id"])
    assert recomputed["provisional"] is False
    assert _at(recomputed["resolve_due_at"]) == shanghai(2027, 1, 12, 17)


async def _badly_rated(
    client: httpx.AsyncClient, world: World, sessionmaker: async_sessionmaker[AsyncSession], at: dt.datetime
) -> str:
    """A resolved request the requester rates 1 at `at`: reopened, a return visit owed."""
    service_type = await create_type(client, world)
    requester = world.employee()
    created = (await submit(client, requester, service_type["id"])).json()
    version = 1
    for action, extra in (("accept", {}), ("assign", {}), ("start", {}), ("resolve", {"reason": "完成"})):
        version = (await act(client, world.staff(), created["id"], action, version, **extra)).json()["version"]
    async with sessionmaker() as session, session.begin():
        await ratings.rate(UnitOfWork(session, None), requester, uuid.UUID(created["id"]), RatingCreate(score=1), at)
    return str(created["id"])


async def test_loading_2027_moves_a_pending_return_visit_and_leaves_a_made_one(
    requests_app: httpx.AsyncClient, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    owed = await _badly_rated(requests_app, world, sessionmaker, shanghai(2026, 12, 31, 10))
    made = await _badly_rated(requests_app, world, sessionmaker, shanghai(2026, 12, 31, 11))
    visited = await requests_app.post(
        f"/v1/service-requests/{made}/return-visits", json={"notes": "电话回访"}, headers=auth(world.staff())
    )
    assert visited.status_code == 200, visited.text
    before = await _read(requests_app, world, owed)
    # without a 2027 table, 1 January 2027 (a Friday) counts as a working day, provisionally
    assert _at(before["return_visit_due_at"]) == shanghai(2027, 1, 1, 17) and before["provisional"] is True

    loaded = await requests_app.put(f"{CALENDAR}/2027", json=TEST_2027, headers=auth(admin()))
    assert loaded.status_code == 201, loaded.text

    after = await _read(requests_app, world, owed)
    assert _at(after["return_visit_due_at"]) == shanghai(2027, 1, 4, 17)  # New Year off 1-3 January
    assert after["provisional"] is False
    timeline = (await requests_app.get(f"/v1/service-requests/{owed}/timeline", headers=auth(world.staff()))).json()[
        "items"
    ]
    [entry] = [item for item in timeline if item["kind"] == "deadline"]
    moved = entry["data"]["return_visit_due_at"]
    assert (_at(moved["from"]), _at(moved["to"])) == (shanghai(2027, 1, 1, 17), shanghai(2027, 1, 4, 17))
    # a visit already made keeps the due date it was judged against
    kept = await _read(requests_app, world, made)
    assert _at(kept["return_visit_due_at"]) == shanghai(2027, 1, 1, 17)
    made_timeline = (
        await requests_app.get(f"/v1/service-requests/{made}/timeline", headers=auth(world.staff()))
    ).json()["items"]
    assert all("return_visit_due_at" not in item["data"] for item in made_timeline if item["kind"] == "deadline")


async def test_a_load_elsewhere_reaches_this_process_at_its_next_deadline(
    requests_app: httpx.AsyncClient, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    service_type = await create_type(
        requests_app,
        world,
        deadlines={
            "acknowledge": {"amount": 1, "unit": "working_days"},
            "resolve": {"amount": 15, "unit": "working_days"},
        },
    )
    async with sessionmaker() as session:
        warmed = await calendar_service.current_calendar(UnitOfWork(session, None))
    assert not warmed.covers(2027)
    # another replica loads 2027: this process's cache is not told, the database's version is
    async with sessionmaker() as session, session.begin():
        body = CalendarYearBody.model_validate(TEST_2027)
        await calendar_service.load_year(
            UnitOfWork(session, None), body, loaded_by="replica-b", now=shanghai(2026, 12, 1, 9)
        )
    stale = calendar_service.cached_calendar()
    assert stale is not None and not stale.covers(2027)

    requester = world.employee()
    filed = await _submit_at(sessionmaker, requester, service_type["id"], shanghai(2026, 12, 21, 10))
    assert filed["resolve_due_at"] == shanghai(2027, 1, 12, 17)
    assert filed["provisional"] is False


async def _put(client: httpx.AsyncClient, body: dict[str, Any], **headers: str) -> httpx.Response:
    return await client.put(f"{CALENDAR}/{body['year']}", json=body, headers={**auth(admin()), **headers})


@pytest.mark.parametrize(
    ("change", "code", "pointer"),
    [
        (
            {"working_days": [{"date": "2027-01-02", "name": "调休"}]},
            "CALENDAR_DAY_CONTRADICTORY",
            "/working_days/0/date",
        ),
        ({"holidays": [{"date": "2026-12-31", "name": "元旦"}]}, "CALENDAR_DATE_OUTSIDE_YEAR", "/holidays/0/date"),
        (
            {"holidays": [{"date": "2027-01-01", "name": "元旦"}, {"date": "2027-01-01", "name": "元旦"}]},
            "CALENDAR_DAY_DUPLICATE",
            "/holidays/1/date",
        ),
        (
            {"working_days": [{"date": "2027-02-22", "name": "调休"}]},
            "CALENDAR_WORKING_DAY_NOT_WEEKEND",
            "/working_days/0/date",
        ),
        ({"holidays": [{"date": "2027-01-01"}]}, "CALENDAR_HOLIDAY_UNNAMED", "/holidays/0/name"),
    ],
)
async def test_a_bad_table_is_a_422_naming_the_day_and_writes_nothing(
    requests_app: httpx.AsyncClient, change: dict[str, Any], code: str, pointer: str
) -> None:
    refused = await _put(requests_app, {**TEST_2027, **change})
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == code
    assert refused.json()["errors"][0]["pointer"] == pointer
    assert (await requests_app.get(f"{CALENDAR}/2027", headers=auth(admin()))).status_code == 404


async def test_a_year_loaded_twice_is_409_unless_replaced_with_its_version(requests_app: httpx.AsyncClient) -> None:
    assert (await _put(requests_app, TEST_2027)).status_code == 201
    again = await _put(requests_app, TEST_2027)
    assert again.status_code == 409
    assert again.json()["code"] == "CALENDAR_YEAR_ALREADY_LOADED"
    assert (await _put(requests_app, TEST_2027, **{"If-Match": '"v7"'})).status_code == 412
    # a refused replacement leaves the loaded table as it was
    bad = {**TEST_2027, "working_days": [{"date": "2027-01-01", "name": "x"}]}
    assert (await _put(requests_app, bad, **{"If-Match": '"v1"'})).status_code == 422
    smaller = {**TEST_2027, "holidays": TEST_2027["holidays"][:1]}
    replaced = await _put(requests_app, smaller, **{"If-Match": '"v1"'})
    assert replaced.status_code == 200, replaced.text
    assert replaced.headers["ETag"] == '"v2"'
    shown = (await requests_app.get(f"{CALENDAR}/2027", headers=auth(admin()))).json()
    assert [day["date"] for day in shown["holidays"]] == ["2027-01-01"]
    mismatch = await requests_app.put(f"{CALENDAR}/2028", json=TEST_2027, headers=auth(admin()))
    assert mismatch.status_code == 422 and mismatch.json()["code"] == "CALENDAR_YEAR_MISMATCH"
    overview = (await requests_app.get(CALENDAR, headers=auth(admin()))).json()
    assert [(year["year"], year["holidays"], year["working_days"]) for year in overview["loaded_years"]] == [
        (2027, 1, 1)
    ]


async def test_readiness_warns_while_next_year_is_missing_and_stays_ready(
    requests_app: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with sessionmaker() as session:
        assert await calendar_service.readiness_warnings(session, dt.date(2026, 10, 31)) == []
        warnings = await calendar_service.readiness_warnings(session, dt.date(2026, 11, 1))
    assert [warning["code"] for warning in warnings] == ["WORKING_CALENDAR_NEXT_YEAR_MISSING"]
    metrics = (await requests_app.get("/metrics")).text
    assert "working_calendar_next_year_missing 1.0" in metrics

    today = calendar_service.shanghai_today()
    ready = await requests_app.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ok"
    expected = ["WORKING_CALENDAR_NEXT_YEAR_MISSING"] if PACKAGE_ONLY.next_year_missing(today) else []
    assert [warning["code"] for warning in ready.json().get("warnings", [])] == expected

    async with sessionmaker() as session, session.begin():
        body = CalendarYearBody.model_validate({**TEST_2027, "year": 2027, "working_days": []})
        await calendar_service.load_year(
            UnitOfWork(session, None), body, loaded_by="test", now=shanghai(2026, 12, 1, 9)
        )
    async with sessionmaker() as session:
        assert await calendar_service.readiness_warnings(session, dt.date(2026, 11, 1)) == []
    assert "working_calendar_next_year_missing 0.0" in (await requests_app.get("/metrics")).text


async def test_the_recompute_keeps_time_spent_waiting_and_moves_an_unmet_acknowledge_deadline(
    requests_app: httpx.AsyncClient, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    service_type = await create_type(requests_app, world)  # acknowledge 4 working hours, resolve 5 working days
    requester = world.employee()
    waiting = await _submit_at(sessionmaker, requester, service_type["id"], shanghai(2026, 12, 31, 16))
    unacknowledged = await _submit_at(sessionmaker, requester, service_type["id"], shanghai(2026, 12, 31, 16))
    assert waiting["acknowledge_due_at"] == shanghai(2027, 1, 1, 12) and waiting["provisional"]
    assert waiting["resolve_due_at"] == shanghai(2027, 1, 7, 17)
    version = 1
    for action, extra in (("accept", {}), ("assign", {}), ("start", {}), ("request_info", {"reason": "补材料"})):
        version = (await act(requests_app, world.staff(), str(waiting["id"]), action, version, **extra)).json()[
            "version"
        ]
    resumed = (await act(requests_app, requester, str(waiting["id"]), "provide_info", version, reason="已补")).json()
    paused_for = _at(resumed["resolve_due_at"]) - shanghai(2027, 1, 7, 17)
    assert paused_for > dt.timedelta(0)

    loaded = await requests_app.put(f"{CALENDAR}/2027", json=TEST_2027, headers=auth(admin()))
    assert loaded.json()["recomputed_requests"] == 2
    moved = await _read(requests_app, world, waiting["id"])
    assert _at(moved["resolve_due_at"]) == shanghai(2027, 1, 8, 17) + paused_for
    assert _at(moved["acknowledge_due_at"]) == shanghai(2027, 1, 1, 12)  # met by accept: left as it was
    assert moved["provisional"] is False
    pending = await _read(requests_app, world, unacknowledged["id"])
    assert _at(pending["acknowledge_due_at"]) == shanghai(2027, 1, 4, 12)
    assert _at(pending["resolve_due_at"]) == shanghai(2027, 1, 8, 17)
