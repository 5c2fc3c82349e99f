"""The in-process rate-limit storage: same windows as `limits`', without a walk of every key per hit."""

from __future__ import annotations

import asyncio
import time

import pytest
from limits import parse
from limits.aio.strategies import FixedWindowRateLimiter

from gateway.ratelimit import RateLimiter
from gateway.settings import Settings
from shared.auth import Identity, Role
from shared.errors import RateLimited
from shared.ratelimits import SweptMemoryStorage


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(time, "time", fake)
    return fake


async def test_a_window_refuses_past_its_limit_and_opens_again_when_it_ends(clock: Clock) -> None:
    limiter = FixedWindowRateLimiter(SweptMemoryStorage())
    item = parse("3/second")

    assert [await limiter.hit(item, "alice") for _ in range(4)] == [True, True, True, False]
    assert await limiter.hit(item, "bob")  # each consumer has its own window
    clock.now += 1.0
    assert await limiter.hit(item, "alice")


async def test_ended_windows_are_swept_once_a_second_and_no_task_is_started(clock: Clock) -> None:
    storage = SweptMemoryStorage()
    limiter = FixedWindowRateLimiter(storage)
    item = parse("5/second")
    for consumer in range(100):
        await limiter.hit(item, f"user-{consumer}")
    assert len(storage.expirations) == 100

    clock.now += 0.5
    await limiter.hit(item, "user-0")
    assert len(storage.expirations) == 100  # not yet: windows still open, no sweep due

    clock.now += 1.0
    tasks = len(asyncio.all_tasks())
    await limiter.hit(item, "late")
    assert list(storage.expirations) == [item.key_for("late")] and list(storage.counts) == [item.key_for("late")]
    assert len(asyncio.all_tasks()) == tasks  # limits' own storage schedules a walk of every key after each hit


async def test_the_storage_answers_limits_public_interface(clock: Clock) -> None:
    storage = SweptMemoryStorage()
    limiter = FixedWindowRateLimiter(storage)
    item = parse("2/minute")
    assert await limiter.hit(item, "alice")
    stats = await limiter.get_window_stats(item, "alice")
    assert (stats.remaining, stats.reset_time) == (1, clock.now + 60)
    assert await storage.check()
    await storage.clear(item.key_for("alice"))
    assert (await limiter.get_window_stats(item, "alice")).remaining == 2
    await limiter.hit(item, "bob")
    assert await storage.reset() == 1 and await storage.get(item.key_for("bob")) == 0


def test_the_gateway_counts_in_process_memory_unless_redis_is_set() -> None:
    settings = Settings(environment="test", database_url="postgresql+asyncpg://localhost/unused")
    assert isinstance(RateLimiter(settings).storage, SweptMemoryStorage)


async def test_users_and_partners_each_have_their_own_limits_and_a_refusal_says_when_to_retry(clock: Clock) -> None:
    settings = Settings(
        environment="test",
        database_url="postgresql+asyncpg://localhost/unused",
        rate_limit="2/second;3/minute",
        partner_rate_limit="1/second",
    )
    limiter = RateLimiter(settings)
    alice = Identity(subject="alice", roles=frozenset({Role.employee}))
    bank = Identity(subject="partner:bank", roles=frozenset({Role.partner}))

    await limiter.check(alice)
    await limiter.check(alice)
    with pytest.raises(RateLimited) as second_full:
        await limiter.check(alice)
    assert second_full.value.headers == {"Retry-After": "1"}
    assert second_full.value.extra == {"limit": "2 per 1 second"}

    await limiter.check(bank)  # a partner's window is its own, with the partner limits
    with pytest.raises(RateLimited):
        await limiter.check(bank)

    clock.now += 1.0
    await limiter.check(alice)  # a new second; the minute now holds three
    clock.now += 1.0
    with pytest.raises(RateLimited) as minute_full:
        await limiter.check(alice)
    assert minute_full.value.extra == {"limit": "3 per 1 minute"}
    assert 1 <= int(minute_full.value.headers["Retry-After"]) <= 60
