"""The app's WeChat access token in the database, so that replicas refresh it one at a time.

WeChat allows a limited number of `cgi-bin/token` calls a day and invalidates the previous token
five minutes after a new one is fetched, so every replica must share one token. `get` answers
from this process's memory while the token is fresh; otherwise it reads the row; when the row is
due it takes an advisory lock on the appid, reads again (another replica may have refreshed while
it waited) and only then fetches, stores and releases.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from identity.sealing import Sealer
from identity.wechat.repository import read_token, store_token, token_digest
from shared.hot_path import hot_connection

LOCK = "identity.wechat_access_token"


class DatabaseAccessTokenStore:
    def __init__(self, app: Any, appid: str, sealer: Sealer, *, refresh_margin_seconds: float = 300.0) -> None:
        self._app = app
        self._appid = appid
        self._sealer = sealer
        self._margin = refresh_margin_seconds
        self._memo: tuple[str, float] | None = None  # token, monotonic refresh time

    def __repr__(self) -> str:
        return f"DatabaseAccessTokenStore(appid={self._appid!r})"

    async def get(self, fetch: Callable[[], Awaitable[tuple[str, int]]]) -> str:
        if self._memo is not None and time.monotonic() < self._memo[1]:
            return self._memo[0]
        async with hot_connection(self._app) as connection, connection.transaction():
            row = await read_token(connection, self._appid)
            if row is None:
                await connection.execute("SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))", LOCK, self._appid)
                row = await read_token(connection, self._appid)
            if row is not None:
                token = self._sealer.unseal(bytes(row["token_sealed"]), self._appid)
                self._memo = (token, time.monotonic() + 30.0)  # read again within a minute: rotations elsewhere
                return token
            token, expires_in = await fetch()
            margin = min(self._margin, expires_in / 2)
            await store_token(
                connection, self._appid, self._sealer.seal(token, self._appid), token_digest(token), expires_in, margin
            )
        self._memo = (token, time.monotonic() + min(30.0, expires_in - margin))
        return token

    async def invalidate(self, stale: str) -> None:
        """WeChat refused `stale`: forget it here and in the row, unless the row holds a newer one."""
        self._memo = None
        async with hot_connection(self._app) as connection:
            await connection.execute(
                "DELETE FROM identity.wechat_access_token WHERE appid = $1 AND token_sha256 = $2",
                self._appid,
                token_digest(stale),
            )
