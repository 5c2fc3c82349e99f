"""Brute-force limits per client address (and per whatever else a flow names), counted in the
gateway's rate-limit storage: Redis/Valkey when `IDENTITY_REDIS_URL` (or `REDIS_URL`) is set, so
every replica counts in one place; this process's memory otherwise (one machine, development)."""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import AsyncIterator

from fastapi import FastAPI
from limits import RateLimitItem, parse_many
from limits.aio.strategies import FixedWindowRateLimiter

from identity.settings import Settings
from shared.errors import RateLimited
from shared.i18n import Text
from shared.ratelimits import storage_for


class TooManyAttempts(RateLimited):
    code = "TOO_MANY_ATTEMPTS"
    title = Text("尝试次数过多,请稍后再试", "Too many attempts from here; try again later")


class AbuseLimits:
    """Named fixed-window limits (`"sms_send": "20/hour"`), each counted per key."""

    def __init__(self, settings: Settings) -> None:
        self.storage = storage_for(settings.redis_url)
        self.limiter = FixedWindowRateLimiter(self.storage)
        self.limits: dict[str, list[RateLimitItem]] = {
            name: parse_many(spec) for name, spec in settings.abuse_limits.items()
        }

    async def hit(self, name: str, key: str | None) -> None:
        """Count one attempt of `name` by `key`; TooManyAttempts (429, Retry-After) past a limit."""
        for item in self.limits[name]:
            if not await self.limiter.hit(item, "identity", name, key or "unknown"):
                stats = await self.limiter.get_window_stats(item, "identity", name, key or "unknown")
                retry_after = max(1, math.ceil(stats.reset_time - time.time()))
                raise TooManyAttempts(headers={"Retry-After": str(retry_after)})


def abuse_limits(app: FastAPI) -> contextlib.AbstractAsyncContextManager[None]:
    """The app resource: `app.state.abuse_limits`."""

    @contextlib.asynccontextmanager
    async def opened() -> AsyncIterator[None]:
        app.state.abuse_limits = AbuseLimits(app.state.settings)
        yield

    return opened()
