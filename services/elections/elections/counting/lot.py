"""Public lot by RFC 3797 ("Publicly Verifiable Nominations Committee Random Selection"), section 4.

The seed is built from public random values named before voting opened; the pool is published
in advance; each pick is MD5(i as 2 bytes ‖ seed ‖ i as 2 bytes) mod the remaining pool size.
"""

from __future__ import annotations

import hashlib
import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass

SourceValue = int | str | Sequence[int]
_NOT_ALPHANUMERIC = re.compile(r"[^A-Z0-9]")


def canonical_source(value: SourceValue) -> str:
    """One source's part of the seed: numbers sorted ascending, each followed by '.', then '/'.

    Integers are written in decimal without leading zeros; a text value keeps only its ASCII
    letters and digits, upper-cased. Every source ends with '/'.
    """
    if isinstance(value, str):
        return _NOT_ALPHANUMERIC.sub("", value.upper()) + "/"
    numbers = [value] if isinstance(value, int) else list(value)
    if any(isinstance(number, bool) or not isinstance(number, int) or number < 0 for number in numbers):
        raise ValueError("lot source values must be non-negative integers")
    return "".join(f"{number}." for number in sorted(numbers)) + "/"


def seed_string(sources: Sequence[SourceValue]) -> str:
    """The key string: every source's canonical form, in the published order of the sources."""
    if not sources:
        raise ValueError("at least one source of randomness is needed")
    return "".join(canonical_source(source) for source in sources)


@dataclass(frozen=True, slots=True)
class LotStep:
    index: int
    md5: str  # upper-case hex, as printed in the RFC's example
    divisor: int
    position: int  # 1-based position in the remaining pool
    selected: str


def draw(pool: Sequence[str], picks: int, sources: Sequence[SourceValue]) -> tuple[str, list[LotStep]]:
    """Pick `picks` members of `pool` (in its published order); returns the seed and every step."""
    if not 0 < picks <= len(pool):
        raise ValueError("picks must be between 1 and the pool size")
    seed = seed_string(sources).encode("ascii")
    remaining = list(pool)
    steps: list[LotStep] = []
    for index in range(picks):
        prefix = struct.pack(">H", index)
        value = hashlib.md5(prefix + seed + prefix, usedforsecurity=False).digest()
        divisor = len(remaining)
        chosen = int.from_bytes(value, "big") % divisor
        selected = remaining.pop(chosen)
        steps.append(LotStep(index, value.hex().upper(), divisor, chosen + 1, selected))
    return seed.decode("ascii"), steps
