"""A person's own enrolments (issue 18): listed newest first and paged, cancelled by the person,
never someone else's; enrolment closes once the activity has started (409 `ACTIVITY_STARTED`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx

from tests.service_requests.conftest import World
from tests.support.identities import auth


async def _activity(client: httpx.AsyncClient, world: World, starts: dt.datetime, capacity: int = 1) -> dict[str, Any]:
    body = {
        "community_id": str(world.community_id),
        "title": "直播电商技能培训",
        "scenario": "personal_growth",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + dt.timedelta(hours=2)).isoformat(),
        "place": "党群服务中心 3 楼",
        "capacity": capacity,
        "eligible_roles": ["employee", "enterprise_rep"],
    }
    response = await client.post("/v1/activities", json=body, headers=auth(world.staff()))
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_my_enrolments_are_mine_paged_and_cancellable(requests_app: httpx.AsyncClient, world: World) -> None:
    soon = (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).replace(microsecond=0)
    first, second = await _activity(requests_app, world, soon), await _activity(requests_app, world, soon)
    me, coworker = world.employee(), world.employee()
    assert (
        await requests_app.post(f"/v1/activities/{first['id']}/enrollments", headers=auth(coworker))
    ).status_code == 201
    for activity in (first, second):
        made = await requests_app.post(f"/v1/activities/{activity['id']}/enrollments", headers=auth(me))
        assert made.status_code == 201, made.text

    page = await requests_app.get("/v1/activities/enrollments/mine", params={"limit": 1}, headers=auth(me))
    assert page.status_code == 200, page.text
    [newest] = page.json()["items"]
    assert (newest["activity_id"], newest["status"], newest["waitlist_position"], newest["title"]) == (
        second["id"],
        "enrolled",
        None,
        "直播电商技能培训",
    )
    rest = await requests_app.get(
        "/v1/activities/enrollments/mine", params={"limit": 1, "cursor": page.json()["next_cursor"]}, headers=auth(me)
    )
    [older] = rest.json()["items"]
    # the coworker took the only seat of the first activity: I wait, first in line
    assert (older["activity_id"], older["status"], older["waitlist_position"]) == (first["id"], "waitlisted", 1)
    assert rest.json().get("next_cursor") is None
    assert older["subject"] == me.subject and newest["subject"] == me.subject

    # I cancel one; the list shows it cancelled, the status filter hides it; the coworker sees only theirs
    gone = await requests_app.delete(f"/v1/activities/{first['id']}/enrollments", headers=auth(me))
    assert gone.status_code == 204
    everything = (await requests_app.get("/v1/activities/enrollments/mine", headers=auth(me))).json()["items"]
    assert [(item["activity_id"], item["status"]) for item in everything] == [
        (second["id"], "enrolled"),
        (first["id"], "cancelled"),
    ]
    active = await requests_app.get("/v1/activities/enrollments/mine", params={"status": "enrolled"}, headers=auth(me))
    assert [item["activity_id"] for item in active.json()["items"]] == [second["id"]]
    theirs = (await requests_app.get("/v1/activities/enrollments/mine", headers=auth(coworker))).json()["items"]
    assert [(item["activity_id"], item["subject"]) for item in theirs] == [(first["id"], coworker.subject)]


async def test_enrolment_after_the_start_is_refused_with_a_clear_code(
    requests_app: httpx.AsyncClient, world: World
) -> None:
    started = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)).replace(microsecond=0)
    activity = await _activity(requests_app, world, started, capacity=10)
    late = await requests_app.post(f"/v1/activities/{activity['id']}/enrollments", headers=auth(world.employee()))
    assert late.status_code == 409, late.text
    assert late.json()["code"] == "ACTIVITY_STARTED"
    assert late.json()["starts_at"] == started.isoformat().replace("+00:00", "Z")
    current = (await requests_app.get(f"/v1/activities/{activity['id']}", headers=auth(world.staff()))).json()
    assert current["enrolled_count"] == 0
