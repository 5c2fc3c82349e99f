"""Invitation codes: 10 characters from an alphabet without look-alikes; only their sha256 is kept."""

from __future__ import annotations

import hashlib
import re
import secrets

# No 0/O, 1/I/L: read aloud or copied from a screen, a code survives (31 symbols, ~49.5 bits).
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 10
_SHAPE = re.compile(f"^[{ALPHABET}]{{{LENGTH}}}$")


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise(text: str) -> str | None:
    """The code as typed (`7kq2-m9xh 4p`) in its one form, or None when it cannot be one."""
    code = re.sub(r"[\s-]", "", text).upper()
    return code if _SHAPE.match(code) else None


def digest(code: str) -> bytes:
    # ~49.5 random bits behind a per-account limit of 10 wrong tries an hour: a fast hash is enough.
    return hashlib.sha256(code.encode("ascii")).digest()
