"""Failed quorum, ties at the seat boundary (re-vote, then public lot) and run-offs, through the API.

Every tally here is also recounted with votelib inside the service (a disagreement would be a
409 on `tallied`), and the exported record is replayed by the independent verifier.
"""

from __future__ import annotations

import httpx

from elections.verify import verify_record
from tests.elections.conftest import Setup, approve, cast, close_and_tally, open_election, step
from tests.elections.registry_data import RegistryData

FIVE_SEATS = {"seats": 5}


async def vote(client: httpx.AsyncClient, setup: Setup, plan: list[tuple[int, list[int]]]) -> None:
    """`plan`: (how many enterprises, candidate positions they approve), enterprises taken in roll order."""
    voters = iter(setup.roll)
    for count, positions in plan:
        for _ in range(count):
            response = await cast(client, setup, next(voters), [setup.candidates[p] for p in positions])
            assert response.status_code == 201, response.text


async def certify(client: httpx.AsyncClient, setup: Setup, result_hash: str) -> None:
    for _ in range(3):
        approved = await approve(client, setup.election_id, result_hash)
        assert approved.status_code == 200, approved.text
    assert (await step(client, setup, "certified")).status_code == 200


async def test_failed_quorum_voids_the_election_and_a_rerun_can_be_created(
    elections: httpx.AsyncClient, registry: RegistryData
) -> None:
    setup = await open_election(elections, registry, roll_size=10, candidates=6, rules=FIVE_SEATS)
    await vote(elections, setup, [(5, [0, 1, 2, 3, 4])])  # 5 of 10 is not more than half
    result = await close_and_tally(elections, setup)
    assert result["result"]["status"] == "voided"
    assert result["result"]["quorum_met"] is False and result["result"]["elected"] == []
    assert (await step(elections, setup, "certified")).status_code == 409
    assert (await step(elections, setup, "voided")).status_code == 200  # the failed quorum is the reason
    rerun = await elections.post(f"/v1/elections/{setup.election_id}/reruns", headers=setup.staff)
    assert rerun.status_code == 201 and rerun.json()["status"] == "draft"
    assert rerun.json()["rerun_of"] == str(setup.election_id)
    record = (await elections.get(f"/v1/elections/{setup.election_id}/record", headers=setup.staff)).json()
    assert verify_record(record) == []


async def test_a_tie_at_the_seat_boundary_is_revoted_then_drawn_by_public_lot(
    elections: httpx.AsyncClient, registry: RegistryData
) -> None:
    setup = await open_election(elections, registry, roll_size=12, candidates=6, rules=FIVE_SEATS)
    # candidates 0-3 on 11 of 11; 4 and 5 both on 6 of 11 (over half): tied for the fifth seat
    await vote(elections, setup, [(5, [0, 1, 2, 3, 4]), (5, [0, 1, 2, 3, 5]), (1, [4, 5])])
    first = await close_and_tally(elections, setup)
    body = first["result"]
    assert body["status"] == "needs_round"
    assert body["rounds"][0]["tie"] == {"candidates": [setup.candidates[4], setup.candidates[5]], "places": 1}
    assert body["next_round"]["kind"] == "tie_revote" and body["next_round"]["places"] == 1
    assert len(body["elected"]) == 4
    assert (await step(elections, setup, "runoff_open")).status_code == 200
    # only the tied candidates are on the re-vote ballot
    off_ballot = await cast(elections, setup, setup.roll[0], [setup.candidates[0]])
    assert off_ballot.status_code == 422
    await vote(elections, setup, [(5, [4]), (5, [5]), (1, [])])  # still tied
    second = await close_and_tally(elections, setup, closing="runoff_closed")
    assert second["result"]["status"] == "needs_lot"
    too_early = await step(elections, setup, "certified")
    assert too_early.status_code == 409
    wrong = await elections.post(
        f"/v1/elections/{setup.election_id}/lots", json={"values": [[1, 2]]}, headers=setup.staff
    )
    assert wrong.status_code == 422  # one value per named source (two by default)
    drawn = await elections.post(
        f"/v1/elections/{setup.election_id}/lots",
        json={"values": [[3, 11, 17, 24, 28, 31], 331250]},
        headers=setup.staff,
    )
    assert drawn.status_code == 200, drawn.text
    final = (await elections.get(f"/v1/elections/{setup.election_id}/result", headers=setup.staff)).json()
    lot = final["result"]["lots"][0]
    assert final["result"]["status"] == "complete"
    assert lot["seed"] == "3.11.17.24.28.31./331250./"
    assert lot["pool"] == [setup.candidates[4], setup.candidates[5]]
    assert len(final["result"]["elected"]) == 5
    assert {"candidate_id": lot["selected"][0], "round_no": 2} in final["result"]["elected"]
    await certify(elections, setup, final["result_hash"])
    record = (await elections.get(f"/v1/elections/{setup.election_id}/record", headers=setup.staff)).json()
    assert verify_record(record) == []
    assert [e["type"] for e in record["log"]].count("voting_opened") == 2
    resolved = [e["payload"] for e in record["log"] if e["type"] == "tie_resolved"]
    assert resolved == [
        {
            "round_no": 2,
            "tied": [setup.candidates[4], setup.candidates[5]],
            "places": 1,
            "by": "lot (RFC 3797)",
            "seed": "3.11.17.24.28.31./331250./",
            "steps": lot["steps"],
            "elected": lot["selected"],
        }
    ]


async def test_unfilled_seats_go_to_a_runoff_by_plurality_with_a_third(
    elections: httpx.AsyncClient, registry: RegistryData
) -> None:
    setup = await open_election(elections, registry, roll_size=12, candidates=7, rules=FIVE_SEATS)
    # 0-2 on 6 of 11 (elected); 3-5 on 5 of 11 and 6 on 1: two seats open
    await vote(elections, setup, [(6, [0, 1, 2]), (4, [3, 4, 5]), (1, [3, 4, 5, 6])])
    first = (await close_and_tally(elections, setup))["result"]
    assert {e["candidate_id"] for e in first["elected"]} == set(setup.candidates[:3])
    assert first["next_round"] == {
        "kind": "runoff",
        "candidates": [setup.candidates[3], setup.candidates[4], setup.candidates[5], setup.candidates[6]],
        "places": 2,
        "threshold": "third",
    }
    assert (await step(elections, setup, "runoff_open")).status_code == 200
    # 9 ballots: 3 and 4 on 5, 5 on 4, 6 on 0 (a third is 3): plurality elects 3 and 4
    await vote(elections, setup, [(5, [3, 4]), (4, [5]), (2, [])])
    second = await close_and_tally(elections, setup, closing="runoff_closed")
    body = second["result"]
    assert body["status"] == "complete" and body["vacant_seats"] == 0
    assert body["rounds"][1]["kind"] == "runoff" and body["rounds"][1]["blanks"] == 2
    assert {e["candidate_id"] for e in body["elected"] if e["round_no"] == 2} == set(setup.candidates[3:5])
    await certify(elections, setup, second["result_hash"])
    assert (await step(elections, setup, "published")).status_code == 200
    record = (await elections.get(f"/v1/elections/{setup.election_id}/record", headers=setup.staff)).json()
    assert verify_record(record) == []
