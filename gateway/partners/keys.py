"""The API key format `bjp_<key_id>_<secret>`: generation, parsing and hashing."""

from __future__ import annotations

import hashlib
import re
import secrets

PREFIX = "bjp_"
_HEX = re.compile(r"[0-9a-f]{16}")  # a key id is looked up in the database: nothing else reaches it


def generate() -> tuple[str, str]:
    """A new (key_id, full key); the key id is hex so the first `_` after it ends it."""
    key_id = secrets.token_hex(8)
    return key_id, f"{PREFIX}{key_id}_{secrets.token_urlsafe(32)}"


def parse(token: str) -> tuple[str, str] | None:
    """(key_id, secret) of a well-formed key, else None."""
    if not token.startswith(PREFIX):
        return None
    key_id, separator, secret = token[len(PREFIX) :].partition("_")
    if not separator or len(key_id) != 16 or len(secret) < 20 or not _HEX.fullmatch(key_id):
        return None
    return key_id, secret


def digest(secret: str) -> bytes:
    """sha256 is enough: the secret has 256 bits of entropy, so it cannot be guessed from the hash."""
    return hashlib.sha256(secret.encode()).digest()
