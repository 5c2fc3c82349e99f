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


APPROVAL_FORMAT = "binjiang-election-approval/1"


def approval_statement(election_id: str, observer: str, result_hash: str) -> bytes:
    """What an observer signs: the canonical JSON of {format, election_id, observer, result_hash}."""
    return canonical_json(
        {"format": APPROVAL_FORMAT, "election_id": election_id, "observer": observer, "result_hash": result_hash}
    )


# Ed25519 verification after RFC 8032 section 6 (its reference code), so an observer's approval
# is checked with the standard library alone. Slow (milliseconds) but a record holds a handful.
_P = 2**255 - 19
_L = 2**252 + 27742317777372353535851937790883648493
_D = -121665 * pow(121666, _P - 2, _P) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)
_Point = tuple[int, int, int, int]


def _add(a: _Point, b: _Point) -> _Point:
    e1 = (a[1] - a[0]) * (b[1] - b[0]) % _P
    e2 = (a[1] + a[0]) * (b[1] + b[0]) % _P
    c = 2 * a[3] * b[3] * _D % _P
    d = 2 * a[2] * b[2] % _P
    e, f, g, h = e2 - e1, d - c, d + c, e2 + e1
    return (e * f, g * h, f * g, e * h)


def _multiply(scalar: int, point: _Point) -> _Point:
    result: _Point = (0, 1, 1, 0)
    while scalar > 0:
        if scalar & 1:
            result = _add(result, point)
        point = _add(point, point)
        scalar >>= 1
    return result


def _recover_x(y: int, sign: int) -> int | None:
    if y >= _P:
        return None
    x2 = (y * y - 1) * pow(_D * y * y + 1, _P - 2, _P)
    if x2 % _P == 0:
        return None if sign else 0
    x = pow(x2, (_P + 3) // 8, _P)
    if (x * x - x2) % _P != 0:
        x = x * _SQRT_M1 % _P
    if (x * x - x2) % _P != 0:
        return None
    return _P - x if (x & 1) != sign else x


def _decompress(encoded: bytes) -> _Point | None:
    y = int.from_bytes(encoded, "little")
    sign, y = y >> 255, y & ((1 << 255) - 1)
    x = _recover_x(y, sign)
    return None if x is None else (x, y, 1, x * y % _P)


_BASE_Y = 4 * pow(5, _P - 2, _P) % _P
_BASE: _Point = (_recover_x(_BASE_Y, 0) or 0, _BASE_Y, 1, (_recover_x(_BASE_Y, 0) or 0) * _BASE_Y % _P)


def ed25519_verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """True when `signature` is a valid Ed25519 signature of `message` under `public_key`."""
    if len(public_key) != 32 or len(signature) != 64:
        return False
    key, r_point = _decompress(public_key), _decompress(signature[:32])
    s = int.from_bytes(signature[32:], "little")
    if key is None or r_point is None or s >= _L:
        return False
    h = int.from_bytes(hashlib.sha512(signature[:32] + public_key + message).digest(), "little") % _L
    left, right = _multiply(s, _BASE), _add(r_point, _multiply(h, key))
    return (left[0] * right[2] - right[0] * left[2]) % _P == 0 and (left[1] * right[2] - right[1] * left[2]) % _P == 0
