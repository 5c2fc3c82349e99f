"""Attachments: confirm-and-thumbnail throughput for 2 MB JPEGs, and upload-to-visible latency.

In one run, in-process (the grid app over ASGI, its local store in a scratch folder) on a scratch
database. Baseline measured in the same run on the same bytes: the bare work of a confirmation's
image step (`shared.media.clean_image`: decode, EXIF gone, re-encode, 320-pixel thumbnail) called
directly, in as many threads as the confirmations run at once. Then:

* confirm throughput: `--files` uploads made beforehand, confirmed `--concurrency` at a time
  (each reads the object, checks size and SHA-256, sniffs the type, cleans, writes the clean copy
  and the thumbnail, updates the row and the hazard's history), as a ratio to the baseline;
* upload-to-visible: ask for the target, POST the file to it, confirm, see it in the item's list;
  p50 and p99 over `--files` files, `--concurrency` at a time.

    python -m bench attachments [--files=40] [--concurrency=2] [--megabytes=2.0]
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import hashlib
import statistics
import tempfile
import time
import uuid
from typing import Any

import asyncpg
import httpx
from asgi_lifespan import LifespanManager

from bench.harness import option
from shared.auth import Identity, Role, mint_internal_token
from shared.media import JPEG, clean_image
from shared.settings import DEVELOPMENT_INTERNAL_SECRET
from tests.support.photos import noisy_photo
from tools.devdb import asyncpg_dsn, server_url
from tools.migrate import upgrade_all


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def _grid_row(url: str) -> tuple[uuid.UUID, uuid.UUID]:
    community, grid = uuid.uuid4(), uuid.uuid4()
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await connection.execute(
            "INSERT INTO grid.grid (id, community_id, code, name, kind, valid_from)"
            " VALUES ($1, $2, 'B-001', 'b', 'basic', $3)",
            grid,
            community,
            dt.date(2024, 1, 1),
        )
    finally:
        await connection.close()
    return community, grid


def _baseline(photos: list[bytes], concurrency: int) -> float:
    """Cleans per second, `concurrency` threads at a time, on the same photos."""
    with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(lambda data: clean_image(data, JPEG), photos[:concurrency]))  # warm-up
        started = time.perf_counter()
        list(pool.map(lambda data: clean_image(data, JPEG), photos))
        return len(photos) / (time.perf_counter() - started)


async def _run(url: str, files: int, concurrency: int, megabytes: float) -> None:
    from grid.app import create_app
    from grid.settings import Settings

    photos = [noisy_photo(megabytes, seed=index) for index in range(files)]
    size_mb = statistics.mean(len(photo) for photo in photos) / 1_000_000
    clean_per_s = _baseline(photos, concurrency)
    print(f"{files} JPEGs of {size_mb:.2f} MB, {concurrency} at a time", flush=True)
    print(f"baseline clean_image (EXIF stripped + thumbnail), direct: {clean_per_s:.1f} files/s", flush=True)

    _, grid_id = await _grid_row(url)
    settings = Settings(
        database_url=url,
        environment="test",
        registry_feed_enabled=False,
        supervision_sweep_enabled=False,
        log_level="WARNING",
        storage_local_root=tempfile.mkdtemp(prefix="bench-files-"),
        storage_public_url="http://grid.bench",
        attachment_max_per_item=9,
    )
    app = create_app(settings)
    who = Identity(subject="bench-worker", roles=frozenset({Role.grid_worker}), grid_ids=frozenset({grid_id}))
    headers = {"X-Platform-Identity": mint_internal_token(who, DEVELOPMENT_INTERNAL_SECRET, 3600)}
    hazard_body = {
        "grid_id": str(grid_id),
        "building_id": str(uuid.uuid4()),
        "description": "b",
        "deadline": "2030-01-01",
    }

    async with LifespanManager(app):
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://grid.bench", timeout=120)
        async with client:

            async def hazard() -> str:
                response = await client.post("/v1/hazards", json=hazard_body, headers=headers)
                response.raise_for_status()
                return str(response.json()["id"])

            async def upload(photo: bytes) -> tuple[str, dict[str, Any]]:
                item = await hazard()
                body = {
                    "name": "p.jpg",
                    "content_type": JPEG,
                    "size": len(photo),
                    "sha256": hashlib.sha256(photo).hexdigest(),
                }
                asked = await client.post(f"/v1/hazards/{item}/attachments", json=body, headers=headers)
                asked.raise_for_status()
                form = asked.json()["upload"]
                sent = await client.post(form["url"], data=form["fields"], files={"file": ("p.jpg", photo, JPEG)})
                sent.raise_for_status()
                return item, asked.json()

            async def confirm(pending: dict[str, Any]) -> None:
                (await client.post(pending["confirm_path"], headers=headers)).raise_for_status()

            async def bounded(calls: list[Any]) -> list[Any]:
                gate = asyncio.Semaphore(concurrency)

                async def one(call: Any) -> Any:
                    async with gate:
                        return await call()

                return await asyncio.gather(*(one(call) for call in calls))

            await confirm((await upload(photos[0]))[1])  # warm-up
            uploaded = await bounded([lambda photo=photo: upload(photo) for photo in photos])
            started = time.perf_counter()
            await bounded([lambda pending=pending: confirm(pending) for _, pending in uploaded])
            confirm_per_s = files / (time.perf_counter() - started)
            print(
                f"confirm over HTTP (checks, clean, store, row, history): {confirm_per_s:.1f} files/s"
                f" = {confirm_per_s / clean_per_s:.2f}x the bare clean",
                flush=True,
            )

            async def to_visible(photo: bytes) -> float:
                began = time.perf_counter()
                item, pending = await upload(photo)
                await confirm(pending)
                listed = await client.get(f"/v1/hazards/{item}/attachments", headers=headers)
                listed.raise_for_status()
                assert [entry["id"] for entry in listed.json()["items"]] == [pending["id"]]
                return time.perf_counter() - began

            latencies = await bounded([lambda photo=photo: to_visible(photo) for photo in photos])
            p50, p99 = _percentile(latencies, 0.5), _percentile(latencies, 0.99)
            bare_ms = 1000 / clean_per_s * concurrency
            print(
                f"upload-to-visible (ask, upload, confirm, list): p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms"
                f" = {p99 * 1000 / bare_ms:.2f}x one bare clean at this concurrency ({bare_ms:.0f} ms)",
                flush=True,
            )


def main(argv: list[str]) -> None:
    files = int(option(argv, "files", "40"))
    concurrency = int(option(argv, "concurrency", "2"))
    megabytes = float(option(argv, "megabytes", "2.0"))
    name = f"bench_attachments_{uuid.uuid4().hex[:8]}"

    async def admin(sql: str) -> None:
        connection = await asyncpg.connect(asyncpg_dsn(server_url("postgres")))
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        url = server_url(name)
        upgrade_all(url)
        asyncio.run(_run(url, files, concurrency, megabytes))
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
