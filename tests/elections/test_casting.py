"""Casting: the last ballot counts, once per enterprise, under real concurrency; refusals are clear."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import defaultdict
from typing import Any

import httpx
from fastapi import FastAPI

from elections.election.ballots import tracker_of
from tests.elections.conftest import cast, open_election, poll_registry, rep_of, step
from tests.elections.registry_data import Enterprise, RegistryData
from tests.support.identities import auth, enterprise_rep


async def test_500_concurrent_casts_by_100_enterprises_count_exactly_each_last_ballot(
    elections: httpx.AsyncClient, registry: RegistryData
) -> None:
    setup = await open_election(elections, registry, roll_size=100)
    generator = random.Random(7)
    attempts = [(enterprise, generator.sample(setup.candidates, generator.randint(0, 7))) for enterprise in setup.roll]
    attempts = [attempt for attempt in attempts for _ in range(5)]
    generator.shuffle(attempts)
    responses = await asyncio.gather(*(cast(elections, setup, enterprise, choices) for enterprise, choices in attempts))
    assert [r.status_code for r in responses].count(201) == 500, {r.text for r in responses if r.status_code != 201}
    receipts: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    for (enterprise, choices), response in zip(attempts, responses, strict=True):
        receipt = response.json()
        # every tracker is the hash of the ballot and the nonce handed to the voter
        assert receipt["tracker"] == tracker_of(setup.election_id, 1, sorted(choices), receipt["nonce"])
        receipts[enterprise.enterprise_id].append(receipt)
    turnout = (await elections.get(f"/v1/elections/{setup.election_id}/turnout", headers=setup.staff)).json()
    assert turnout["ballots_cast"] == 100
    assert (await step(elections, setup, "voting_closed")).status_code == 200
    record = (await elections.get(f"/v1/elections/{setup.election_id}/record", headers=setup.staff)).json()
    counted = {b["tracker"] for b in record["ballots"] if b["counted"]}
    assert len(record["ballots"]) == 500 and len(counted) == 100
    for enterprise_receipts in receipts.values():
        last = max(enterprise_receipts, key=lambda r: r["serial"])
        mine = {r["tracker"] for r in enterprise_receipts}
        assert mine & counted == {last["tracker"]}  # exactly one counted per enterprise: its last
    assert sum(1 for e in record["log"] if e["type"] == "ballot_superseded") == 400
    for enterprise_receipts in list(receipts.values())[:10]:
        for receipt in enterprise_receipts:
            found = await elections.get(
                f"/v1/elections/{setup.election_id}/trackers/{receipt['tracker']}", headers=setup.staff
            )
            assert found.status_code == 200
            is_last = receipt["serial"] == max(r["serial"] for r in enterprise_receipts)
            assert found.json()["state"] == ("counted" if is_last else "superseded")


async def test_refusals_are_clear_problem_details(
    elections: httpx.AsyncClient, registry: RegistryData, registry_service: FastAPI
) -> None:
    setup = await open_election(elections, registry, roll_size=6)
    # a representative of an enterprise not on the roll
    outsider = Enterprise(uuid.uuid4(), "91330108OUTSIDER01", "外来企业", "rep-outsider")
    refused = await cast(elections, setup, outsider, [])
    assert refused.status_code == 403 and refused.json()["code"] == "NOT_ON_ROLL"
    assert refused.headers["content-type"] == "application/problem+json"
    # someone with the rep role for an enterprise on the roll who is not its representative
    impostor = await elections.post(
        f"/v1/elections/{setup.election_id}/ballots",
        json={"choices": []},
        headers=auth(enterprise_rep(setup.roll[0].enterprise_id)),
    )
    assert impostor.status_code == 403 and impostor.json()["code"] == "NOT_CURRENT_REPRESENTATIVE"
    # a replaced representative: the registry's RepresentativeChanged event moves the right to cast
    replaced = setup.roll[1]
    old = replaced
    assert (await cast(elections, setup, old, [])).status_code == 201
    new = await registry.replace_representative(replaced)
    await registry.wait_for_event("RepresentativeChanged", new, user_subject=new.representative_subject)
    await poll_registry(elections, registry_service)
    stale = await cast(elections, setup, old, setup.candidates[:1])
    assert stale.status_code == 403 and stale.json()["code"] == "NOT_CURRENT_REPRESENTATIVE"
    assert (await cast(elections, setup, new, setup.candidates[:1])).status_code == 201
    # too many choices, or a candidate not on the ballot
    too_many = await cast(elections, setup, setup.roll[2], setup.candidates)
    assert too_many.status_code == 422 and too_many.json()["code"] == "INVALID_BALLOT"
    # deregistered after the freeze: a cast ballot stays, an uncast entitlement is lost
    voted, silent = setup.roll[3], setup.roll[4]
    voted_receipt = (await cast(elections, setup, voted, setup.candidates[:2])).json()
    for enterprise in (voted, silent):
        await registry.deregister(enterprise)
    for enterprise in (voted, silent):
        await registry.wait_for_event("EnterpriseStatusChanged", enterprise, status="deregistered")
    await poll_registry(elections, registry_service)
    lost = await cast(elections, setup, silent, [])
    assert lost.status_code == 403 and lost.json()["code"] == "ENTITLEMENT_LOST"
    # a cast after close
    assert (await step(elections, setup, "voting_closed")).status_code == 200
    late = await cast(elections, setup, setup.roll[5], [])
    assert late.status_code == 409 and late.json()["code"] == "VOTING_CLOSED"
    # a forged tracker
    forged = await elections.get(f"/v1/elections/{setup.election_id}/trackers/{'ab' * 32}", headers=setup.staff)
    assert forged.status_code == 404 and forged.json()["code"] == "TRACKER_NOT_FOUND"
    counted = await elections.get(
        f"/v1/elections/{setup.election_id}/trackers/{voted_receipt['tracker']}", headers=setup.staff
    )
    assert counted.json()["state"] == "counted"
    record = (await elections.get(f"/v1/elections/{setup.election_id}/record", headers=setup.staff)).json()
    assert sum(1 for e in record["log"] if e["type"] == "entitlement_lost") == 2


async def test_observers_see_turnout_only_for_their_election(
    elections: httpx.AsyncClient, registry: RegistryData
) -> None:
    from tests.elections.conftest import observer

    setup = await open_election(elections, registry, roll_size=6)
    mine = await elections.get(f"/v1/elections/{setup.election_id}/turnout", headers=auth(observer(setup.election_id)))
    assert mine.status_code == 200
    other = await elections.get(f"/v1/elections/{setup.election_id}/turnout", headers=auth(observer(uuid.uuid4())))
    assert other.status_code == 403
    result = await elections.get(f"/v1/elections/{setup.election_id}/result", headers=auth(observer(setup.election_id)))
    assert result.status_code == 409
    rep = await elections.get(
        f"/v1/elections/{setup.election_id}/turnout", headers=auth(rep_of(setup.roll[0], setup.community_id))
    )
    assert rep.status_code == 403
