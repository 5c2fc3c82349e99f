"""The registry feed: a transferred building leaves its grid on the transfer date; the cursor survives restarts.

The grid processes poll the real registry app's feed in-process; the transport only notes where each read starts.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable

import httpx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from tests.grid.conftest import build_grid_app
from tests.grid.helpers import admin_headers, assign, make_grid
from tests.grid.registry_data import RegistryData
from tests.registry.factories import enterprise


class FeedReadsTransport(httpx.ASGITransport):
    """The registry app in-process, remembering the `after` of every feed read."""

    def __init__(self, app: FastAPI) -> None:
        super().__init__(app=app)
        self.feed_reads: list[int] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/internal/events":
            self.feed_reads.append(int(request.url.params.get("after", "0")))
        return await super().handle_async_request(request)


def _grid_process(database_url: str, transport: FeedReadsTransport) -> LifespanManager:
    """A whole grid service process, with its background feed consumer polling fast."""
    return LifespanManager(build_grid_app(database_url, transport, feed_poll_seconds=0.02))


async def _eventually(check: Callable[[], Awaitable[bool]], seconds: float = 5.0) -> None:
    """Poll `check` until it holds (the consumer runs in the background)."""
    for _ in range(int(seconds / 0.02)):
        if await check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the condition did not hold in time")


async def test_transfer_ends_the_assignment_and_the_cursor_survives_a_restart(
    grid: httpx.AsyncClient, registry: RegistryData, registry_service: FastAPI, database_url: str
) -> None:
    transport = FeedReadsTransport(registry_service)
    zhongxing, xingguang = await registry.community("ZX"), await registry.community("XG")
    first, second = await registry.building(zhongxing, "A"), await registry.building(zhongxing, "B")
    old_grid = await make_grid(grid, zhongxing)
    for building in (first, second):
        assert (await assign(grid, old_grid["id"], building, floors=(1, 5))).status_code == 201

    async def assignment_end(building: str) -> str | None:
        rows = (await grid.get(f"/v1/grids/{old_grid['id']}/assignments", headers=admin_headers())).json()
        ends: list[str | None] = [row["valid_to"] for row in rows if row["building_id"] == building]
        return ends[0]

    await enterprise(registry.client)  # an event the grid does not act on
    first_seq = await registry.transfer(first, xingguang, dt.date(2024, 7, 1))
    async with _grid_process(database_url, transport):
        await _eventually(lambda: _equals(assignment_end(str(first)), "2024-07-01"))
    assert await assignment_end(str(second)) is None

    unassigned = await grid.get(
        "/v1/grids/unassigned-buildings",
        params={"community_id": str(xingguang), "as_of": "2024-08-01"},
        headers=admin_headers(),
    )
    assert [item["building_id"] for item in unassigned.json()["items"]] == [str(first)]

    # the process is gone; a transfer happens meanwhile; a new process resumes after the first transfer
    await registry.transfer(second, xingguang, dt.date(2024, 9, 1))
    transport.feed_reads.clear()
    async with _grid_process(database_url, transport):
        await _eventually(lambda: _equals(assignment_end(str(second)), "2024-09-01"))
    assert transport.feed_reads[0] == first_seq
    assert await assignment_end(str(first)) == "2024-07-01"


async def _equals(value: Awaitable[str | None], expected: str) -> bool:
    return await value == expected
