"""The registry feed: a transferred building leaves its grid on the transfer date; the cursor survives restarts."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable

import httpx
from asgi_lifespan import LifespanManager

from tests.grid.fake_registry import FakeRegistry
from tests.grid.helpers import admin_headers, assign, make_grid


def _grid_process(database_url: str, registry: FakeRegistry) -> LifespanManager:
    """A whole grid service process, with its background feed consumer polling fast."""
    from grid.app import create_app
    from grid.settings import Settings

    settings = Settings(
        database_url=database_url,
        environment="test",
        registry_feed_poll_seconds=0.02,
        supervision_sweep_enabled=False,
    )
    return LifespanManager(create_app(settings, registry_transport=httpx.ASGITransport(app=registry.app())))


async def _eventually(check: Callable[[], Awaitable[bool]], seconds: float = 5.0) -> None:
    """Poll `check` until it holds (the consumer runs in the background)."""
    for _ in range(int(seconds / 0.02)):
        if await check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the condition did not hold in time")


async def test_transfer_ends_the_assignment_and_the_cursor_survives_a_restart(
    grid: httpx.AsyncClient, registry: FakeRegistry, database_url: str
) -> None:
    zhongxing, xingguang = registry.community("ZX"), registry.community("XG")
    first, second = registry.building(zhongxing, "A"), registry.building(zhongxing, "B")
    old_grid = await make_grid(grid, zhongxing)
    for building in (first, second):
        assert (await assign(grid, old_grid["id"], building, floors=(1, 5))).status_code == 201

    async def assignment_end(building: str) -> str | None:
        rows = (await grid.get(f"/v1/grids/{old_grid['id']}/assignments", headers=admin_headers())).json()
        ends: list[str | None] = [row["valid_to"] for row in rows if row["building_id"] == building]
        return ends[0]

    registry.add_other_event()
    registry.transfer(first, xingguang, dt.date(2024, 7, 1))
    async with _grid_process(database_url, registry):
        await _eventually(lambda: _equals(assignment_end(str(first)), "2024-07-01"))
    assert await assignment_end(str(second)) is None

    unassigned = await grid.get(
        "/v1/grids/unassigned-buildings",
        params={"community_id": str(xingguang), "as_of": "2024-08-01"},
        headers=admin_headers(),
    )
    assert [item["building_id"] for item in unassigned.json()["items"]] == [str(first)]

    # the process is gone; a transfer happens meanwhile; a new process resumes after event 2
    registry.transfer(second, xingguang, dt.date(2024, 9, 1))
    registry.feed_reads.clear()
    async with _grid_process(database_url, registry):
        await _eventually(lambda: _equals(assignment_end(str(second)), "2024-09-01"))
    assert registry.feed_reads[0] == 2
    assert await assignment_end(str(first)) == "2024-07-01"


async def _equals(value: Awaitable[str | None], expected: str) -> bool:
    return await value == expected
