"""The public record verifies; tampering with the log, even done directly in SQL, is detected."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from elections.verify import verify_record
from tests.elections.conftest import Setup, approve, cast, close_and_tally, open_election, step
from tests.elections.registry_data import RegistryData


async def finished_election(client: httpx.AsyncClient, registry: RegistryData) -> tuple[Setup, dict[str, Any]]:
    setup = await open_election(client, registry, roll_size=9)
    for n, enterprise in enumerate(setup.roll[:7]):
        assert (await cast(client, setup, enterprise, setup.candidates[n % 2 : n % 2 + 7])).status_code == 201
    await cast(client, setup, setup.roll[0], setup.candidates[:7])  # a re-vote supersedes the first ballot
    result = await close_and_tally(client, setup)
    for _ in range(3):
        assert (await approve(client, setup.election_id, result["result_hash"])).status_code == 200
    assert (await step(client, setup, "certified")).status_code == 200
    record = (await client.get(f"/v1/elections/{setup.election_id}/record", headers=setup.staff)).json()
    return setup, record


def run_verifier(record: dict[str, Any], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / f"record-{uuid.uuid4().hex[:6]}.json"
    path.write_text(json.dumps(record, ensure_ascii=False))
    return subprocess.run(
        [sys.executable, "-m", "elections.verify", str(path)],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
        env={"PYTHONPATH": "services/elections:.", "PATH": "/usr/bin:/bin"},
    )


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def test_the_exported_record_verifies_with_the_independent_verifier(
    elections: httpx.AsyncClient, registry: RegistryData, tmp_path: Path
) -> None:
    _, record = await finished_election(elections, registry)
    assert verify_record(record) == []
    done = run_verifier(record, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("OK")
    assert sum(1 for entry in record["log"] if entry["type"] == "ballot_superseded") == 1


async def test_the_database_refuses_to_change_or_delete_log_rows(
    elections: httpx.AsyncClient, registry: RegistryData, database_url: str
) -> None:
    setup, _ = await finished_election(elections, registry)
    connection = await asyncpg.connect(_dsn(database_url))
    try:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await connection.execute(
                "UPDATE elections.log_entry SET payload = '{}' WHERE election_id = $1 AND seq = 2", setup.election_id
            )
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await connection.execute("DELETE FROM elections.log_entry WHERE election_id = $1", setup.election_id)
    finally:
        await connection.close()


@pytest.mark.parametrize("tamper", ["edit_ballot", "delete_row", "rehash_edit"])
async def test_tampering_with_a_log_row_in_sql_is_detected_by_the_verifier(
    elections: httpx.AsyncClient, registry: RegistryData, database_url: str, tmp_path: Path, tamper: str
) -> None:
    setup, _ = await finished_election(elections, registry)
    connection = await asyncpg.connect(_dsn(database_url))
    try:
        # an attacker with superuser rights switches the append-only trigger off first
        await connection.execute("ALTER TABLE elections.log_entry DISABLE TRIGGER log_entry_append_only")
        seq = await connection.fetchval(
            "SELECT min(seq) FROM elections.log_entry WHERE election_id = $1 AND type = 'ballot_cast'",
            setup.election_id,
        )
        if tamper == "edit_ballot":
            await connection.execute(
                "UPDATE elections.log_entry SET payload = jsonb_set(payload, '{choices}', '[]') "
                "WHERE election_id = $1 AND seq = $2",
                setup.election_id,
                seq,
            )
        elif tamper == "delete_row":
            await connection.execute(
                "DELETE FROM elections.log_entry WHERE election_id = $1 AND seq = $2", setup.election_id, seq
            )
        else:
            # edit a ballot and recompute that row's own hash: the next row's `prev` no longer matches
            row = await connection.fetchrow(
                "SELECT * FROM elections.log_entry WHERE election_id = $1 AND seq = $2", setup.election_id, seq
            )
            from elections.counting.chain import entry_hash

            payload = json.loads(row["payload"]) | {"choices": []}
            new_hash = entry_hash(seq, row["type"], row["recorded_at"], payload, row["prev"])
            await connection.execute(
                "UPDATE elections.log_entry SET payload = $3::jsonb, hash = $4 WHERE election_id = $1 AND seq = $2",
                setup.election_id,
                seq,
                json.dumps(payload),
                new_hash,
            )
        await connection.execute("ALTER TABLE elections.log_entry ENABLE TRIGGER log_entry_append_only")
    finally:
        await connection.close()
    record = (await elections.get(f"/v1/elections/{setup.election_id}/record", headers=setup.staff)).json()
    assert verify_record(record) != []
    done = run_verifier(record, tmp_path)
    assert done.returncode == 1, done.stdout
    assert "MISMATCH" in done.stdout


async def test_a_tampered_tally_in_the_record_is_detected(
    elections: httpx.AsyncClient, registry: RegistryData, tmp_path: Path
) -> None:
    _, record = await finished_election(elections, registry)
    first = record["result"]["rounds"][0]
    some_candidate = next(iter(first["approvals"]))
    first["approvals"][some_candidate] += 1
    assert any("result" in problem for problem in verify_record(record))
    assert run_verifier(record, tmp_path).returncode == 1
