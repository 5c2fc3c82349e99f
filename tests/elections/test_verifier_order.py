"""The verifier catches a re-ordered log even when the forger recomputed every hash, and behaves
like a command-line tool (`--help`, `--json`, documented exit codes, one-line errors)."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from elections.verify import verify_record
from elections.verify_formats import GENESIS, entry_hash
from tests.elections.registry_data import RegistryData
from tests.elections.test_integrity import finished_election, run_verifier

ROOT = Path(__file__).resolve().parents[2]


def rechained(log: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The log as a forger would publish it: renumbered and every hash recomputed."""
    prev = GENESIS
    out = []
    for seq, entry in enumerate(log, start=1):
        entry = dict(entry, seq=seq, prev=prev)
        entry["hash"] = entry_hash(entry)
        prev = entry["hash"]
        out.append(entry)
    return out


def positions(log: list[dict[str, Any]]) -> tuple[int, int, int]:
    """Where the superseded ballot, its replacement and the supersession stand in the log."""
    superseded = next(i for i, e in enumerate(log) if e["type"] == "ballot_superseded")
    payload = log[superseded]["payload"]
    old = next(
        i for i, e in enumerate(log) if e["type"] == "ballot_cast" and e["payload"]["tracker"] == payload["tracker"]
    )
    new = next(i for i, e in enumerate(log) if e["type"] == "ballot_cast" and e["payload"]["tracker"] == payload["by"])
    return old, new, superseded


async def test_a_supersession_moved_before_its_ballot_is_detected(
    elections: httpx.AsyncClient, registry: RegistryData
) -> None:
    _, record = await finished_election(elections, registry)
    assert verify_record(record) == []
    log = copy.deepcopy(record["log"])
    _, new, superseded = positions(log)
    log.insert(new, log.pop(superseded))  # the supersession now stands before the ballot that made it
    forged = dict(record, log=rechained(log))
    problems = verify_record(forged)
    assert any("does not follow the ballot replacing" in problem for problem in problems), problems
    assert not any("hash does not match" in problem for problem in problems)  # the chain itself is fine


async def test_two_casts_of_one_voter_swapped_are_detected(
    elections: httpx.AsyncClient, registry: RegistryData, tmp_path: Path
) -> None:
    _, record = await finished_election(elections, registry)
    log = copy.deepcopy(record["log"])
    old, new, superseded = positions(log)
    # the voter's first ballot moved after the second one (the supersession stays with the second)
    first = log.pop(old)
    log.insert(superseded, first)
    forged = dict(record, log=rechained(log))
    problems = verify_record(forged)
    assert any("not cast before it" in problem for problem in problems), problems
    report = run_verifier(forged, tmp_path)
    assert report.returncode == 1 and report.stdout.startswith("MISMATCH")


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "elections.verify", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        env={"PYTHONPATH": "services/elections:.", "PATH": "/usr/bin:/bin"},
    )


async def test_the_verifier_is_a_command_line_tool(
    elections: httpx.AsyncClient, registry: RegistryData, tmp_path: Path
) -> None:
    root = ROOT
    helped = _cli("--help", cwd=root)
    assert helped.returncode == 0 and "--json" in helped.stdout and "Exit codes" in helped.stdout
    missing = _cli(str(tmp_path / "nope.json"), cwd=root)
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1 and "Traceback" not in missing.stderr
    (tmp_path / "bad.json").write_text("{not json")
    bad = _cli(str(tmp_path / "bad.json"), cwd=root)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert _cli(cwd=root).returncode == 2  # no file named

    _, record = await finished_election(elections, registry)
    path = tmp_path / "record.json"
    path.write_text(json.dumps(record, ensure_ascii=False))
    report = _cli(str(path), "--json", cwd=root)
    assert report.returncode == 0, report.stderr
    parsed = json.loads(report.stdout)
    assert parsed == {
        "ok": True,
        "problems": [],
        "log_entries": len(record["log"]),
        "result_hash": record["result_hash"],
    }
