"""Proposals: submitted by members of the community, supported once per enterprise and once per person
(the primary key, raced), the threshold's agenda deadline and event, merges and answers."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

import httpx

from shared.auth import Role
from shared.dates import business_today
from tests.elections.conftest import rep_of
from tests.elections.deliberation import form
from tests.elections.registry_data import RegistryData
from tests.support.identities import auth, identity, staff
from tests.support.rows import rows

BODY = {
    "title": "江陵路口增设非机动车停放区",
    "body": "午间外卖车辆占用人行道。",
    "category": "traffic",
    "scope": "江陵路口",
}


def employee(community_id: uuid.UUID, enterprise_id: uuid.UUID | None = None) -> dict[str, str]:
    return auth(identity(Role.employee, enterprise_id=enterprise_id or uuid.uuid4(), community_ids=[community_id]))


async def propose(client: httpx.AsyncClient, community_id: uuid.UUID, **extra: Any) -> dict[str, Any]:
    response = await client.post(
        "/v1/proposals", json={"community_id": str(community_id), **BODY, **extra}, headers=employee(community_id)
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def _feed(client: httpx.AsyncClient, event_type: str) -> list[dict[str, Any]]:
    feed = await client.get("/internal/events", params={"limit": 1000}, headers=auth(identity(Role.service)))
    return [e for e in feed.json()["items"] if e["type"] == event_type]


async def test_supports_past_the_threshold_owe_an_agenda_slot_by_the_committees_deadline(
    elections: httpx.AsyncClient, registry: RegistryData
) -> None:
    formed = await form(elections, registry, support_threshold=3, agenda_days=10)
    proposal = await propose(elections, formed.community_id)
    assert proposal["committee_id"] == formed.id and proposal["support_threshold"] == 3
    assert proposal["status"] == "open" and proposal["support_count"] == 0
    path = f"/v1/proposals/{proposal['id']}/supports"
    first = await elections.post(path, headers=formed.rep(formed.setup.roll[0]))
    assert first.json() == {
        "proposal_id": proposal["id"],
        "supporter_kind": "enterprise",
        "support_count": 1,
        "status": "open",
    }
    person = await elections.post(path, headers=employee(formed.community_id, formed.setup.roll[0].enterprise_id))
    assert person.status_code == 201 and person.json()["supporter_kind"] == "person"
    third = await elections.post(path, headers=formed.rep(formed.setup.roll[1]))
    assert third.json()["status"] == "threshold_reached" and third.json()["support_count"] == 3
    shown = (await elections.get(f"/v1/proposals/{proposal['id']}", headers=formed.rep(formed.setup.roll[2]))).json()
    assert shown["agenda_due_on"] == (business_today() + dt.timedelta(days=10)).isoformat()
    (reached,) = [
        e for e in await _feed(elections, "ProposalThresholdReached") if e["payload"]["proposal_id"] == proposal["id"]
    ]
    assert reached["payload"]["support_count"] == 3 and reached["payload"]["agenda_due_on"] == shown["agenda_due_on"]
    fourth = await elections.post(path, headers=formed.rep(formed.setup.roll[3]))
    assert fourth.json()["support_count"] == 4
    assert (
        len(
            [
                e
                for e in await _feed(elections, "ProposalThresholdReached")
                if e["payload"]["proposal_id"] == proposal["id"]
            ]
        )
        == 1
    )


async def test_ten_supports_by_one_enterprise_and_one_person_at_once_count_once_each(
    elections: httpx.AsyncClient, registry: RegistryData, database_url: str
) -> None:
    community_id, roll = await registry.community(3)
    proposal = await propose(elections, community_id)
    path = f"/v1/proposals/{proposal['id']}/supports"
    rep = auth(rep_of(roll[0], community_id))
    someone = identity(Role.employee, enterprise_id=roll[1].enterprise_id, community_ids=[community_id])
    person = auth(someone)
    responses = await asyncio.gather(*(elections.post(path, headers=rep if n % 2 else person) for n in range(20)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] * 2 + [409] * 18, statuses
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"ALREADY_SUPPORTED"}
    left = await rows(
        database_url,
        "SELECT supporter_kind, supporter_key FROM elections.proposal_support WHERE proposal_id = $1 ORDER BY 1",
        uuid.UUID(proposal["id"]),
    )
    assert [(r["supporter_kind"], r["supporter_key"]) for r in left] == [
        ("enterprise", str(roll[0].enterprise_id)),
        ("person", someone.subject),
    ]
    (count,) = await rows(
        database_url, "SELECT support_count FROM elections.proposal WHERE id = $1", uuid.UUID(proposal["id"])
    )
    assert count["support_count"] == 2


async def test_proposals_are_the_communitys_own_paged_and_searchable(
    elections: httpx.AsyncClient, registry: RegistryData
) -> None:
    community_id, roll = await registry.community(2)
    other_id, other_roll = await registry.community(1)
    ids = [
        (await propose(elections, community_id, title=f"议题{n} 停车" if n % 2 else f"议题{n} 食堂"))["id"]
        for n in range(5)
    ]
    await propose(elections, other_id)
    reader = auth(rep_of(roll[0], community_id))
    first = await elections.get("/v1/proposals", params={"limit": 2}, headers=reader)
    assert [p["id"] for p in first.json()["items"]] == ids[::-1][:2] and first.headers["link"]
    rest = await elections.get(
        "/v1/proposals", params={"limit": 10, "cursor": first.json()["next_cursor"]}, headers=reader
    )
    assert [p["id"] for p in rest.json()["items"]] == ids[::-1][2:]
    found = await elections.get("/v1/proposals", params={"q": "食堂"}, headers=reader)
    assert [p["id"] for p in found.json()["items"]] == [ids[4], ids[2], ids[0]]
    outsider = auth(rep_of(other_roll[0], other_id))
    hidden = await elections.get(f"/v1/proposals/{ids[0]}", headers=outsider)
    assert hidden.status_code == 404 and hidden.json()["code"] == "PROPOSAL_NOT_FOUND"
    supported = await elections.post(f"/v1/proposals/{ids[0]}/supports", headers=outsider)
    assert supported.status_code == 404
    elsewhere = await elections.post(
        "/v1/proposals", json={"community_id": str(community_id), **BODY}, headers=outsider
    )
    assert elsewhere.status_code == 403 and elsewhere.json()["code"] == "NOT_IN_COMMUNITY"
    assert (await elections.get(f"/v1/proposals/{ids[0]}", headers=auth(staff(other_id)))).status_code == 404


async def test_staff_merge_a_duplicate_its_supporters_count_once_and_answer(
    elections: httpx.AsyncClient, registry: RegistryData
) -> None:
    community_id, roll = await registry.community(3)
    original, duplicate = await propose(elections, community_id), await propose(elections, community_id)
    for enterprise in roll[:2]:
        await elections.post(f"/v1/proposals/{original['id']}/supports", headers=auth(rep_of(enterprise, community_id)))
    for enterprise in roll[1:]:
        await elections.post(
            f"/v1/proposals/{duplicate['id']}/supports", headers=auth(rep_of(enterprise, community_id))
        )
    staff_auth = auth(staff(community_id))
    merged = await elections.post(
        f"/v1/proposals/{duplicate['id']}/merges", json={"into": original["id"]}, headers=staff_auth
    )
    assert (
        merged.status_code == 200
        and merged.json()["status"] == "merged"
        and merged.json()["merged_into"] == original["id"]
    )
    target = (await elections.get(f"/v1/proposals/{original['id']}", headers=staff_auth)).json()
    assert target["support_count"] == 3
    late = await elections.post(
        f"/v1/proposals/{duplicate['id']}/supports", headers=auth(rep_of(roll[0], community_id))
    )
    assert late.status_code == 409 and late.json()["code"] == "PROPOSAL_CLOSED"
    self_merge = await elections.post(
        f"/v1/proposals/{original['id']}/merges", json={"into": original["id"]}, headers=staff_auth
    )
    assert self_merge.status_code == 422 and self_merge.json()["errors"][0]["pointer"] == "/into"
    answered = await elections.post(
        f"/v1/proposals/{original['id']}/answers", json={"answer": "已转交城管部门", "close": True}, headers=staff_auth
    )
    assert answered.json()["status"] == "answered" and answered.json()["answer"] == "已转交城管部门"
    refused = await elections.post(
        f"/v1/proposals/{original['id']}/answers", json={"answer": "x"}, headers=auth(staff(uuid.uuid4()))
    )
    assert refused.status_code == 404
