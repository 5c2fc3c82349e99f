"""Meetings: the agenda, attendance and quorum from the seats, named votes one per member (raced), decisions,
minutes immutable once approved (also in the database), and the adopted decision's tracked action."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

import asyncpg
import httpx
import pytest

from elections.deliberation.actions.service import escalate_overdue
from shared.auth import Role
from shared.dates import business_today
from shared.db import utcnow
from shared.uow import unit_of_work
from tests.elections.deliberation import Formed, form
from tests.elections.registry_data import RegistryData
from tests.elections.test_proposals import propose
from tests.support.database import asyncpg_dsn
from tests.support.identities import auth, identity, staff
from tests.support.rows import rows


async def meeting(client: httpx.AsyncClient, formed: Formed, agenda: list[dict[str, Any]]) -> dict[str, Any]:
    response = await client.post(
        "/v1/meetings",
        json={
            "committee_id": formed.id,
            "title": "第一次议事会",
            "scheduled_at": "2026-12-20T06:00:00Z",
            "location": "星光大厦议事厅",
            "agenda": agenda,
        },
        headers=formed.setup.staff,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def _feed(client: httpx.AsyncClient, event_type: str) -> list[dict[str, Any]]:
    feed = await client.get("/internal/events", params={"limit": 1000}, headers=auth(identity(Role.service)))
    return [e for e in feed.json()["items"] if e["type"] == event_type]


async def test_a_proposal_is_decided_with_quorum_by_named_votes_and_tracked_to_done(
    elections: httpx.AsyncClient, registry: RegistryData
) -> None:
    formed = await form(elections, registry, support_threshold=1)
    proposal = await propose(elections, formed.community_id)
    held = await meeting(elections, formed, [{"proposal_id": proposal["id"]}, {"title": "年度计划"}])
    assert [i["title"] for i in held["items"]] == [proposal["title"], "年度计划"]
    assert held["quorum"] == 4 and held["present_seats"] == [] and held["quorum_met"] is False
    placed = await elections.get(f"/v1/proposals/{proposal['id']}", headers=formed.setup.staff)
    assert placed.json()["status"] == "on_agenda"
    (scheduled,) = [e for e in await _feed(elections, "MeetingScheduled") if e["payload"]["meeting_id"] == held["id"]]
    assert scheduled["payload"]["proposal_ids"] == [proposal["id"]]
    item = held["items"][0]["id"]
    base = f"/v1/meetings/{held['id']}/items/{item}"
    decision = {"outcome": "adopted", "reason": "多数委员赞成", "owner": "社区公共服务中心", "due_on": "2027-01-31"}
    early = await elections.post(f"{base}/decisions", json=decision, headers=formed.setup.staff)
    assert early.status_code == 409 and early.json()["code"] == "NO_QUORUM"
    # three members vote for (each is then present), staff mark a fourth present: the quorum of 7 seats
    for seat in (1, 2, 3):
        voted = await elections.post(f"{base}/votes", json={"choice": "for"}, headers=auth(formed.members[seat]))
        assert voted.status_code == 201, voted.text
    again = await elections.post(f"{base}/votes", json={"choice": "against"}, headers=auth(formed.members[1]))
    assert again.status_code == 409 and again.json()["code"] == "ALREADY_VOTED"
    stranger = await elections.post(f"{base}/votes", json={"choice": "for"}, headers=formed.rep(formed.outsiders[0]))
    assert stranger.status_code == 403 and stranger.json()["code"] == "NOT_COMMITTEE_MEMBER"
    marked = await elections.post(
        f"/v1/meetings/{held['id']}/attendance", json={"seats": [4]}, headers=formed.setup.staff
    )
    assert marked.json()["present_seats"] == [1, 2, 3, 4] and marked.json()["quorum_met"] is True
    wrong_seat = await elections.post(
        f"/v1/meetings/{held['id']}/attendance", json={"seats": [8]}, headers=formed.setup.staff
    )
    assert wrong_seat.status_code == 422 and wrong_seat.json()["errors"][0]["pointer"] == "/seats/0"
    decided = await elections.post(f"{base}/decisions", json=decision, headers=formed.setup.staff)
    assert decided.status_code == 200, decided.text
    decided_item = decided.json()["items"][0]
    assert decided_item["outcome"] == "adopted" and decided_item["reason"] == "多数委员赞成"
    assert [(v["seat_no"], v["choice"]) for v in decided_item["votes"]] == [(1, "for"), (2, "for"), (3, "for")]
    assert all(v["member"] and v["enterprise_name"] for v in decided_item["votes"])
    twice = await elections.post(f"{base}/decisions", json=decision, headers=formed.setup.staff)
    assert twice.status_code == 409 and twice.json()["code"] == "ALREADY_DECIDED"
    late_vote = await elections.post(f"{base}/votes", json={"choice": "for"}, headers=auth(formed.members[5]))
    assert late_vote.status_code == 409 and late_vote.json()["code"] == "ALREADY_DECIDED"
    (taken,) = [e for e in await _feed(elections, "DecisionTaken") if e["payload"]["item_id"] == item]
    assert taken["payload"]["outcome"] == "adopted" and taken["payload"]["action_id"] == decided_item["action_id"]
    assert (await elections.get(f"/v1/proposals/{proposal['id']}", headers=formed.setup.staff)).json()[
        "status"
    ] == "decided"

    # the action, visible to the community, tracked to done
    actions = (
        await elections.get(f"/v1/committees/{formed.id}/actions", headers=formed.employee(formed.outsiders[0]))
    ).json()
    (action,) = actions["items"]
    assert (action["id"], action["owner"], action["due_on"], action["status"]) == (
        decided_item["action_id"],
        "社区公共服务中心",
        "2027-01-31",
        "open",
    )
    path = f"/v1/committees/{formed.id}/actions/{action['id']}/updates"
    progress = await elections.post(
        path, json={"note": "已选址", "progress": 40, "status": "in_progress"}, headers=formed.setup.staff
    )
    assert progress.status_code == 201 and progress.json()["progress"] == 40
    half_done = await elections.post(
        path, json={"note": "完成", "progress": 90, "status": "done"}, headers=formed.setup.staff
    )
    assert half_done.status_code == 422 and half_done.json()["errors"][0]["pointer"] == "/progress"
    done = await elections.post(
        path, json={"note": "已建成", "progress": 100, "status": "done"}, headers=formed.setup.staff
    )
    assert done.json()["status"] == "done" and done.json()["done_at"] is not None
    assert [u["note"] for u in done.json()["updates"]] == ["已选址", "已建成"]
    after = await elections.post(
        path, json={"note": "x", "progress": 100, "status": "done"}, headers=formed.setup.staff
    )
    assert after.status_code == 409 and after.json()["code"] == "ACTION_DONE"


async def test_adopting_needs_more_than_half_of_those_present_and_referral_names_a_department(
    elections: httpx.AsyncClient, registry: RegistryData
) -> None:
    formed = await form(elections, registry)
    held = await meeting(elections, formed, [{"title": "甲"}, {"title": "乙"}])
    await elections.post(
        f"/v1/meetings/{held['id']}/attendance", json={"seats": [1, 2, 3, 4]}, headers=formed.setup.staff
    )
    first, second = (f"/v1/meetings/{held['id']}/items/{i['id']}" for i in held["items"])
    for seat, choice in ((1, "for"), (2, "for"), (3, "against"), (4, "abstain")):
        await elections.post(f"{first}/votes", json={"choice": choice}, headers=auth(formed.members[seat]))
    adopted = {"outcome": "adopted", "reason": "r", "owner": "o", "due_on": "2027-01-31"}
    refused = await elections.post(f"{first}/decisions", json=adopted, headers=formed.setup.staff)
    assert refused.status_code == 409 and refused.json()["code"] == "VOTE_DOES_NOT_CARRY"
    rejected = await elections.post(
        f"{first}/decisions", json={"outcome": "rejected", "reason": "未过半"}, headers=formed.setup.staff
    )
    assert rejected.json()["items"][0]["outcome"] == "rejected" and rejected.json()["items"][0]["action_id"] is None
    nameless = await elections.post(
        f"{second}/decisions", json={"outcome": "referred", "reason": "r"}, headers=formed.setup.staff
    )
    assert nameless.status_code == 422
    referred = await elections.post(
        f"{second}/decisions",
        json={"outcome": "referred", "reason": "属交警职责", "department": "滨江交警大队"},
        headers=formed.setup.staff,
    )
    assert referred.json()["items"][1]["department"] == "滨江交警大队"


async def test_five_votes_by_one_member_at_once_record_one(
    elections: httpx.AsyncClient, registry: RegistryData, database_url: str
) -> None:
    formed = await form(elections, registry)
    held = await meeting(elections, formed, [{"title": "甲"}])
    item = held["items"][0]["id"]
    path = f"/v1/meetings/{held['id']}/items/{item}/votes"
    member = auth(formed.members[2])
    responses = await asyncio.gather(
        *(elections.post(path, json={"choice": c}, headers=member) for c in ("for", "against", "abstain", "for", "for"))
    )
    assert sorted(r.status_code for r in responses) == [201, 409, 409, 409, 409]
    left = await rows(database_url, "SELECT seat_no FROM elections.committee_vote WHERE item_id = $1", uuid.UUID(item))
    assert left == [{"seat_no": 2}]


async def test_approved_minutes_never_change_even_in_the_database(
    elections: httpx.AsyncClient, registry: RegistryData, database_url: str
) -> None:
    formed = await form(elections, registry)
    held = await meeting(elections, formed, [{"title": "甲"}])
    path = f"/v1/meetings/{held['id']}/minutes"
    missing = await elections.put(path, json={"minutes": "纪要"}, headers=formed.setup.staff)
    assert missing.status_code == 428
    written = await elections.put(
        path, json={"minutes": "纪要初稿"}, headers=formed.setup.staff | {"If-Match": f'"v{held["version"]}"'}
    )
    assert written.status_code == 200 and written.json()["minutes"] == "纪要初稿"
    stale = await elections.put(
        path, json={"minutes": "x"}, headers=formed.setup.staff | {"If-Match": f'"v{held["version"]}"'}
    )
    assert stale.status_code == 412
    approved = await elections.post(f"{path}/approvals", headers=formed.setup.staff)
    assert approved.status_code == 200 and approved.json()["minutes_approved_at"] is not None
    edit = await elections.put(
        path, json={"minutes": "改"}, headers=formed.setup.staff | {"If-Match": approved.headers["etag"]}
    )
    assert edit.status_code == 409 and edit.json()["code"] == "MINUTES_APPROVED"
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        with pytest.raises(asyncpg.CheckViolationError, match="immutable"):
            await connection.execute(
                "UPDATE elections.meeting SET minutes = 'forged' WHERE id = $1", uuid.UUID(held["id"])
            )
    finally:
        await connection.close()
    (left,) = await rows(database_url, "SELECT minutes FROM elections.meeting WHERE id = $1", uuid.UUID(held["id"]))
    assert left["minutes"] == "纪要初稿"
    other = await elections.get(f"/v1/meetings/{held['id']}", headers=auth(staff(uuid.uuid4())))
    assert other.status_code == 404 and other.json()["code"] == "MEETING_NOT_FOUND"
    listed = await elections.get("/v1/meetings", params={"q": "第一次"}, headers=formed.employee(formed.outsiders[0]))
    assert [m["id"] for m in listed.json()["items"]] == [held["id"]]
    none = await elections.get("/v1/meetings", params={"q": "第二次"}, headers=formed.setup.staff)
    assert none.json()["items"] == []


async def test_an_overdue_action_is_escalated_once(elections: httpx.AsyncClient, registry: RegistryData) -> None:
    formed = await form(elections, registry)
    held = await meeting(elections, formed, [{"title": "甲"}])
    base = f"/v1/meetings/{held['id']}/items/{held['items'][0]['id']}"
    for seat in (1, 2, 3, 4):
        await elections.post(f"{base}/votes", json={"choice": "for"}, headers=auth(formed.members[seat]))
    yesterday = (business_today() - dt.timedelta(days=2)).isoformat()
    decision = {"outcome": "adopted", "reason": "r", "owner": "物业", "due_on": yesterday}
    action_id = (await elections.post(f"{base}/decisions", json=decision, headers=formed.setup.staff)).json()["items"][
        0
    ]["action_id"]
    app = elections.fastapi_app  # type: ignore[attr-defined]

    async def run() -> int:
        async with unit_of_work(app) as uow:
            return await escalate_overdue(uow, utcnow())

    assert sum(await asyncio.gather(run(), run(), run())) == 1
    assert await run() == 0
    (overdue,) = [e for e in await _feed(elections, "ActionOverdue") if e["payload"]["action_id"] == action_id]
    assert overdue["payload"]["owner"] == "物业" and overdue["payload"]["due_on"] == yesterday
    (shown,) = (await elections.get(f"/v1/committees/{formed.id}/actions", headers=formed.setup.staff)).json()["items"]
    assert shown["overdue"] is True and shown["escalated_at"] is not None
