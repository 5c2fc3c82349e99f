"""The hot-path batcher: concurrent calls share one statement, and each still gets its own fate."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from shared.hot_path import Batcher, FairPool
from tests.support.database import asyncpg_dsn

# x -> 100 / x, one row per item, in item order; 0 fails the whole statement (division by zero)
DIVIDE = "SELECT 100 / x AS y FROM unnest($1::int[]) WITH ORDINALITY AS item (x, n) ORDER BY n"


async def divide(connection: asyncpg.Connection, items: list[int]) -> list[int]:
    return [record["y"] for record in await connection.fetch(DIVIDE, items)]


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[FairPool]:
    raw = await asyncpg.create_pool(asyncpg_dsn(database_url), min_size=1, max_size=4)
    try:
        yield FairPool(raw, 4)
    finally:
        await raw.close()


async def test_concurrent_calls_share_statements_and_get_their_own_results(pool: FairPool) -> None:
    batcher = Batcher(pool, divide, name="test_divide", runners=2)
    items = [1, 2, 4, 5, 10, 20, 25, 50] * 25

    results = await asyncio.gather(*(batcher.run(item) for item in items))

    assert results == [100 // item for item in items]
    # 200 callers at once on two runners: a handful of statements, not one per caller
    assert batcher.batches < len(items) // 4


async def test_a_lone_call_runs_at_once(pool: FairPool) -> None:
    batcher = Batcher(pool, divide, name="test_divide", runners=2)

    assert await asyncio.wait_for(batcher.run(4), timeout=5) == 25
    assert batcher.batches == 1


async def test_a_failing_item_fails_alone(pool: FairPool) -> None:
    batcher = Batcher(pool, divide, name="test_divide", runners=1)
    items = [1, 2, 0, 4, 5, 0, 10] * 10

    results = await asyncio.gather(*(batcher.run(item) for item in items), return_exceptions=True)

    for item, result in zip(items, results, strict=True):
        if item == 0:
            assert isinstance(result, asyncpg.DivisionByZeroError)
        else:
            assert result == 100 // item


async def test_a_caller_that_goes_away_does_not_stop_the_others(pool: FairPool) -> None:
    batcher = Batcher(pool, divide, name="test_divide", runners=1)
    calls = [asyncio.create_task(batcher.run(item)) for item in (1, 2, 4, 5)]
    calls[1].cancel()  # before its batch has run: it is still in the queue

    results = await asyncio.gather(*calls, return_exceptions=True)

    assert isinstance(results[1], asyncio.CancelledError)
    assert [results[0], results[2], results[3]] == [100, 25, 20]


async def test_batchers_are_kept_per_name(pool: FairPool) -> None:
    assert pool.batcher("a", divide) is pool.batcher("a", divide)
    assert pool.batcher("a", divide) is not pool.batcher("b", divide)


async def test_a_call_made_as_the_last_batch_ends_still_runs(pool: FairPool) -> None:
    batcher = Batcher(pool, divide, name="test_divide", runners=1)
    async with asyncio.timeout(5):  # not wait_for: that would run each call in a task of its own, later
        for item in (1, 2, 4, 5, 10):  # each call is made by the caller the previous batch just woke
            assert await batcher.run(item) == 100 // item
