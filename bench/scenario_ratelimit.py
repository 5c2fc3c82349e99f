"""The gateway's rate limiting cost per request as the number of consumers grows.

`limits`' own asyncio `MemoryStorage` against the gateway's `SweptMemoryStorage` (its own storage on
`limits`' public `Storage` interface), in one run, with
the gateway's default limits (two windows per consumer). Consumers take turns, and the event loop
gets a turn after every request, as in a server: `limits`' storage walks every key on each turn.

    python -m bench ratelimit [--requests=20000]
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import uvloop
from limits import parse_many
from limits.aio.storage import MemoryStorage, Storage
from limits.aio.strategies import FixedWindowRateLimiter

from bench.harness import option
from gateway.settings import Settings
from shared.ratelimits import SweptMemoryStorage

CONSUMERS = (1, 400, 10_000)


async def _per_request(make: Callable[[], Storage], consumers: int, requests: int) -> float:
    limiter = FixedWindowRateLimiter(make())
    items = parse_many(Settings.model_fields["rate_limit"].default)
    for consumer in range(consumers):  # every consumer has open windows, as after a busy minute
        for item in items:
            await limiter.hit(item, f"user-{consumer}")
    started = time.perf_counter()
    for request in range(requests):
        for item in items:
            await limiter.hit(item, f"user-{request % consumers}")
        await asyncio.sleep(0)  # the loop's turn: other requests, and whatever the storage scheduled
    return (time.perf_counter() - started) / requests


def main(argv: list[str]) -> None:
    requests = option(argv, "requests", 20_000)
    print(f"{requests} requests, default limits, the loop yielding after each")
    print(f"{'consumers':>10} {'limits MemoryStorage':>22} {'SweptMemoryStorage':>20} {'ratio':>7}")
    for consumers in CONSUMERS:
        theirs = uvloop.run(_per_request(MemoryStorage, consumers, requests))
        ours = uvloop.run(_per_request(SweptMemoryStorage, consumers, requests))
        print(f"{consumers:>10} {theirs * 1e6:>19.1f} us {ours * 1e6:>17.1f} us {ours / theirs:>6.2f}x")


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
