"""The public record's formats, implemented again from docs/elections.md for the verifier.

Standard library only, on purpose: nothing here imports the service (`elections.counting`,
`shared`), so the verifier checks the service against the specification, not against itself.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

GENESIS = "0" * 64
_NOT_ALPHANUMERIC = re.compile(r"[^A-Z0-9]")


def canonical_json(value: Any) -> bytes:
    """Keys sorted, no whitespace, non-ASCII kept as UTF-8 (not escaped), no NaN or infinity."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def sha256_hex(value: Any) -> str:
    """SHA-256 (lower-case hex) of a value's canonical JSON."""
    return hashlib.sha256(canonical_json(value)).hexdigest()


def entry_hash(entry: Mapping[str, Any]) -> str:
    """The hash of one log entry: SHA-256 of the canonical JSON of {seq, type, at, payload, prev}."""
    return sha256_hex({key: entry[key] for key in ("seq", "type", "at", "payload", "prev")})


def chain_problems(log: Iterable[Mapping[str, Any]]) -> list[str]:
    """Every break in the chain: a gap in seq, a prev that is not the entry before's hash, a wrong hash."""
    problems: list[str] = []
    prev, expected_seq = GENESIS, 1
    for entry in log:
        seq = int(entry["seq"])
        if seq != expected_seq:
            problems.append(f"log entry {seq}: expected seq {expected_seq}")
        if entry["prev"] != prev:
            problems.append(f"log entry {seq}: prev does not match the hash of the entry before")
        if entry_hash(entry) != entry["hash"]:
            problems.append(f"log entry {seq}: hash does not match the entry's contents")
        prev, expected_seq = entry["hash"], seq + 1
    return problems


def roll_fingerprint(items: Iterable[Mapping[str, Any]]) -> str:
    """SHA-256 of the list of {enterprise_id, uscc, name} of every roll entry, ordered by USCC."""
    entries = [{"enterprise_id": str(i["enterprise_id"]), "uscc": i["uscc"], "name": i["name"]} for i in items]
    return sha256_hex(sorted(entries, key=lambda entry: entry["uscc"]))


def tracker(election_id: str, round_no: int, choices: Sequence[str], nonce: str) -> str:
    """A receipt's tracker: SHA-256 of {election_id, round_no, choices sorted, nonce}."""
    return sha256_hex({"election_id": election_id, "round_no": round_no, "choices": sorted(choices), "nonce": nonce})


def lot_seed(sources: Sequence[int | str | Sequence[int]]) -> str:
    """RFC 3797 key string: per source, its numbers ascending each followed by '.', or its text
    upper-cased with only A-Z and 0-9 kept; every source then ends with '/'."""
    parts = []
    for source in sources:
        if isinstance(source, str):
            parts.append(_NOT_ALPHANUMERIC.sub("", source.upper()) + "/")
        else:
            numbers = [source] if isinstance(source, int) else list(source)
            parts.append("".join(f"{number}." for number in sorted(numbers)) + "/")
    return "".join(parts)


def lot_draw(pool: Sequence[str], picks: int, sources: Sequence[int | str | Sequence[int]]) -> list[str]:
    """RFC 3797 section 4: pick i is MD5(i as 2 bytes big-endian ‖ seed ‖ i) mod the remaining pool."""
    seed = lot_seed(sources).encode("ascii")
    remaining, chosen = list(pool), []
    for index in range(picks):
        prefix = index.to_bytes(2, "big")
        value = int.from_bytes(hashlib.md5(prefix + seed + prefix, usedforsecurity=False).digest(), "big")
        chosen.append(remaining.pop(value % len(remaining)))
    return chosen
