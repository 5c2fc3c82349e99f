"""Requests: submission, the workflow with If-Match, visibility, comments, rating, lists and stats."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

import httpx

from shared.auth import Role
from tests.service_requests.conftest import World, act, create_type, feed_events, submit
from tests.support.identities import auth, identity


async def _get(client: httpx.AsyncClient, who: Any, request_id: str) -> dict[str, Any]:
    response = await client.get(f"/v1/service-requests/{request_id}", headers=auth(who))
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_the_whole_lifecycle_including_a_rating_that_reopens(
    requests_app: httpx.AsyncClient, world: World
) -> None:
    service_type = await create_type(requests_app, world)
    requester, staff = world.employee(), world.staff()
    filed = await submit(
        requests_app, requester, service_type["id"], location={"building_id": str(uuid.uuid4()), "floor": 12}
    )
    assert filed.status_code == 201, filed.text
    created = filed.json()
    assert created["status"] == "submitted"
    assert created["community_id"] == str(world.community_id)
    assert created["enterprise_id"] == str(world.enterprise_id)
    assert created["allowed_actions"] == ["cancel"]
    assert filed.headers["ETag"] == '"v1"'
    request_id = created["id"]

    version = 1
    for action, extra in (
        ("accept", {}),
        ("assign", {"assignee_subject": "staff-wang"}),
        ("start", {}),
        ("request_info", {"reason": "请补充营业执照"}),
    ):
        moved = await act(requests_app, staff, request_id, action, version, **extra)
        assert moved.status_code == 200, moved.text
        version = moved.json()["version"]
    assert moved.json()["status"] == "waiting_for_requester"
    assert moved.json()["acknowledged_at"] is not None

    provided = await act(requests_app, requester, request_id, "provide_info", version, reason="已上传")
    assert provided.status_code == 200, provided.text
    assert provided.json()["status"] == "in_progress"
    resolved = await act(requests_app, staff, request_id, "resolve", provided.json()["version"], reason="已对接银行")
    assert resolved.json()["status"] == "resolved"
    assert resolved.json()["allowed_actions"] == ["close", "reopen"]

    unhappy = await requests_app.post(
        f"/v1/service-requests/{request_id}/rating", json={"score": 2, "comment": "没有解决"}, headers=auth(requester)
    )
    assert unhappy.status_code == 200, unhappy.text
    reopened = unhappy.json()
    assert reopened["status"] == "reopened"
    assert reopened["reopen_count"] == 1
    assert reopened["resolve_due_at"] > resolved.json()["resolve_due_at"]

    version = reopened["version"]
    for action, extra in (("start", {}), ("resolve", {"reason": "整改完成"})):
        moved = await act(requests_app, staff, request_id, action, version, **extra)
        assert moved.status_code == 200, moved.text
        version = moved.json()["version"]
    happy = await requests_app.post(
        f"/v1/service-requests/{request_id}/rating", json={"score": 5}, headers=auth(requester)
    )
    assert happy.json()["status"] == "closed"
    assert (happy.json()["rating"], happy.json()["follow_up_rating"]) == (2, 5)  # the first rating stays on record

    timeline = (await requests_app.get(f"/v1/service-requests/{request_id}/timeline", headers=auth(requester))).json()
    transitions = [
        (item["from_status"], item["to_status"]) for item in timeline["items"] if item["kind"] == "transition"
    ]
    assert transitions == [
        (None, "submitted"),
        ("submitted", "accepted"),
        ("accepted", "assigned"),
        ("assigned", "in_progress"),
        ("in_progress", "waiting_for_requester"),
        ("waiting_for_requester", "in_progress"),
        ("in_progress", "resolved"),
        ("resolved", "reopened"),
        ("reopened", "in_progress"),
        ("in_progress", "resolved"),
        ("resolved", "closed"),
    ]
    assert [item["data"]["score"] for item in timeline["items"] if item["kind"] == "rating"] == [2, 5]

    submitted = await feed_events(requests_app, "RequestSubmitted", 1)
    assert [event["aggregate_id"] for event in submitted] == [request_id]
    transitioned = await feed_events(requests_app, "RequestTransitioned", 10)
    assert [event["payload"]["to"] for event in transitioned][-3:] == ["in_progress", "resolved", "closed"]
    rated = await feed_events(requests_app, "RequestRated", 2)
    assert [event["payload"]["score"] for event in rated] == [2, 5]


async def test_illegal_stale_and_missing_if_match(requests_app: httpx.AsyncClient, world: World) -> None:
    service_type = await create_type(requests_app, world)
    request_id = (await submit(requests_app, world.employee(), service_type["id"])).json()["id"]
    staff = world.staff()

    illegal = await act(requests_app, staff, request_id, "resolve", 1, reason="x")
    assert illegal.status_code == 409
    assert illegal.json()["code"] == "ILLEGAL_TRANSITION"
    assert illegal.json()["allowed_actions"] == ["accept", "reject"]

    accepted = await act(requests_app, staff, request_id, "accept", 1)
    assert accepted.status_code == 200
    assert accepted.headers["ETag"] == '"v2"'

    stale = await act(requests_app, staff, request_id, "assign", 1)
    assert stale.status_code == 412
    assert stale.headers["ETag"] == '"v2"'

    missing = await requests_app.post(
        f"/v1/service-requests/{request_id}/transitions", json={"action": "assign"}, headers=auth(staff)
    )
    assert missing.status_code == 428

    no_reason = await act(requests_app, staff, request_id, "reject", 2)
    assert no_reason.status_code == 422
    assert no_reason.json()["code"] == "REASON_REQUIRED"


async def test_requester_may_cancel_before_work_starts_but_not_after(
    requests_app: httpx.AsyncClient, world: World
) -> None:
    service_type = await create_type(requests_app, world)
    requester = world.employee()
    first = (await submit(requests_app, requester, service_type["id"])).json()
    cancelled = await act(requests_app, requester, first["id"], "cancel", 1)
    assert cancelled.json()["status"] == "cancelled"

    second = (await submit(requests_app, requester, service_type["id"], description="另一件事")).json()
    version = 1
    for action in ("accept", "assign", "start"):
        version = (await act(requests_app, world.staff(), second["id"], action, version)).json()["version"]
    too_late = await act(requests_app, requester, second["id"], "cancel", version)
    assert too_late.status_code == 409
    assert too_late.json()["allowed_actions"] == []

    requester_accepting = await act(requests_app, requester, first["id"], "accept", 2)
    assert requester_accepting.status_code == 409


async def test_answers_are_validated_against_the_form(requests_app: httpx.AsyncClient, world: World) -> None:
    service_type = await create_type(requests_app, world)
    body = {
        "type_id": service_type["id"],
        "description": "x",
        "answers": {"amount": "lots", "purpose": "yacht", "extra": 1},
    }
    response = await requests_app.post("/v1/service-requests", json=body, headers=auth(world.employee()))
    assert response.status_code == 422
    pointers = {item["pointer"] for item in response.json()["errors"]}
    assert pointers == {"/answers/amount", "/answers/purpose", "/answers/extra"}

    missing = await requests_app.post(
        "/v1/service-requests",
        json={"type_id": service_type["id"], "description": "x", "answers": {}},
        headers=auth(world.employee()),
    )
    assert missing.status_code == 422
    assert missing.json()["errors"] == [{"detail": "required", "pointer": "/answers/amount"}]


async def test_enterprise_and_community_come_from_the_identity(requests_app: httpx.AsyncClient, world: World) -> None:
    service_type = await create_type(requests_app, world)
    outsider = identity(Role.employee, enterprise_id=uuid.uuid4(), community_ids=[world.other_community_id])
    refused = await submit(requests_app, outsider, service_type["id"])
    assert refused.status_code == 403

    smuggled = await requests_app.post(
        "/v1/service-requests",
        json={
            "type_id": service_type["id"],
            "description": "x",
            "answers": {"amount": 1},
            "enterprise_id": str(uuid.uuid4()),
        },
        headers=auth(world.employee()),
    )
    assert smuggled.status_code == 422

    reps_only = await create_type(requests_app, world, requester_roles=["enterprise_rep"])
    assert (await submit(requests_app, world.employee(), reps_only["id"])).status_code == 403
    assert (await submit(requests_app, world.rep(), reps_only["id"])).status_code == 201


async def test_fifty_concurrent_posts_with_one_idempotency_key_create_one_request(
    requests_app: httpx.AsyncClient, world: World
) -> None:
    service_type = await create_type(requests_app, world)
    requester = world.employee()
    headers = {**auth(requester), "Idempotency-Key": str(uuid.uuid4())}
    body = {"type_id": service_type["id"], "description": "同一个请求", "answers": {"amount": 1}}
    responses = await asyncio.gather(
        *(requests_app.post("/v1/service-requests", json=body, headers=headers) for _ in range(50))
    )
    assert {response.status_code for response in responses} == {201}
    assert len({response.json()["id"] for response in responses}) == 1
    assert sum(response.headers.get("Idempotent-Replayed") == "true" for response in responses) == 49

    listed = await requests_app.get("/v1/service-requests", params={"limit": 100}, headers=auth(requester))
    assert len(listed.json()["items"]) == 1


async def test_who_sees_what(requests_app: httpx.AsyncClient, world: World) -> None:
    service_type = await create_type(requests_app, world)
    partner_id = uuid.uuid4()
    routed_type = await create_type(
        requests_app,
        world,
        handler={"kind": "bank", "partner_ids": [str(partner_id)]},
        requester_roles=["enterprise_rep"],
    )
    mine = (await submit(requests_app, world.employee(), service_type["id"])).json()
    colleague = (await submit(requests_app, world.employee(), service_type["id"], description="同事的请求")).json()
    theirs = (await submit(requests_app, world.employee(world.other_enterprise_id), service_type["id"])).json()
    routed = (await submit(requests_app, world.rep(), routed_type["id"], share_consent=True)).json()

    employee = world.employee()
    own = (await submit(requests_app, employee, service_type["id"], description="我自己的")).json()
    listed = await requests_app.get("/v1/service-requests", headers=auth(employee))
    assert [item["id"] for item in listed.json()["items"]] == [own["id"]]
    assert (await requests_app.get(f"/v1/service-requests/{theirs['id']}", headers=auth(employee))).status_code == 403

    rep_view = await requests_app.get("/v1/service-requests", params={"limit": 100}, headers=auth(world.rep()))
    assert {item["id"] for item in rep_view.json()["items"]} == {mine["id"], colleague["id"], own["id"], routed["id"]}

    staff_view = await requests_app.get("/v1/service-requests", params={"limit": 100}, headers=auth(world.staff()))
    assert len(staff_view.json()["items"]) == 5
    other_staff = world.other_staff()
    assert (await requests_app.get("/v1/service-requests", headers=auth(other_staff))).json()["items"] == []
    acting = await act(requests_app, other_staff, mine["id"], "accept", 1)
    assert acting.status_code == 403

    partner = world.partner(partner_id)
    partner_view = await requests_app.get("/v1/service-requests", headers=auth(partner))
    assert [item["id"] for item in partner_view.json()["items"]] == [routed["id"]]
    assert (await requests_app.get(f"/v1/service-requests/{mine['id']}", headers=auth(partner))).status_code == 403
    accepted = await act(requests_app, partner, routed["id"], "accept", 1)
    assert accepted.status_code == 200, accepted.text
    stranger = world.partner(uuid.uuid4())
    assert (await requests_app.get("/v1/service-requests", headers=auth(stranger))).json()["items"] == []


async def test_filters_and_keyset_paging(requests_app: httpx.AsyncClient, world: World) -> None:
    service_type = await create_type(requests_app, world)
    employee_type = await create_type(requests_app, world, category="employee", scenario="personal_growth")
    requester = world.employee()
    ids = [
        (await submit(requests_app, requester, service_type["id"], description=f"请求 {n}")).json()["id"]
        for n in range(5)
    ]
    training = (await submit(requests_app, requester, employee_type["id"], description="培训报名咨询")).json()["id"]
    staff = world.staff()
    await act(requests_app, staff, ids[0], "accept", 1)

    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, "category": "enterprise"}
        if cursor:
            params["cursor"] = cursor
        page = await requests_app.get("/v1/service-requests", params=params, headers=auth(staff))
        assert page.status_code == 200, page.text
        seen += [item["id"] for item in page.json()["items"]]
        cursor = page.json().get("next_cursor")
        if cursor is None:
            break
        assert 'rel="next"' in page.headers["Link"]
    assert seen == list(reversed(ids))

    accepted = await requests_app.get("/v1/service-requests", params={"status": "accepted"}, headers=auth(staff))
    assert [item["id"] for item in accepted.json()["items"]] == [ids[0]]
    growth = await requests_app.get("/v1/service-requests", params={"scenario": "personal_growth"}, headers=auth(staff))
    assert [item["id"] for item in growth.json()["items"]] == [training]
    overdue = await requests_app.get("/v1/service-requests", params={"overdue": "true"}, headers=auth(staff))
    assert overdue.json()["items"] == []
    bad = await requests_app.get("/v1/service-requests", params={"status": "lost"}, headers=auth(staff))
    assert bad.status_code == 422
    garbage = await requests_app.get("/v1/service-requests", params={"cursor": "%%%"}, headers=auth(staff))
    assert garbage.status_code == 400


async def test_duplicate_hint_lists_similar_requests_of_the_same_enterprise(
    requests_app: httpx.AsyncClient, world: World
) -> None:
    service_type = await create_type(requests_app, world)
    first = (
        await submit(requests_app, world.employee(), service_type["id"], description="三号楼电梯故障无法运行")
    ).json()
    assert first["possible_duplicates"] == []
    await submit(
        requests_app,
        world.employee(world.other_enterprise_id),
        service_type["id"],
        description="三号楼电梯故障无法运行",
    )

    second = (await submit(requests_app, world.rep(), service_type["id"], description="三号楼电梯故障,无法运行")).json()
    assert [hint["id"] for hint in second["possible_duplicates"]] == [first["id"]]
    unrelated = (await submit(requests_app, world.rep(), service_type["id"], description="申请人才公寓")).json()
    assert unrelated["possible_duplicates"] == []


async def test_internal_comments_are_hidden_from_requesters(requests_app: httpx.AsyncClient, world: World) -> None:
    service_type = await create_type(requests_app, world)
    requester = world.employee()
    request_id = (await submit(requests_app, requester, service_type["id"])).json()["id"]
    staff = world.staff()
    public = await requests_app.post(
        f"/v1/service-requests/{request_id}/comments", json={"body": "已收到"}, headers=auth(staff)
    )
    assert public.status_code == 201
    note = await requests_app.post(
        f"/v1/service-requests/{request_id}/comments",
        json={"body": "需协调银行", "internal": True},
        headers=auth(staff),
    )
    assert note.status_code == 201
    sneaky = await requests_app.post(
        f"/v1/service-requests/{request_id}/comments", json={"body": "x", "internal": True}, headers=auth(requester)
    )
    assert sneaky.status_code == 403

    as_requester = (
        await requests_app.get(f"/v1/service-requests/{request_id}/timeline", headers=auth(requester))
    ).json()
    assert [item["body"] for item in as_requester["items"] if item["kind"] == "comment"] == ["已收到"]
    as_staff = (await requests_app.get(f"/v1/service-requests/{request_id}/timeline", headers=auth(staff))).json()
    assert [item["body"] for item in as_staff["items"] if item["kind"] == "comment"] == ["已收到", "需协调银行"]


async def test_only_a_resolved_request_can_be_rated_by_its_requester(
    requests_app: httpx.AsyncClient, world: World
) -> None:
    service_type = await create_type(requests_app, world)
    request_id = (await submit(requests_app, world.employee(), service_type["id"])).json()["id"]
    early = await requests_app.post(
        f"/v1/service-requests/{request_id}/rating", json={"score": 5}, headers=auth(world.rep())
    )
    assert early.status_code == 409
    colleague = await requests_app.post(
        f"/v1/service-requests/{request_id}/rating", json={"score": 5}, headers=auth(world.employee())
    )
    assert colleague.status_code == 403
    out_of_range = await requests_app.post(
        f"/v1/service-requests/{request_id}/rating", json={"score": 6}, headers=auth(world.rep())
    )
    assert out_of_range.status_code == 422


async def test_stats_are_computed_per_community(requests_app: httpx.AsyncClient, world: World) -> None:
    service_type = await create_type(requests_app, world)
    requester, staff = world.employee(), world.staff()
    ids = [
        (await submit(requests_app, requester, service_type["id"], description=f"统计 {n}")).json()["id"]
        for n in range(3)
    ]
    version = 1
    for action, extra in (("accept", {}), ("assign", {}), ("start", {}), ("resolve", {"reason": "完成"})):
        version = (await act(requests_app, staff, ids[0], action, version, **extra)).json()["version"]
    await requests_app.post(f"/v1/service-requests/{ids[0]}/rating", json={"score": 4}, headers=auth(requester))
    await act(requests_app, staff, ids[1], "reject", 1, reason="不属于本社区")

    today = dt.datetime.now(dt.UTC).date()
    params = {
        "community_id": str(world.community_id),
        "from": str(today - dt.timedelta(days=1)),
        "to": str(today + dt.timedelta(days=1)),
    }
    stats = await requests_app.get("/v1/service-requests/stats", params=params, headers=auth(staff))
    assert stats.status_code == 200, stats.text
    figures = stats.json()
    assert figures["total"] == 3
    assert {item["key"]: item["count"] for item in figures["by_status"]} == {"closed": 1, "rejected": 1, "submitted": 1}
    assert figures["by_category"] == [{"key": "enterprise", "count": 3}]
    assert figures["acknowledged_on_time_rate"] == 1.0
    assert figures["resolved_on_time_rate"] == 1.0
    assert figures["satisfaction_rate"] == 1.0
    assert figures["average_rating"] == 4.0
    assert figures["median_resolve_hours"] is not None and figures["median_resolve_hours"] < 1

    other = await requests_app.get("/v1/service-requests/stats", params=params, headers=auth(world.other_staff()))
    assert other.status_code == 403
