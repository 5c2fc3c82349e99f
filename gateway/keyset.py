"""The issuer's key set (JWKS), fetched asynchronously, and the identity service's deny list.

`KeySet` keeps the keys by `kid` for `jwks_cache_seconds`. A token naming a kid the set lacks
triggers one refetch (a rotation needs no restart), at most once per `jwks_min_refresh_seconds`
however many garbage kids arrive: a miss within that time of the last fetch waits for the next
allowed one (so a token of a key published a moment ago is accepted, late by at most that
long), and concurrent misses share that one fetch. When the issuer is
unreachable the last keys keep verifying; with none at all the answer is 503.

`DenyList` polls the identity service's `/internal/denied-subjects` every `deny_list_seconds`
(about 2 s): accounts disabled while their access tokens may still be alive are refused at once.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import jwt
import orjson
import structlog

from shared.auth import Identity, Role, mint_internal_token

logger = structlog.get_logger("gateway.keys")
_TIMEOUT = aiohttp.ClientTimeout(total=5)


class KeySetUnavailable(Exception):
    """No key has ever been fetched and the issuer does not answer."""


def _keys_of(document: Any) -> dict[str, jwt.PyJWK]:
    keys: dict[str, jwt.PyJWK] = {}
    entries = document.get("keys") if isinstance(document, dict) else None
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("kid"), str) or entry.get("use", "sig") != "sig":
            continue
        try:
            keys[entry["kid"]] = jwt.PyJWK(entry)
        except (jwt.PyJWTError, TypeError, ValueError, KeyError):
            logger.warning("jwks_key_skipped", kid=entry["kid"])  # an unusable key never fails the rest
    return keys


class KeySet:
    def __init__(self, url: str, *, max_age: float, min_refresh: float) -> None:
        self.url = url
        self.max_age = max_age
        self.min_refresh = min_refresh
        self.http: aiohttp.ClientSession | None = None
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = float("-inf")  # last successful fetch
        self._tried_at = float("-inf")  # last attempt, successful or not
        self._lock = asyncio.Lock()
        self.fetches = 0

    async def key(self, kid: str) -> jwt.PyJWK | None:
        """The key for `kid`, refetching the set when it is stale or lacks the kid (rate-limited)."""
        now = time.monotonic()
        found = self._keys.get(kid)
        fresh = now - self._fetched_at < self.max_age
        if found is not None and fresh:
            return found
        attempt = self._tried_at  # the fetch this call saw last; a later one answers it too
        if fresh and now - attempt < self.min_refresh:
            # An unknown kid right after a fetch: a key published a moment ago (a rotation, a new
            # replica's first key) or garbage. Wait for the next fetch the limit allows rather
            # than refuse a good token; every miss until then shares that one fetch.
            await asyncio.sleep(attempt + self.min_refresh - now)
        async with self._lock:
            if self._tried_at == attempt:  # nobody fetched while this one waited
                await self._fetch()
        if not self._keys and self._fetched_at == float("-inf"):
            raise KeySetUnavailable
        return self._keys.get(kid)

    async def _fetch(self) -> None:
        self._tried_at = time.monotonic()
        self.fetches += 1
        try:
            http = self.http
            if http is None:
                raise RuntimeError("the key set is used before the gateway started")
            async with http.get(self.url, timeout=_TIMEOUT) as response:
                if response.status != 200:
                    raise aiohttp.ClientResponseError(response.request_info, (), status=response.status)
                document = orjson.loads(await response.read())
        except (TimeoutError, aiohttp.ClientError, orjson.JSONDecodeError, RuntimeError) as exc:
            logger.warning("jwks_fetch_failed", url=self.url, error=type(exc).__name__)
            return
        self._keys = _keys_of(document)
        self._fetched_at = time.monotonic()


SERVICE_IDENTITY = Identity(subject="service:gateway", roles=frozenset({Role.service}))


class DenyList:
    """Subjects the identity service says to refuse (disabled accounts), refreshed in the background."""

    def __init__(self, url: str, secret: str, every: float) -> None:
        self.url = url
        self.every = every
        self._secret = secret
        self.subjects: frozenset[str] = frozenset()
        self.http: aiohttp.ClientSession | None = None

    def __contains__(self, subject: str) -> bool:
        return subject in self.subjects

    async def refresh(self) -> None:
        if self.http is None:
            return
        token = mint_internal_token(SERVICE_IDENTITY, self._secret)
        try:
            async with self.http.get(self.url, headers={"X-Platform-Identity": token}, timeout=_TIMEOUT) as response:
                if response.status != 200:
                    raise aiohttp.ClientResponseError(response.request_info, (), status=response.status)
                document = orjson.loads(await response.read())
            self.subjects = frozenset(str(subject) for subject in document["subjects"])
        except (TimeoutError, aiohttp.ClientError, orjson.JSONDecodeError, KeyError, TypeError) as exc:
            # keep the last list: a disabled account stays refused while identity is unreachable
            logger.warning("deny_list_fetch_failed", error=type(exc).__name__)

    async def run(self) -> None:
        while True:
            await self.refresh()
            await asyncio.sleep(self.every)
