"""N-minute circle coverage for 100 → 1,000 buildings against 2,000 facilities.

In one run, in-process (the grid app over ASGI, a minimal contract-following registry app beside
it) on a scratch database: `GET /v1/circles/coverage` is timed for communities of 100, 250, 500
and 1,000 buildings. Baselines measured in the same run: a trivial route of the same app
(`GET /v1/circles`) and a brute-force nearest-facility search in Python (haversine over every
facility), which also cross-checks the distances PostgreSQL returns.

    python -m bench grid [--facilities=2000] [--sizes=100,250,500,1000] [--repeat=3]
"""

from __future__ import annotations

import asyncio
import math
import random
import statistics
import time
import uuid
from typing import Any

import asyncpg
import httpx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from bench.harness import option
from shared.app import NO_OPENTELEMETRY
from shared.auth import Identity, Role, mint_internal_token
from shared.settings import DEVELOPMENT_INTERNAL_SECRET
from tools.devdb import asyncpg_dsn, server_url
from tools.migrate import upgrade_all

KINDS = ("life", "medical", "fitness", "reading")
EARTH_RADIUS_M = 6378168.0  # earthdistance's earth()
CENTER = (30.2050, 120.2100)


def _point(rng: random.Random, spread_deg: float) -> tuple[float, float]:
    return CENTER[0] + rng.uniform(-spread_deg, spread_deg), CENTER[1] + rng.uniform(-spread_deg, spread_deg)


def haversine(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def registry_app(communities: dict[uuid.UUID, list[dict[str, Any]]]) -> FastAPI:
    """Just the registry contract the coverage needs: community buildings (paged) and headcounts."""
    app = FastAPI(telemetry=NO_OPENTELEMETRY)  # configured as the services are

    @app.get("/v1/communities/{community_id}/buildings")
    async def buildings(community_id: uuid.UUID, limit: int = 100, cursor: str | None = None) -> dict[str, Any]:
        rows = communities[community_id]
        start = int(cursor or 0)
        body: dict[str, Any] = {"items": rows[start : start + limit]}
        if start + limit < len(rows):
            body["next_cursor"] = str(start + limit)
        return body

    @app.get("/internal/communities/{community_id}/headcounts")
    async def headcounts(community_id: uuid.UUID) -> dict[str, Any]:
        items = [
            {"building_id": b["id"], "enterprises": 3, "employees": b["_employees"]} for b in communities[community_id]
        ]
        return {"items": items}

    return app


async def _prepare(url: str, facilities: list[tuple[Any, ...]]) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await connection.copy_records_to_table(
            "facility",
            schema_name="grid",
            columns=["id", "community_id", "kind", "name", "lat", "lon"],
            records=facilities,
        )
        await connection.execute("ANALYZE grid.facility")
    finally:
        await connection.close()


async def _time(call: Any, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        await call()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


async def _run(url: str, facility_count: int, sizes: list[int], repeat: int) -> None:
    from grid.app import create_app
    from grid.settings import Settings

    rng = random.Random(20261126)
    facility_community = uuid.uuid4()
    facilities = []
    for index in range(facility_count):
        lat, lon = _point(rng, 0.02)
        facilities.append((uuid.uuid4(), facility_community, KINDS[index % 4], f"facility {index}", lat, lon))
    await _prepare(url, facilities)

    all_buildings: list[dict[str, Any]] = []
    for index in range(max(sizes)):
        lat, lon = _point(rng, 0.01)
        all_buildings.append(
            {
                "id": str(uuid.uuid4()),
                "name": f"building {index}",
                "location": {"lat": lat, "lon": lon},
                "_employees": rng.randint(0, 800),
            }
        )
    communities = {uuid.uuid4(): all_buildings[:size] for size in sizes}
    settings = Settings(
        database_url=url,
        environment="test",
        registry_feed_enabled=False,
        supervision_sweep_enabled=False,
        log_level="WARNING",
    )
    app = create_app(settings, registry_transport=httpx.ASGITransport(app=registry_app(communities)))
    token = mint_internal_token(
        Identity(subject="bench", roles=frozenset({Role.platform_admin})), DEVELOPMENT_INTERNAL_SECRET, 3600
    )
    headers = {"X-Platform-Identity": token}
    by_kind = {kind: [(f[4], f[5]) for f in facilities if f[2] == kind] for kind in KINDS}

    async with LifespanManager(app):
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://grid.bench", timeout=120)
        async with client:
            community_of_trivial = next(iter(communities))

            async def trivial() -> None:
                response = await client.get(
                    "/v1/circles", params={"community_id": str(community_of_trivial)}, headers=headers
                )
                response.raise_for_status()

            await trivial()
            trivial_s = await _time(trivial, 20)
            print(f"baseline GET /v1/circles: {trivial_s * 1000:.2f} ms", flush=True)
            print(
                f"{'buildings':>9} {'coverage ms':>12} {'ms/bldg':>8} {'vs 100':>7} {'python ms':>10} "
                f"{'sql/python':>10} {'vs trivial':>10} {'max |Δ| m':>9}",
                flush=True,
            )
            first: float | None = None
            for community_id, rows in communities.items():
                report: dict[str, Any] = {}

                async def coverage(community_id: uuid.UUID = community_id, report: dict[str, Any] = report) -> None:
                    response = await client.get(
                        "/v1/circles/coverage", params={"community_id": str(community_id)}, headers=headers
                    )
                    response.raise_for_status()
                    report.update(response.json())

                await coverage()  # warm-up
                seconds = await _time(coverage, repeat)
                started = time.perf_counter()
                brute = {
                    (b["id"], kind): min(
                        haversine((b["location"]["lat"], b["location"]["lon"]), point) for point in by_kind[kind]
                    )
                    for b in rows
                    for kind in KINDS
                }
                python_s = time.perf_counter() - started
                worst = max(
                    abs(building["nearest"][kind]["distance_m"] - brute[(building["building_id"], kind)])
                    for building in report["buildings"]
                    for kind in KINDS
                )
                first = first or seconds
                print(
                    f"{len(rows):>9} {seconds * 1000:>12.1f} {seconds * 1000 / len(rows):>8.2f} "
                    f"{seconds / first:>6.2f}x {python_s * 1000:>10.1f} {seconds / python_s:>9.2f}x "
                    f"{seconds / trivial_s:>9.0f}x {worst:>9.2f}",
                    flush=True,
                )
            share = report["coverage"]["reading"]["share_by_employees"]
            print(f"(last report: reading-circle share by employees {share}; {facility_count} facilities)", flush=True)


def main(argv: list[str]) -> None:
    facility_count = int(option(argv, "facilities", "2000"))
    sizes = sorted(int(n) for n in option(argv, "sizes", "100,250,500,1000").split(","))
    repeat = int(option(argv, "repeat", "3"))
    name = f"bench_grid_{uuid.uuid4().hex[:8]}"

    async def create() -> None:
        connection = await asyncpg.connect(asyncpg_dsn(server_url("postgres")))
        try:
            await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()

    async def drop() -> None:
        connection = await asyncpg.connect(asyncpg_dsn(server_url("postgres")))
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()

    asyncio.run(create())
    try:
        url = server_url(name)
        upgrade_all(url)
        asyncio.run(_run(url, facility_count, sizes, repeat))
    finally:
        asyncio.run(drop())
