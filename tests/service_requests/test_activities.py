"""Activities: capacity is never exceeded, the waiting list keeps its order and promotes on cancel."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import httpx

from tests.service_requests.conftest import World
from tests.support.identities import auth


async def _activity(client: httpx.AsyncClient, world: World, capacity: int, **overrides: Any) -> dict[str, Any]:
    # in the future whenever the suite runs: enrolment closes when an activity starts (ACTIVITY_STARTED)
    starts = (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).replace(hour=6, minute=0, second=0, microsecond=0)
    body = {
        "community_id": str(world.community_id),
        "title": "直播电商技能培训",
        "scenario": "personal_growth",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + dt.timedelta(hours=2)).isoformat(),
        "place": "党群服务中心 3 楼",
        "capacity": capacity,
        "eligible_roles": ["employee", "enterprise_rep"],
        **overrides,
    }
    response = await client.post("/v1/activities", json=body, headers=auth(world.staff()))
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_three_hundred_concurrent_enrolments_never_exceed_a_capacity_of_ten(
    requests_app: httpx.AsyncClient, world: World
) -> None:
    activity = await _activity(requests_app, world, capacity=10)
    people = [world.employee() for _ in range(300)]
    responses = await asyncio.gather(
        *(requests_app.post(f"/v1/activities/{activity['id']}/enrollments", headers=auth(who)) for who in people)
    )
    assert {response.status_code for response in responses} == {201}
    statuses = [response.json()["status"] for response in responses]
    assert statuses.count("enrolled") == 10
    assert statuses.count("waitlisted") == 290

    roster = (
        await requests_app.get(f"/v1/activities/{activity['id']}/enrollments", headers=auth(world.staff()))
    ).json()
    assert len(roster["enrolled"]) == 10
    assert [entry["waitlist_position"] for entry in roster["waitlisted"]] == list(range(1, 291))
    # the order of the list is the order in which each enrolment got its answer
    answered = {response.json()["id"]: response.json()["waitlist_position"] for response in responses}
    assert [answered[entry["id"]] for entry in roster["waitlisted"]] == list(range(1, 291))
    current = (await requests_app.get(f"/v1/activities/{activity['id']}", headers=auth(world.staff()))).json()
    assert current["enrolled_count"] == 10


async def test_a_cancelled_seat_goes_to_the_first_on_the_waiting_list(
    requests_app: httpx.AsyncClient, world: World
) -> None:
    activity = await _activity(requests_app, world, capacity=2)
    people = [world.employee() for _ in range(5)]
    for who in people:
        await requests_app.post(f"/v1/activities/{activity['id']}/enrollments", headers=auth(who))

    cancelled = await requests_app.delete(f"/v1/activities/{activity['id']}/enrollments", headers=auth(people[0]))
    assert cancelled.status_code == 204
    roster = (
        await requests_app.get(f"/v1/activities/{activity['id']}/enrollments", headers=auth(world.staff()))
    ).json()
    assert [entry["subject"] for entry in roster["enrolled"]] == [people[1].subject, people[2].subject]
    assert [entry["subject"] for entry in roster["waitlisted"]] == [people[3].subject, people[4].subject]

    leaving_queue = await requests_app.delete(f"/v1/activities/{activity['id']}/enrollments", headers=auth(people[3]))
    assert leaving_queue.status_code == 204
    await requests_app.delete(f"/v1/activities/{activity['id']}/enrollments", headers=auth(people[1]))
    roster = (
        await requests_app.get(f"/v1/activities/{activity['id']}/enrollments", headers=auth(world.staff()))
    ).json()
    assert [entry["subject"] for entry in roster["enrolled"]] == [people[2].subject, people[4].subject]
    assert roster["waitlisted"] == []

    await requests_app.delete(f"/v1/activities/{activity['id']}/enrollments", headers=auth(people[2]))
    current = (await requests_app.get(f"/v1/activities/{activity['id']}", headers=auth(world.staff()))).json()
    assert current["enrolled_count"] == 1
    again = await requests_app.delete(f"/v1/activities/{activity['id']}/enrollments", headers=auth(people[2]))
    assert again.status_code == 404


async def test_enrolling_twice_or_from_elsewhere_is_refused(requests_app: httpx.AsyncClient, world: World) -> None:
    activity = await _activity(requests_app, world, capacity=5, eligible_roles=["employee"])
    who = world.employee()
    assert (
        await requests_app.post(f"/v1/activities/{activity['id']}/enrollments", headers=auth(who))
    ).status_code == 201
    twice = await requests_app.post(f"/v1/activities/{activity['id']}/enrollments", headers=auth(who))
    assert twice.status_code == 409
    rep = await requests_app.post(f"/v1/activities/{activity['id']}/enrollments", headers=auth(world.rep()))
    assert rep.status_code == 403
    outsider = World().employee()
    elsewhere = await requests_app.post(f"/v1/activities/{activity['id']}/enrollments", headers=auth(outsider))
    assert elsewhere.status_code == 404
    listed = await requests_app.get("/v1/activities", headers=auth(outsider))
    assert listed.json()["items"] == []
    mine = await requests_app.get("/v1/activities", headers=auth(who))
    assert [item["id"] for item in mine.json()["items"]] == [activity["id"]]
    other_staff = await requests_app.post(
        "/v1/activities",
        json={
            **{k: activity[k] for k in ("title", "scenario", "starts_at", "ends_at", "place", "capacity")},
            "community_id": str(world.community_id),
            "eligible_roles": ["employee"],
        },
        headers=auth(world.other_staff()),
    )
    assert other_staff.status_code == 403
