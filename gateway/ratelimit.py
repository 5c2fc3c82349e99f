"""Per-consumer rate limits with `limits`: process memory, or Redis when `REDIS_URL` is set
(the storage is `shared.ratelimits`, which the identity service shares)."""

from __future__ import annotations

import math
import time

import structlog
from limits import RateLimitItem, parse_many
from limits.aio.strategies import FixedWindowRateLimiter

from gateway.settings import Settings
from shared.auth import Identity, Role
from shared.errors import RateLimited
from shared.i18n import Text
from shared.ratelimits import storage_for

logger = structlog.get_logger("gateway.ratelimit")


class RateLimiter:
    """Each consumer (user subject or partner) gets its own windows; partners have their own limits."""

    KEYS_CACHED = 50_000

    def __init__(self, settings: Settings) -> None:
        self.storage = storage_for(settings.redis_url)
        self.limiter = FixedWindowRateLimiter(self.storage)
        self.user_limits: list[RateLimitItem] = parse_many(settings.rate_limit)
        self.partner_limits: list[RateLimitItem] = parse_many(settings.partner_rate_limit)
        # (consumer, is partner) -> each limit with its storage key and window length, built once
        self._windows: dict[tuple[str, bool], tuple[tuple[RateLimitItem, str, int], ...]] = {}

    def _windows_of(self, identity: Identity) -> tuple[tuple[RateLimitItem, str, int], ...]:
        partner = Role.partner in identity.roles
        windows = self._windows.get((identity.subject, partner))
        if windows is None:
            items = self.partner_limits if partner else self.user_limits
            windows = tuple((item, item.key_for(identity.subject), item.get_expiry()) for item in items)
            if len(self._windows) >= self.KEYS_CACHED:
                self._windows.clear()
            self._windows[(identity.subject, partner)] = windows
        return windows

    async def check(self, identity: Identity) -> None:
        """Count one request; `RateLimited` (429 with `Retry-After`) when a window is full."""
        for item, key, expiry in self._windows_of(identity):
            try:
                # What `FixedWindowRateLimiter.hit` does (the storage's public `incr`), with the key
                # and expiry it builds per call kept.
                allowed = await self.storage.incr(key, expiry) <= item.amount
            except Exception as exc:  # the shared store is down: fail open, loudly
                logger.warning("rate_limit_store_unavailable", error_type=type(exc).__name__)
                return
            if not allowed:
                stats = await self.limiter.get_window_stats(item, identity.subject)
                retry_after = max(1, math.ceil(stats.reset_time - time.time()))
                raise RateLimited(
                    Text(f"超出限额 {item}", f"Rate limit {item} exceeded"),
                    headers={"Retry-After": str(retry_after)},
                    extra={"limit": str(item)},
                )
