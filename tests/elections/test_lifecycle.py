"""A whole election through the API: nominate, review, publish, freeze, vote, close, tally, certify."""

from __future__ import annotations

import uuid

import httpx

from tests.elections.conftest import approve, cast, close_and_tally, open_election, rep_of, step
from tests.elections.registry_data import RegistryData
from tests.support.identities import auth, staff


async def test_a_full_election_from_draft_to_published(elections: httpx.AsyncClient, registry: RegistryData) -> None:
    setup = await open_election(elections, registry, roll_size=10)
    election = (await elections.get(f"/v1/elections/{setup.election_id}", headers=setup.staff)).json()
    assert election["status"] == "voting_open" and election["roll_size"] == 10
    assert len(election["roll_fingerprint"]) == 64
    winners = setup.candidates[:7]
    for enterprise in setup.roll[:8]:
        response = await cast(elections, setup, enterprise, winners)
        assert response.status_code == 201, response.text
    blank = await cast(elections, setup, setup.roll[8], [])
    assert blank.status_code == 201
    # no partial results while voting is open, but turnout is live
    hidden = await elections.get(f"/v1/elections/{setup.election_id}/result", headers=setup.staff)
    assert hidden.status_code == 409
    turnout = await elections.get(f"/v1/elections/{setup.election_id}/turnout", headers=setup.staff)
    assert turnout.json()["ballots_cast"] == 9 and turnout.json()["turnout_percent"] == 90.0
    result = await close_and_tally(elections, setup)
    assert result["result"]["status"] == "complete"
    assert result["result"]["turnout"] == 9
    assert result["result"]["rounds"][0]["blanks"] == 1
    assert {e["candidate_id"] for e in result["result"]["elected"]} == set(winners)
    result_hash = result["result_hash"]
    # certification needs 3 of 5 observers approving the same hash
    too_early = await step(elections, setup, "certified")
    assert too_early.status_code == 409 and too_early.json()["code"] == "TRANSITION_REFUSED"
    for _ in range(3):
        approved = await approve(elections, setup.election_id, result_hash)
        assert approved.status_code == 200, approved.text
    assert approved.json()["approvals"] == 3
    assert (await step(elections, setup, "certified")).status_code == 200
    assert (await step(elections, setup, "published")).status_code == 200
    record = (await elections.get(f"/v1/elections/{setup.election_id}/record", headers=setup.staff)).json()
    types = [entry["type"] for entry in record["log"]]
    assert types[0] == "rules_fixed" and types[-1] == "published"
    assert types.count("ballot_cast") == 9 and "certified" in types
    assert sum(1 for b in record["ballots"] if b["counted"]) == 9


async def test_steps_out_of_order_and_uncontested_lists_are_refused(
    elections: httpx.AsyncClient, registry: RegistryData
) -> None:
    setup = await open_election(elections, registry, roll_size=6)
    skipped = await step(elections, setup, "certified")
    assert skipped.status_code == 409 and skipped.json()["code"] == "TRANSITION_REFUSED"
    suspended = await step(elections, setup, "suspended")
    assert suspended.status_code == 422  # a reason is required
    assert (await step(elections, setup, "suspended", reason="台风停电")).status_code == 200
    refused = await cast(elections, setup, setup.roll[0], [])
    assert refused.status_code == 409 and refused.json()["code"] == "VOTING_CLOSED"
    assert (await step(elections, setup, "voting_open", reason="恢复")).status_code == 200
    assert (await cast(elections, setup, setup.roll[0], [])).status_code == 201
    # seven approved candidates for seven seats is not a contested election
    other = await elections.post(
        "/v1/elections",
        json={
            "community_id": str(setup.community_id),
            "title": "x",
            "record_date": "2026-01-01",
            "rules": {"seats": 7},
        },
        headers=setup.staff,
    )
    assert other.status_code == 201, other.text
    election_id = other.json()["id"]
    nomination = await elections.post(
        f"/v1/elections/{election_id}/transitions", json={"to": "nomination"}, headers=setup.staff
    )
    assert nomination.status_code == 200 and nomination.json()["status"] == "nomination", nomination.text
    for n in range(7):
        rep = setup.roll[n % len(setup.roll)]
        nominated = await elections.post(
            f"/v1/elections/{election_id}/candidates",
            json={"name": f"c{n}"},
            headers=auth(rep_of(rep, setup.community_id)),
        )
        assert nominated.status_code == 201, nominated.text
    review = await elections.post(
        f"/v1/elections/{election_id}/transitions", json={"to": "candidate_review"}, headers=setup.staff
    )
    assert review.status_code == 200 and review.json()["status"] == "candidate_review", review.text
    listed = (await elections.get(f"/v1/elections/{election_id}/candidates", headers=setup.staff)).json()["items"]
    assert sorted(candidate["name"] for candidate in listed) == [f"c{n}" for n in range(7)]
    for candidate in listed:
        reviewed = await elections.post(
            f"/v1/elections/{election_id}/candidates/{candidate['id']}/reviews",
            json={"decision": "approve", "reason": "ok"},
            headers=setup.staff,
        )
        assert reviewed.status_code == 200, reviewed.text
    publish = await elections.post(
        f"/v1/elections/{election_id}/transitions", json={"to": "candidates_published"}, headers=setup.staff
    )
    assert publish.status_code == 409 and publish.json()["code"] == "TRANSITION_REFUSED"
    assert publish.json()["detail"] == "差额选举需要 8 至 10 名候选人,当前 7 名"  # 8 = seats + 1, 10 = 7 × 150 %
    still = (await elections.get(f"/v1/elections/{election_id}", headers=setup.staff)).json()
    assert still["status"] == "candidate_review"


async def test_elections_are_listed_newest_first_with_keyset_cursors(elections: httpx.AsyncClient) -> None:
    community_id = uuid.uuid4()
    headers = auth(staff(community_id))
    created = []
    for n in range(3):
        response = await elections.post(
            "/v1/elections",
            json={"community_id": str(community_id), "title": f"第{n}届", "record_date": "2026-12-01"},
            headers=headers,
        )
        created.append(response.json()["id"])
    first = await elections.get(
        "/v1/elections", params={"community_id": str(community_id), "limit": 2}, headers=headers
    )
    assert [e["id"] for e in first.json()["items"]] == created[::-1][:2]
    assert 'rel="next"' in first.headers["link"]
    second = await elections.get(
        "/v1/elections",
        params={"community_id": str(community_id), "limit": 2, "cursor": first.json()["next_cursor"]},
        headers=headers,
    )
    assert [e["id"] for e in second.json()["items"]] == [created[0]]
    assert second.json().get("next_cursor") is None
    broken = await elections.get("/v1/elections", params={"cursor": "not-a-cursor"}, headers=headers)
    assert broken.status_code == 400 and broken.json()["code"] == "INVALID_CURSOR"
