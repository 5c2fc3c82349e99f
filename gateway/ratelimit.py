"""Per-consumer rate limits with `limits`: process memory, or Redis when `REDIS_URL` is set."""

from __future__ import annotations

import math
import time

import structlog
from limits import RateLimitItem, parse_many
from limits.aio.storage import Storage
from limits.aio.strategies import FixedWindowRateLimiter
from limits.storage import storage_from_string

from gateway.settings import Settings
from shared.auth import Identity, Role
from shared.errors import RateLimited
from shared.i18n import Text

logger = structlog.get_logger("gateway.ratelimit")


def storage_uri(redis_url: str | None) -> str:
    """`limits` names its asyncio Redis backend `async+redis://`."""
    if not redis_url:
        return "async+memory://"
    for scheme in ("redis://", "rediss://", "redis+unix://"):
        if redis_url.startswith(scheme):
            return "async+" + redis_url
    return redis_url


class RateLimiter:
    """Each consumer (user subject or partner) gets its own windows; partners have their own limits."""

    def __init__(self, settings: Settings) -> None:
        storage = storage_from_string(storage_uri(settings.redis_url))
        assert isinstance(storage, Storage)
        self.storage = storage
        self.limiter = FixedWindowRateLimiter(self.storage)
        self.user_limits: list[RateLimitItem] = parse_many(settings.rate_limit)
        self.partner_limits: list[RateLimitItem] = parse_many(settings.partner_rate_limit)

    async def check(self, identity: Identity) -> None:
        """Count one request; `RateLimited` (429 with `Retry-After`) when a window is full."""
        items = self.partner_limits if Role.partner in identity.roles else self.user_limits
        consumer = identity.subject
        for item in items:
            try:
                allowed = await self.limiter.hit(item, consumer)
            except Exception as exc:  # the shared store is down: fail open, loudly
                logger.warning("rate_limit_store_unavailable", error_type=type(exc).__name__)
                return
            if not allowed:
                stats = await self.limiter.get_window_stats(item, consumer)
                retry_after = max(1, math.ceil(stats.reset_time - time.time()))
                raise RateLimited(
                    Text(f"超出限额 {item}", f"Rate limit {item} exceeded"),
                    headers={"Retry-After": str(retry_after)},
                    extra={"limit": str(item)},
                )
