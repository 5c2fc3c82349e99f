"""The certificate (选举结果公告): a PDF whose text, read back, matches the tally of a tied election."""

from __future__ import annotations

import io
import uuid

import httpx
from pypdf import PdfReader

from tests.elections.conftest import close_and_tally, open_election, step
from tests.elections.registry_data import RegistryData
from tests.elections.test_rounds import FIVE_SEATS, certify, vote


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


async def test_the_certificate_of_a_tied_election_shows_the_tally_the_lot_and_the_final_hash(
    elections: httpx.AsyncClient, registry: RegistryData
) -> None:
    setup = await open_election(elections, registry, roll_size=12, candidates=6, rules=FIVE_SEATS)
    await vote(elections, setup, [(5, [0, 1, 2, 3, 4]), (5, [0, 1, 2, 3, 5]), (1, [4, 5])])
    await close_and_tally(elections, setup)
    too_early = await elections.get(f"/v1/elections/{setup.election_id}/certificate", headers=setup.staff)
    assert too_early.status_code == 409 and too_early.json()["code"] == "WRONG_PHASE"
    assert (await step(elections, setup, "runoff_open")).status_code == 200
    await vote(elections, setup, [(5, [4]), (5, [5]), (1, [])])
    await close_and_tally(elections, setup, closing="runoff_closed")
    drawn = await elections.post(
        f"/v1/elections/{setup.election_id}/lots",
        json={"values": [[3, 11, 17, 24, 28, 31], 331250]},
        headers=setup.staff,
    )
    assert drawn.status_code == 200, drawn.text
    final = (await elections.get(f"/v1/elections/{setup.election_id}/result", headers=setup.staff)).json()
    await certify(elections, setup, final["result_hash"])

    response = await elections.get(f"/v1/elections/{setup.election_id}/certificate", headers=setup.staff)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    again = await elections.get(f"/v1/elections/{setup.election_id}/certificate", headers=setup.staff)
    assert again.content == response.content  # drawn from the record alone
    text = _text(response.content)
    record = (await elections.get(f"/v1/elections/{setup.election_id}/record", headers=setup.staff)).json()
    assert "星光产业社区治理委员会选举 选举结果公告" in text
    assert "11 / 12 (91.7%)" in text  # turnout of the main round
    names = {candidate["candidate_id"]: candidate["name"] for candidate in record["candidates"]}
    rounds = final["result"]["rounds"]
    elected = {item["candidate_id"]: item["round_no"] for item in final["result"]["elected"]}
    lines = [line.strip() for line in text.splitlines()]
    for candidate_id, name in names.items():  # a table row reads back as one cell a line
        start = lines.index(name) + 1
        counts, outcome = lines[start : start + len(rounds)], lines[start + len(rounds)]
        assert counts == [str(r["approvals"].get(candidate_id, "—")) for r in rounds], name
        won = elected.get(candidate_id)
        assert outcome == (f"当选（第 {won} 轮）/ elected" if won else "—"), name
    lot = final["result"]["lots"][0]
    assert lot["seed"] in text
    assert f"抽中 / Selected：{names[lot['selected'][0]]}" in text
    assert record["log"][-1]["hash"] in text.replace("\n", "")
    assert final["result_hash"] in text.replace("\n", "")
    assert f"/v1/elections/{setup.election_id}/record" in text.replace("\n", "")
    keys = [entry["payload"]["public_key"] for entry in record["log"] if entry["type"] == "observer_approved"]
    assert len(keys) == 3 and all(key in text.replace("\n", "") for key in keys)  # each signature's key


async def test_there_is_no_certificate_for_an_unknown_election(
    elections: httpx.AsyncClient, registry: RegistryData
) -> None:
    setup = await open_election(elections, registry, roll_size=3, candidates=6, rules=FIVE_SEATS)
    missing = await elections.get(f"/v1/elections/{uuid.uuid4()}/certificate", headers=setup.staff)
    assert missing.status_code == 404
    open_one = await elections.get(f"/v1/elections/{setup.election_id}/certificate", headers=setup.staff)
    assert open_one.status_code == 409
