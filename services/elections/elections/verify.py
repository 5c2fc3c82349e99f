"""Independent verifier: `python -m elections.verify RECORD.json`.

Recomputes, from the exported public record alone, the hash chain of the log, each observer's
signed approval (Ed25519, checked with the standard library), the order of every re-vote (a
supersession follows the ballot that replaced a ballot cast before it), the roll
fingerprint, the counted ballots (last ballot counts) and the whole tally, and compares them
with what the record claims. Nothing here imports the service: the formats (hash chain,
canonical JSON, roll fingerprint, lot) come from `verify_formats` and the count rules from
`verify_count`, both written again from docs/elections.md.

Exit codes: 0 everything agrees; 1 a mismatch (each one listed); 2 the file cannot be read or
is not JSON, or wrong usage. `--json` prints `{"ok", "problems", "log_entries", "result_hash"}`
for an observer's script.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from elections.verify_count import CountError, recount
from elections.verify_formats import (
    approval_statement,
    canonical_json,
    chain_problems,
    ed25519_verify,
    lot_draw,
    lot_seed,
    roll_fingerprint,
    sha256_hex,
)


def order_problems(log: Sequence[dict[str, Any]]) -> list[str]:
    """A recomputed chain proves nothing about order: check that each `ballot_superseded` comes
    right after the `ballot_cast` it names as `by`, and replaces a ballot cast earlier in that round.

    This catches a supersession moved before its ballot, and two casts of one voter swapped.
    """
    problems: list[str] = []
    cast: set[tuple[int, str]] = set()
    replaced: set[tuple[int, str]] = set()
    previous: dict[str, Any] | None = None
    for entry in log:
        payload = entry["payload"]
        if entry["type"] == "ballot_cast":
            cast.add((int(payload["round_no"]), payload["tracker"]))
        elif entry["type"] == "ballot_superseded":
            key = (int(payload["round_no"]), payload["tracker"])
            by = previous["payload"] if previous and previous["type"] == "ballot_cast" else None
            if by is None or by.get("tracker") != payload.get("by") or by.get("round_no") != payload["round_no"]:
                problems.append(f"log entry {entry['seq']}: a supersession that does not follow the ballot replacing")
            if key not in cast:
                problems.append(f"log entry {entry['seq']}: supersedes a ballot not cast before it")
            if key in replaced:
                problems.append(f"log entry {entry['seq']}: supersedes a ballot already superseded")
            replaced.add(key)
        previous = entry
    return problems


def _signature_verifies(election_id: str, approval: dict[str, Any]) -> bool:
    try:
        statement = approval_statement(election_id, str(approval["observer"]), str(approval["result_hash"]))
        return ed25519_verify(bytes.fromhex(approval["public_key"]), statement, bytes.fromhex(approval["signature"]))
    except (KeyError, TypeError, ValueError):
        return False


def approval_problems(election_id: str, rules: dict[str, Any], log: Sequence[dict[str, Any]]) -> list[str]:
    """Each observer's approval is signed by them over this election and result hash, once; the
    `certified` entry names exactly the observers whose valid approvals are of its hash, k or more."""
    problems: list[str] = []
    valid: dict[str, str] = {}
    for entry in log:
        if entry["type"] == "observer_approved":
            approval = entry["payload"]
            observer = str(approval.get("observer"))
            if observer in valid:
                problems.append(f"log entry {entry['seq']}: a second approval by observer {observer}")
            elif not _signature_verifies(election_id, approval):
                problems.append(f"log entry {entry['seq']}: observer {observer}'s approval signature does not verify")
            else:
                valid[observer] = approval["result_hash"]
        elif entry["type"] == "certified":
            certified_hash = entry["payload"].get("result_hash")
            signed = sorted(observer for observer, approved in valid.items() if approved == certified_hash)
            if sorted(entry["payload"].get("observers", [])) != signed:
                problems.append(f"log entry {entry['seq']}: the certified observers are not those who signed its hash")
            if len(signed) < int(rules.get("certification_quorum", 3)):
                problems.append(f"log entry {entry['seq']}: certified with {len(signed)} signed approvals")
    if len(valid) > int(rules.get("observers", 5)):
        problems.append(f"{len(valid)} observers approved, more than the {rules.get('observers', 5)} appointed")
    return problems


def verify_record(record: dict[str, Any]) -> list[str]:
    """Every discrepancy found in the record; an empty list means it verifies."""
    problems: list[str] = []
    log: list[dict[str, Any]] = record.get("log") or []
    problems += chain_problems(log)
    problems += order_problems(log)
    by_type: dict[str, list[dict[str, Any]]] = {}
    for entry in log:
        by_type.setdefault(entry["type"], []).append(entry["payload"])
    if not by_type.get("rules_fixed"):
        return [*problems, "the log does not start with the election's rules"]
    seats = int(by_type["rules_fixed"][0]["rules"].get("seats", 7))
    election_id = str(by_type["rules_fixed"][0].get("election_id"))
    problems += approval_problems(election_id, by_type["rules_fixed"][0]["rules"], log)

    roll = record.get("roll") or {}
    frozen = by_type.get("roll_frozen", [])
    roll_size = 0
    if frozen:
        items = {str(i["enterprise_id"]): i for i in roll.get("items", [])}
        roll_size = int(frozen[0]["size"])
        for amendment in reversed(by_type.get("roll_amended", [])):
            entry = amendment["entry"]
            if amendment["action"] == "add":
                items.pop(str(entry["enterprise_id"]), None)
            else:
                items[str(entry["enterprise_id"])] = entry
        for amendment in by_type.get("roll_amended", []):
            roll_size += 1 if amendment["action"] == "add" else -1
        if roll_fingerprint(items.values()) != frozen[0]["fingerprint"]:
            problems.append("the published roll does not match the fingerprint frozen in the log")
        if roll.get("fingerprint") != frozen[0]["fingerprint"]:
            problems.append("the record's roll fingerprint differs from the log's")
        if roll.get("size") != roll_size:
            problems.append(f"the roll size {roll.get('size')} differs from the log's {roll_size}")

    rounds_opened = by_type.get("voting_opened", [])
    casts: dict[int, dict[str, list[str]]] = {}
    superseded: dict[int, set[str]] = {}
    for payload in by_type.get("ballot_cast", []):
        casts.setdefault(int(payload["round_no"]), {})[payload["tracker"]] = list(payload["choices"])
    for payload in by_type.get("ballot_superseded", []):
        superseded.setdefault(int(payload["round_no"]), set()).add(payload["tracker"])
    counted = {
        n: {t: c for t, c in ballots.items() if t not in superseded.get(n, set())} for n, ballots in casts.items()
    }
    for closing in by_type.get("voting_closed", []):
        n = int(closing["round_no"])
        if len(counted.get(n, {})) != int(closing["ballots_cast"]):
            problems.append(
                f"round {n}: {len(counted.get(n, {}))} counted ballots in the log, {closing['ballots_cast']} announced"
            )
    published_ballots = record.get("ballots") or []
    for n in {int(b["round_no"]) for b in published_ballots}:
        listed = {b["tracker"]: list(b["choices"]) for b in published_ballots if b["round_no"] == n and b["counted"]}
        if listed != counted.get(n, {}):
            problems.append(f"round {n}: the published counted ballots differ from the log")

    tallies = by_type.get("tally_computed", [])
    if not tallies:
        return problems
    last = tallies[-1]
    rounds_counted = int(last["round_no"])
    if not rounds_opened:
        return [*problems, "a tally without any round opened"]
    candidates = list(rounds_opened[0]["candidates"])
    lots: dict[int, Sequence[Any]] = {int(p["round_no"]): p["values"] for p in by_type.get("lot_values_entered", [])}
    ballots = [[frozenset(c) for c in counted.get(n, {}).values()] for n in range(1, rounds_counted + 1)]
    try:
        for k in range(2, min(rounds_counted, len(rounds_opened)) + 1):
            before = recount(seats, candidates, roll_size, ballots[: k - 1], lots)
            opened = {key: rounds_opened[k - 1][key] for key in ("kind", "candidates", "places", "threshold")}
            if before["next_round"] != opened:
                problems.append(f"round {k} was not the round the rules called for")
        computed = recount(seats, candidates, roll_size, ballots, lots)
    except (CountError, ValueError, TypeError, KeyError) as exc:
        return [*problems, f"the count fails: {exc}"]
    if isinstance(record.get("result"), dict) and "libraries" in record["result"]:
        # another votelib version may verify; the versions the service used stay part of the hash
        computed["libraries"] = record["result"]["libraries"]
    computed_hash = sha256_hex(computed)
    if computed_hash != last["result_hash"]:
        problems.append("the recomputed result's hash differs from the last tally in the log")
    for lot in (record.get("result") or {}).get("lots", []):
        if lot_seed(lot["sources"]) != lot["seed"] or lot_draw(lot["pool"], lot["places"], lot["sources"]) != list(
            lot["selected"]
        ):
            problems.append("a lot's seed or selection differs from RFC 3797 drawn again")
    if record.get("result") is not None:
        if canonical_json(record["result"]) != canonical_json(computed):
            problems.append("the record's result differs from the recomputed result")
        if record.get("result_hash") != computed_hash:
            problems.append("the record's result hash differs from the recomputed one")
    return problems


def main(argv: Sequence[str]) -> int:
    """The command line; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m elections.verify",
        description="Recount an election from its public record (GET /v1/elections/{id}/record).",
        epilog="Exit codes: 0 verified, 1 mismatch, 2 unreadable record or wrong usage.",
    )
    parser.add_argument("record", type=Path, help="the record as JSON, as the API serves it")
    parser.add_argument("--json", action="store_true", help="print a JSON report instead of text")
    try:
        arguments = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse exits 0 for --help and 2 for usage errors
        return int(exit_.code or 0)
    try:
        record = json.loads(arguments.record.read_bytes())
        if not isinstance(record, dict):
            raise ValueError("the record is not a JSON object")
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc).split("\n")[0]
        sys.stderr.write(f"cannot read the record {arguments.record}: {reason}\n")
        return 2
    problems = verify_record(record)
    log = record.get("log") or []
    if arguments.json:
        report = {
            "ok": not problems,
            "problems": problems,
            "log_entries": len(log),
            "result_hash": record.get("result_hash"),
        }
        sys.stdout.write(json.dumps(report, ensure_ascii=False) + "\n")
    elif problems:
        sys.stdout.write("MISMATCH\n" + "".join(f"  - {p}\n" for p in problems))
    else:
        sys.stdout.write(
            f"OK: {len(log)} log entries chained, roll fingerprint and tally recomputed;"
            f" result hash {record.get('result_hash')}\n"
        )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
