"""What the fuzzing and bad-input tests share: the merged document as served, and a caller per role."""

from __future__ import annotations

import itertools
import time
from typing import Any

import httpx

from shared.auth import USER_ROLES, Identity, Role
from tests.support.identities import minimal_identity

ROLES: tuple[Role, ...] = USER_ROLES


def served_document(gateway_url: str, timeout: float = 30.0) -> dict[str, Any]:
    """`/openapi.json` once every upstream is in it (the first one after start may lack one)."""
    deadline = time.monotonic() + timeout
    while True:
        answer = httpx.get(gateway_url + "/openapi.json", timeout=10)
        document: dict[str, Any] = answer.json() if answer.status_code == 200 else {}
        if document.get("paths") and not document.get("x-unavailable-upstreams"):
            return document
        if time.monotonic() > deadline:
            raise AssertionError(f"the merged document stayed incomplete: {answer.status_code}")
        time.sleep(0.5)


class Callers:
    """A fresh identity of the next role for every request: each role is used in turn, and no
    subject reaches the per-consumer rate limit."""

    def __init__(self) -> None:
        self._roles = itertools.cycle(ROLES)

    def next(self) -> Identity:
        return minimal_identity(next(self._roles))
