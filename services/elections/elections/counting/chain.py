"""The append-only log's hash chain: canonical JSON, each entry holding the SHA-256 of the previous."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from shared.jsonutil import canonical

GENESIS = "0" * 64


def entry_hash(seq: int, event_type: str, recorded_at: str, payload: Mapping[str, Any], prev: str) -> str:
    """SHA-256 (hex) of the canonical JSON of one entry's fields, previous hash included."""
    material = {"seq": seq, "type": event_type, "at": recorded_at, "payload": payload, "prev": prev}
    return hashlib.sha256(canonical(material)).hexdigest()


def digest(value: Any) -> str:
    """SHA-256 (hex) of a value's canonical JSON (results, rolls, ballots)."""
    return hashlib.sha256(canonical(value)).hexdigest()


@dataclass(frozen=True, slots=True)
class ChainProblem:
    seq: int
    detail: str


def verify_chain(entries: Iterable[Mapping[str, Any]]) -> list[ChainProblem]:
    """Every problem in a log: gaps in `seq`, a wrong `prev`, a hash that does not match the entry."""
    problems: list[ChainProblem] = []
    prev = GENESIS
    expected_seq = 1
    for entry in entries:
        seq = int(entry["seq"])
        if seq != expected_seq:
            problems.append(ChainProblem(seq, f"expected seq {expected_seq}"))
        if entry["prev"] != prev:
            problems.append(ChainProblem(seq, "prev does not match the hash of the entry before"))
        computed = entry_hash(seq, entry["type"], entry["at"], entry["payload"], entry["prev"])
        if computed != entry["hash"]:
            problems.append(ChainProblem(seq, "hash does not match the entry's contents"))
        prev = entry["hash"]
        expected_seq = seq + 1
    return problems
