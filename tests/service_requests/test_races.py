"""Races on the service-requests invariants, each checked in the database afterwards."""

from __future__ import annotations

import asyncio
import uuid

import httpx

from tests.service_requests.conftest import World, act, create_type, submit
from tests.service_requests.test_activities import _activity
from tests.support.identities import auth
from tests.support.rows import rows


async def test_one_person_enrolling_five_times_at_once_holds_one_place(
    requests_app: httpx.AsyncClient, world: World, database_url: str
) -> None:
    activity = await _activity(requests_app, world, capacity=5, eligible_roles=["employee"])
    who = world.employee()
    path = f"/v1/activities/{activity['id']}/enrollments"
    answers = await asyncio.gather(*(requests_app.post(path, headers=auth(who)) for _ in range(5)))
    assert sorted(answer.status_code for answer in answers) == [201, 409, 409, 409, 409]
    stored = await rows(
        database_url,
        "SELECT status FROM requests.enrollment WHERE activity_id = $1 AND subject = $2",
        uuid.UUID(activity["id"]),
        who.subject,
    )
    assert stored == [{"status": "enrolled"}]


async def test_concurrent_transitions_with_one_if_match_version_apply_once(
    requests_app: httpx.AsyncClient, world: World, database_url: str
) -> None:
    service_type = await create_type(requests_app, world)
    created = (await submit(requests_app, world.employee(), service_type["id"])).json()
    staff = world.staff()
    answers = await asyncio.gather(*(act(requests_app, staff, created["id"], "accept", 1) for _ in range(5)))
    assert sorted(answer.status_code for answer in answers) == [200, 412, 412, 412, 412]
    request_id = uuid.UUID(created["id"])
    stored = await rows(database_url, "SELECT status, version FROM requests.service_request WHERE id = $1", request_id)
    assert stored == [{"status": "accepted", "version": 2}]
    history = await rows(
        database_url,
        "SELECT action FROM requests.request_event WHERE request_id = $1 AND kind = 'transition' ORDER BY seq",
        request_id,
    )
    assert history == [{"action": "submit"}, {"action": "accept"}]
