"""Every date range the service-requests API accepts is bounded, and a reversed one is refused with
a stable code naming the parameter (issue 15, item 6: "bound every date range the API accepts")."""

from __future__ import annotations

import httpx
import pytest

from tests.service_requests.conftest import World
from tests.support.identities import auth

REVERSED = {"created_from": "2026-03-02", "created_to": "2026-03-01"}
TOO_LONG = {"created_from": "2020-01-01", "created_to": "2026-01-01"}


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        (REVERSED, "created_to"),
        (TOO_LONG, "created_to"),
    ],
    ids=["reversed", "longer than 366 days"],
)
async def test_the_request_list_refuses_a_reversed_or_unbounded_range(
    requests_app: httpx.AsyncClient, world: World, params: dict[str, str], parameter: str
) -> None:
    answer = await requests_app.get("/v1/service-requests", params=params, headers=auth(world.staff()))
    assert answer.status_code == 400, answer.text
    assert answer.json()["code"] == "INVALID_DATE_RANGE"
    assert [error["parameter"] for error in answer.json()["errors"]] == [parameter]


async def test_the_request_list_takes_a_range_of_a_year_and_one_bound_alone(
    requests_app: httpx.AsyncClient, world: World
) -> None:
    for params in (
        {"created_from": "2025-01-01", "created_to": "2026-01-01"},  # 366 days, inclusive
        {"created_from": "2026-03-01", "created_to": "2026-03-01"},
        {"created_from": "2020-01-01"},
        {"created_to": "2026-01-01"},
    ):
        answer = await requests_app.get("/v1/service-requests", params=params, headers=auth(world.staff()))
        assert answer.status_code == 200, (params, answer.text)


@pytest.mark.parametrize(
    ("dates", "expected"),
    [
        (("2026-03-02", "2026-03-01"), 400),
        (("2020-01-01", "2026-01-01"), 400),
        (("2025-01-01", "2026-01-01"), 200),
    ],
    ids=["reversed", "longer than 366 days", "a year"],
)
async def test_statistics_take_at_most_a_year_in_order(
    requests_app: httpx.AsyncClient, world: World, dates: tuple[str, str], expected: int
) -> None:
    params = {"community_id": str(world.community_id), "from": dates[0], "to": dates[1]}
    answer = await requests_app.get("/v1/service-requests/stats", params=params, headers=auth(world.staff()))
    assert answer.status_code == expected, answer.text
    if expected == 400:
        assert answer.json()["code"] == "INVALID_DATE_RANGE"
        assert [error["parameter"] for error in answer.json()["errors"]] == ["to"]


@pytest.mark.parametrize(
    "params",
    [
        {"start_date": "2026-03-02T00:00:00+08:00", "end_date": "2026-03-01T00:00:00+08:00"},
        {"start_date": "2025-01-01T00:00:00+08:00", "end_date": "2026-01-01T00:00:00+08:00"},
    ],
    ids=["reversed", "longer than 90 days"],
)
async def test_open311_queries_refuse_a_reversed_or_overlong_range(
    requests_app: httpx.AsyncClient, params: dict[str, str]
) -> None:
    answer = await requests_app.get("/open311/v2/requests.json", params=params)
    assert answer.status_code == 400, answer.text
    assert answer.json()[0]["code"] == 400


async def test_an_activity_ending_before_it_starts_is_refused(requests_app: httpx.AsyncClient, world: World) -> None:
    body = {
        "community_id": str(world.community_id),
        "title": "直播电商技能培训",
        "scenario": "personal_growth",
        "starts_at": "2026-06-01T10:00:00+08:00",
        "ends_at": "2026-06-01T09:00:00+08:00",
        "place": "党群服务中心 3 楼",
        "capacity": 10,
        "eligible_roles": ["employee"],
    }
    answer = await requests_app.post("/v1/activities", json=body, headers=auth(world.staff()))
    assert answer.status_code == 422, answer.text
    assert [error["code"] for error in answer.json()["errors"]] == ["ENDS_BEFORE_START"]
