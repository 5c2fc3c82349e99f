"""Fast, canonical JSON for responses, events and hashes."""

from __future__ import annotations

from typing import Any

import orjson


def dumps(value: Any) -> bytes:
    """Serialise to compact UTF-8 JSON; datetimes become RFC 3339 (UTC emitted with `Z`)."""
    return orjson.dumps(value, option=orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS)


def canonical(value: Any) -> bytes:
    """Canonical JSON (sorted keys, no spaces) for hashing and fingerprints."""
    return orjson.dumps(value, option=orjson.OPT_UTC_Z | orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)


def loads(data: bytes | str) -> Any:
    return orjson.loads(data)
