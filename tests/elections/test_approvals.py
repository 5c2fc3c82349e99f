"""Observers' signed approvals: Ed25519 over the approval statement, one per observer, checked offline."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from elections.approve import main as approve_main
from elections.approve import signed_approval
from elections.verify import verify_record
from elections.verify_formats import approval_statement, ed25519_verify, entry_hash
from tests.elections.conftest import Setup, approve, cast, close_and_tally, observer, open_election, step
from tests.elections.registry_data import RegistryData
from tests.elections.test_integrity import finished_election, run_verifier
from tests.support.identities import auth


async def tallied_election(client: httpx.AsyncClient, registry: RegistryData) -> tuple[Setup, str]:
    setup = await open_election(client, registry, roll_size=9)
    for enterprise in setup.roll[:7]:
        assert (await cast(client, setup, enterprise, setup.candidates[:7])).status_code == 201
    result = await close_and_tally(client, setup)
    return setup, str(result["result_hash"])


def post(client: httpx.AsyncClient, setup: Setup, body: dict[str, str], headers: dict[str, str]) -> Any:
    return client.post(f"/v1/elections/{setup.election_id}/certifications", json=body, headers=headers)


async def test_a_tampered_or_borrowed_signature_and_a_non_observer_are_refused(
    elections: httpx.AsyncClient, registry: RegistryData
) -> None:
    setup, result_hash = await tallied_election(elections, registry)
    key, who = Ed25519PrivateKey.generate(), observer(setup.election_id)
    body = signed_approval(key, str(setup.election_id), who.subject, result_hash)
    flipped = body | {"signature": body["signature"][:-2] + f"{int(body['signature'][-2:], 16) ^ 1:02x}"}
    tampered = await post(elections, setup, flipped, auth(who))
    assert tampered.status_code == 422 and tampered.json()["code"] == "APPROVAL_SIGNATURE_INVALID"
    assert tampered.json()["errors"][0]["pointer"] == "/signature"
    # a valid signature made by (or for) another observer does not approve for this one
    borrowed = await post(elections, setup, body, auth(observer(setup.election_id)))
    assert borrowed.status_code == 422 and borrowed.json()["code"] == "APPROVAL_SIGNATURE_INVALID"
    # another election's observer, signing correctly for themselves, is not an observer here
    outsider = observer(uuid.uuid4())
    foreign = signed_approval(key, str(setup.election_id), outsider.subject, result_hash)
    refused = await post(elections, setup, foreign, auth(outsider))
    assert refused.status_code == 403 and refused.json()["code"] == "NOT_OBSERVER_OF_ELECTION"
    malformed = await post(elections, setup, body | {"public_key": "zz"}, auth(who))
    assert malformed.status_code == 422 and malformed.json()["errors"][0]["pointer"] == "/public_key"
    accepted = await post(elections, setup, body, auth(who))
    assert accepted.status_code == 200 and accepted.json()["approvals"] == 1
    again = await approve(elections, setup.election_id, result_hash, who)
    assert again.status_code == 409 and again.json()["code"] == "ALREADY_APPROVED"


async def test_concurrent_approvals_by_one_observer_make_one_approval(
    elections: httpx.AsyncClient, registry: RegistryData
) -> None:
    setup, result_hash = await tallied_election(elections, registry)
    who = observer(setup.election_id)
    bodies = [
        signed_approval(Ed25519PrivateKey.generate(), str(setup.election_id), who.subject, result_hash)
        for _ in range(6)
    ]
    answers = await asyncio.gather(*(post(elections, setup, body, auth(who)) for body in bodies))
    assert sorted(a.status_code for a in answers) == [200, 409, 409, 409, 409, 409], [a.text for a in answers]
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"ALREADY_APPROVED"}
    for _ in range(2):
        assert (await approve(elections, setup.election_id, result_hash)).status_code == 200
    assert (await step(elections, setup, "certified")).status_code == 200
    record = (await elections.get(f"/v1/elections/{setup.election_id}/record", headers=setup.staff)).json()
    approvals = [e["payload"] for e in record["log"] if e["type"] == "observer_approved"]
    assert [a["observer"] for a in approvals].count(who.subject) == 1 and len(approvals) == 3
    assert verify_record(record) == []


def rechained(log: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The log with every hash recomputed, as someone rewriting the whole record would leave it."""
    prev = "0" * 64
    for entry in log:
        entry["prev"] = prev
        entry["hash"] = prev = entry_hash(entry)
    return log


async def test_the_verifier_checks_every_approval_signature_offline(
    elections: httpx.AsyncClient, registry: RegistryData, tmp_path: Path
) -> None:
    _, record = await finished_election(elections, registry)
    assert verify_record(record) == []
    approvals = [e for e in record["log"] if e["type"] == "observer_approved"]
    assert len(approvals) == 3 and all(len(e["payload"]["signature"]) == 128 for e in approvals)
    # the operator swaps one observer's name for another's: the chain is rebuilt, the signature is not
    approvals[0]["payload"]["observer"] = "someone-else"
    record["log"] = rechained(record["log"])
    problems = verify_record(record)
    assert any("signature does not verify" in p for p in problems), problems
    assert any("certified observers are not those who signed" in p for p in problems), problems
    done = run_verifier(record, tmp_path)
    assert done.returncode == 1 and "signature does not verify" in done.stdout


async def test_the_verifier_refuses_a_certification_without_enough_signed_approvals(
    elections: httpx.AsyncClient, registry: RegistryData
) -> None:
    _, record = await finished_election(elections, registry)
    kept = [e for e in record["log"] if e["type"] != "observer_approved"]
    for n, entry in enumerate(kept, start=1):
        entry["seq"] = n
    record["log"] = rechained(kept)
    problems = verify_record(record)
    assert any("certified with 0 signed approvals" in p for p in problems), problems


def test_the_signing_tool_makes_a_key_signs_and_fails_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = tmp_path / "observer.key"
    assert approve_main(["keygen", str(key)]) == 0
    public_key = capsys.readouterr().out.strip()
    assert key.stat().st_mode & 0o777 == 0o600
    election_id, result_hash = str(uuid.uuid4()), "ab" * 32
    argv = ["sign", str(key), "--election", election_id, "--observer", "observer-1", "--result-hash", result_hash]
    assert approve_main(argv) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["public_key"] == public_key and body["result_hash"] == result_hash
    statement = approval_statement(election_id, "observer-1", result_hash)
    assert ed25519_verify(bytes.fromhex(public_key), statement, bytes.fromhex(body["signature"]))
    assert approve_main(["keygen", str(key)]) == 2  # never overwrites a key
    assert capsys.readouterr().err.count("\n") == 1
    key.write_text("not a key\n")
    assert approve_main(argv) == 2
    assert "not a 64-character hex Ed25519 private key" in capsys.readouterr().err
    assert approve_main([*argv[:-1], "XYZ"]) == 2
    assert approve_main(["--help"]) == 0
