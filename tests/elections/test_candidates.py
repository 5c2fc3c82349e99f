"""Nominations (one enterprise, or five jointly), review, objections during publication, roll amendments."""

from __future__ import annotations

import uuid

import httpx

from elections.verify import verify_record
from tests.elections.conftest import Setup, rep_of, step
from tests.elections.registry_data import RegistryData
from tests.support.identities import auth, staff


async def draft(client: httpx.AsyncClient, registry: RegistryData, roll_size: int = 12) -> Setup:
    community_id, roll = await registry.community(roll_size)
    headers = auth(staff(community_id))
    created = await client.post(
        "/v1/elections",
        json={
            "community_id": str(community_id),
            "title": "t",
            "record_date": "2026-01-01",
            "objection_window_hours": 0,
            "rules": {"seats": 5},
        },
        headers=headers,
    )
    setup = Setup(uuid.UUID(created.json()["id"]), community_id, headers, roll, [])
    assert (await step(client, setup, "nomination")).status_code == 200
    return setup


async def nominate(client: httpx.AsyncClient, setup: Setup, by: int, name: str, kind: str = "single") -> str:
    response = await client.post(
        f"/v1/elections/{setup.election_id}/candidates",
        json={"name": name, "kind": kind},
        headers=auth(rep_of(setup.roll[by], setup.community_id)),
    )
    assert response.status_code == 201, response.text
    candidate_id: str = response.json()["id"]
    return candidate_id


async def review(client: httpx.AsyncClient, setup: Setup, candidate_id: str, decision: str) -> httpx.Response:
    return await client.post(
        f"/v1/elections/{setup.election_id}/candidates/{candidate_id}/reviews",
        json={"decision": decision, "reason": "审核意见"},
        headers=setup.staff,
    )


async def test_a_joint_nomination_needs_five_enterprises(elections: httpx.AsyncClient, registry: RegistryData) -> None:
    setup = await draft(elections, registry)
    joint = await nominate(elections, setup, 0, "联名候选人", kind="joint")
    for n in (1, 2, 3):
        joined = await elections.post(
            f"/v1/elections/{setup.election_id}/candidates/{joint}/nominations",
            headers=auth(rep_of(setup.roll[n], setup.community_id)),
        )
        assert joined.status_code == 200
    again = await elections.post(
        f"/v1/elections/{setup.election_id}/candidates/{joint}/nominations",
        headers=auth(rep_of(setup.roll[3], setup.community_id)),
    )
    assert again.json()["nominators"] == 4  # the same enterprise counts once
    outsider = rep_of(setup.roll[4], uuid.uuid4())  # an enterprise of another community
    refused = await elections.post(
        f"/v1/elections/{setup.election_id}/candidates/{joint}/nominations", headers=auth(outsider)
    )
    assert refused.status_code == 403 and refused.json()["code"] == "NOT_IN_COMMUNITY"
    assert (await step(elections, setup, "candidate_review")).status_code == 200
    too_few = await review(elections, setup, joint, "approve")
    assert too_few.status_code == 409 and "4" in too_few.json()["detail"]
    # nominations are closed during review: the fifth enterprise is too late, the candidate is rejected
    late = await elections.post(
        f"/v1/elections/{setup.election_id}/candidates/{joint}/nominations",
        headers=auth(rep_of(setup.roll[4], setup.community_id)),
    )
    assert late.status_code == 409
    assert (await review(elections, setup, joint, "reject")).json()["status"] == "rejected"


async def test_objections_are_decided_before_the_roll_is_frozen(
    elections: httpx.AsyncClient, registry: RegistryData
) -> None:
    setup = await draft(elections, registry)
    joint = await nominate(elections, setup, 0, "联名", kind="joint")
    for n in (1, 2, 3, 4):
        await elections.post(
            f"/v1/elections/{setup.election_id}/candidates/{joint}/nominations",
            headers=auth(rep_of(setup.roll[n], setup.community_id)),
        )
    others = [await nominate(elections, setup, n, f"候选人{n}") for n in range(6)]  # 7 approved: the most for 5 seats
    assert (await step(elections, setup, "candidate_review")).status_code == 200
    for candidate in [joint, *others]:
        assert (await review(elections, setup, candidate, "approve")).status_code == 200
    assert (await step(elections, setup, "candidates_published")).status_code == 200
    objected = await elections.post(
        f"/v1/elections/{setup.election_id}/candidates/{others[0]}/objections",
        json={"reason": "该候选人不在本社区企业任职"},
        headers=auth(rep_of(setup.roll[5], setup.community_id)),
    )
    assert objected.status_code == 201
    blocked = await step(elections, setup, "roll_frozen")
    assert blocked.status_code == 409 and "异议" in blocked.json()["detail"]  # undecided objections
    upheld = await elections.post(
        f"/v1/elections/{setup.election_id}/objections/{objected.json()['id']}/decisions",
        json={"decision": "upheld", "reason": "经核实属实"},
        headers=setup.staff,
    )
    assert upheld.status_code == 200 and upheld.json()["status"] == "upheld"
    second = await elections.post(
        f"/v1/elections/{setup.election_id}/candidates/{others[1]}/objections",
        json={"reason": "材料不全"},
        headers=auth(rep_of(setup.roll[6], setup.community_id)),
    )
    assert second.status_code == 201, second.text
    dismissed = await elections.post(
        f"/v1/elections/{setup.election_id}/objections/{second.json()['id']}/decisions",
        json={"decision": "dismissed", "reason": "材料已补齐"},
        headers=setup.staff,
    )
    assert dismissed.status_code == 200 and dismissed.json()["status"] == "dismissed"
    objections = await elections.get(f"/v1/elections/{setup.election_id}/objections", headers=setup.staff)
    assert objections.status_code == 200
    assert objections.json()["items"] == [  # oldest first, each with its decision
        {
            "id": objected.json()["id"],
            "election_id": str(setup.election_id),
            "candidate_id": others[0],
            "reason": "该候选人不在本社区企业任职",
            "status": "upheld",
            "decision_reason": "经核实属实",
        },
        {
            "id": second.json()["id"],
            "election_id": str(setup.election_id),
            "candidate_id": others[1],
            "reason": "材料不全",
            "status": "dismissed",
            "decision_reason": "材料已补齐",
        },
    ]
    listed = (await elections.get(f"/v1/elections/{setup.election_id}/candidates", headers=setup.staff)).json()
    assert {c["id"]: c["status"] for c in listed["items"]}[others[0]] == "rejected"
    assert (await step(elections, setup, "roll_frozen")).status_code == 200  # 6 approved remain: still contested
    # an amendment is explicit and reasoned; the record still verifies against the frozen fingerprint
    newcomer = uuid.uuid4()
    added = await elections.post(
        f"/v1/elections/{setup.election_id}/roll/amendments",
        json={
            "action": "add",
            "enterprise_id": str(newcomer),
            "uscc": "91330108AMEND00001",
            "name": "补录企业",
            "reason": "登记遗漏,经核实补录",
        },
        headers=setup.staff,
    )
    assert added.status_code == 200 and added.json()["roll_size"] == 13
    removed = await elections.post(
        f"/v1/elections/{setup.election_id}/roll/amendments",
        json={"action": "remove", "enterprise_id": str(setup.roll[11].enterprise_id), "reason": "重复登记"},
        headers=setup.staff,
    )
    assert removed.status_code == 200 and removed.json()["roll_size"] == 12
    unreasoned = await elections.post(
        f"/v1/elections/{setup.election_id}/roll/amendments",
        json={"action": "remove", "enterprise_id": str(setup.roll[10].enterprise_id)},
        headers=setup.staff,
    )
    assert unreasoned.status_code == 422
    record = (await elections.get(f"/v1/elections/{setup.election_id}/record", headers=setup.staff)).json()
    assert [e["type"] for e in record["log"]].count("roll_amended") == 2
    assert verify_record(record) == []
    assert (await step(elections, setup, "voting_open")).status_code == 200
    frozen = await elections.post(
        f"/v1/elections/{setup.election_id}/roll/amendments",
        json={"action": "remove", "enterprise_id": str(setup.roll[10].enterprise_id), "reason": "x"},
        headers=setup.staff,
    )
    assert frozen.status_code == 409  # once voting is open the roll changes only through the registry feed
