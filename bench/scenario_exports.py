"""Exporting 100,000 service requests as CSV and XLSX: rows per second and the peak memory of the
service process, against baselines measured in the same run.

One scratch database holds 100,000 requests of one community, spread over 100 days. The
service-requests process (uvicorn, loopback) streams `GET /v1/service-requests/export` to this
process, which counts the bytes and throws them away. Its memory is read from /proc: VmRSS before
the export and the peak (VmHWM, reset through `/proc/<pid>/clear_refs` before each export).

* speed baseline: this process reads the same columns with a raw asyncpg cursor and writes them
  with the `csv` module into a counter, nothing else (no HTTP, no ORM, no cell formatting);
* memory baseline: a fresh Python process that fetches the same rows into a list and builds the
  CSV in memory, "holding them", as an export without streaming would; its peak RSS growth;
* constancy: the same export of the first 20 days (20,000 rows): a streamed export's peak should
  not grow with the rows.

    python -m bench exports [--rows=100000]

It also times `q` on the work list at that size: the gram index and LIKE against LIKE alone.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import json
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, cast

import asyncpg
import httpx

from bench.harness import FACTORIES, PlatformProcess, option, platform_env, run_sql
from gateway.devkeys import ensure_dev_keys
from shared.auth import Identity, Role, mint_internal_token
from tools.devdb import server_url
from tools.migrate import upgrade_all

DAYS = 100
FIRST_DAY = dt.date(2026, 1, 1)
COLUMNS = (
    "id, type_snapshot->>'name_zh', category, scenario, enterprise_id, status, created_at, acknowledge_due_at, "
    "acknowledged_at, resolve_due_at, resolved_at, assignee_subject, rating, rating_comment, return_visited_at, "
    "follow_up_rating, description"
)


async def _fill(dsn: str, community_id: uuid.UUID, rows: int) -> None:
    """`rows` requests, created evenly over DAYS days from FIRST_DAY (Shanghai), some resolved and rated."""
    connection = await asyncpg.connect(dsn)
    try:
        snapshot = json.dumps({"name_zh": "融资咨询", "deadlines": {}})
        await connection.execute(
            f"""
            INSERT INTO requests.service_request (
                id, type_id, type_version, type_snapshot, category, scenario, community_id, enterprise_id,
                requester_subject, requester_role, status, description, answers, handler_kind,
                acknowledge_due_at, resolve_due_at, clock_started_at, resolved_at, rating, created_at, updated_at)
            SELECT gen_random_uuid(), $1, 1, $2::jsonb, 'enterprise', 'enterprise_service', $3, gen_random_uuid(),
                'bench-' || n, 'employee', CASE WHEN n % 3 = 0 THEN 'closed' ELSE 'submitted' END,
                '第' || n || '号诉求：想了解贷款贴息政策，企业位于星光产业社区 ' || (n % 30) || ' 幢', '{{}}'::jsonb,
                'community_staff', t + interval '4 hours', t + interval '5 days', t,
                CASE WHEN n % 3 = 0 THEN t + interval '2 days' END, CASE WHEN n % 3 = 0 THEN 1 + n % 5 END, t, t
            FROM (SELECT n, TIMESTAMPTZ '{FIRST_DAY.isoformat()} 00:00:00+08'
                        + (n * interval '{DAYS} days') / {rows} AS t
                  FROM generate_series(0, {rows} - 1) AS n) AS s
            """,
            uuid.uuid4(),
            snapshot,
            community_id,
        )
        await connection.execute("ANALYZE requests.service_request")
    finally:
        await connection.close()


def _status(pid: int) -> dict[str, int]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0])  # kB
    return fields


def _reset_peak(pid: int) -> bool:
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")  # resets VmHWM to the current RSS (Linux >= 4.0)
        return True
    except OSError:
        return False


async def _export(url: str, headers: dict[str, str], params: dict[str, str], pid: int) -> tuple[float, int, int, int]:
    """Seconds, bytes, RSS before and the peak during the export (kB), sampled as well as read."""
    reset = _reset_peak(pid)
    before = _status(pid)["VmRSS"]
    peak = before
    size = 0
    started = time.perf_counter()
    async with (
        httpx.AsyncClient(timeout=600) as client,
        client.stream("GET", f"{url}/v1/service-requests/export", params=params, headers=headers) as response,
    ):
        assert response.status_code == 200, await response.aread()
        async for chunk in response.aiter_raw():
            size += len(chunk)
            peak = max(peak, _status(pid)["VmRSS"])
    elapsed = time.perf_counter() - started
    if reset:
        peak = max(peak, _status(pid)["VmHWM"])
    return elapsed, size, before, peak


class _Counter:
    def __init__(self) -> None:
        self.size = 0

    def write(self, text: str) -> int:
        self.size += len(text.encode())
        return len(text)


async def _raw_csv(dsn: str, community_id: uuid.UUID) -> tuple[float, int]:
    """The speed baseline: an asyncpg cursor and `csv.writer`, into a counter."""
    connection = await asyncpg.connect(dsn)
    try:
        sink = _Counter()
        writer = csv.writer(sink)
        started = time.perf_counter()
        async with connection.transaction():
            sql = f"SELECT {COLUMNS} FROM requests.service_request WHERE community_id = $1 ORDER BY created_at, id"
            async for record in connection.cursor(sql, community_id, prefetch=1000):
                writer.writerow(record)
        return time.perf_counter() - started, sink.size
    finally:
        await connection.close()


_HOLDING = """
import asyncio, csv, io, resource, sys, uuid
import asyncpg
async def main():
    connection = await asyncpg.connect(sys.argv[1])
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rows = await connection.fetch(
        "SELECT {columns} FROM requests.service_request WHERE community_id = $1 ORDER BY created_at, id",
        uuid.UUID(sys.argv[2]))
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    body = buffer.getvalue().encode()
    print(before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, len(rows), len(body))
    await connection.close()
asyncio.run(main())
"""


def _holding(dsn: str, community_id: uuid.UUID) -> tuple[int, int]:
    """The memory baseline, in a fresh process: (RSS growth kB, rows)."""
    script = _HOLDING.replace("{columns}", COLUMNS)
    out = subprocess.run(
        [sys.executable, "-c", script, dsn, str(community_id)], check=True, capture_output=True, text=True
    ).stdout.split()
    return int(out[1]) - int(out[0]), int(out[2])


async def _search(dsn: str, community_id: uuid.UUID) -> list[str]:
    """`q` on the work list at this size: the service's own query (`description_contains`: the
    description's indexes and LIKE) against LIKE over the community's rows alone, one page of 21
    newest first, best of five; which search index the service's plan used, and the rows it read."""
    from sqlalchemy import select
    from sqlalchemy.dialects import postgresql

    from service_requests.requests.models import ServiceRequest
    from service_requests.requests.repository import description_contains
    from shared.textsearch import like_fragment

    connection = await asyncpg.connect(dsn)
    lines = []
    try:
        page = "ORDER BY created_at DESC, id DESC LIMIT 21"
        like_only = f"SELECT id FROM requests.service_request WHERE community_id = $1 AND description LIKE $2 {page}"
        for fragment, label in (
            ("第77777号", "rare, 6 chars"),
            ("贴息", "every row, 2 chars"),
            ("鑫", "no row, 1 char"),
        ):
            query = (
                select(ServiceRequest.id)
                .where(ServiceRequest.community_id == community_id, *description_contains(fragment))
                .order_by(ServiceRequest.created_at.desc(), ServiceRequest.id.desc())
                .limit(21)
                .compile(dialect=cast(Any, postgresql).asyncpg.dialect())  # asyncpg's $n parameters
            )
            service = (str(query), tuple(query.params[name] for name in query.positiontup or ()))
            timings = {}
            for name, (sql, args) in (
                ("service", service),
                ("LIKE alone", (like_only, (community_id, like_fragment(fragment)))),
            ):
                best = float("inf")
                for _ in range(5):
                    started = time.perf_counter()
                    await connection.fetch(sql, *args)
                    best = min(best, time.perf_counter() - started)
                timings[name] = best
            plan = json.loads(
                (await connection.fetch("EXPLAIN (ANALYZE, FORMAT JSON) " + service[0], *service[1]))[0][0]
            )
            used = [
                name for name in ("characters", "trgm") if f"ix_service_request_description_{name}" in json.dumps(plan)
            ]
            lines.append(
                f"q={fragment} ({label}): service {timings['service'] * 1000:7.2f} ms "
                f"({_rows_read(plan[0]['Plan']):,} rows read, search index: {', '.join(used) or 'none'}), "
                f"LIKE alone {timings['LIKE alone'] * 1000:7.2f} ms"
            )
    finally:
        await connection.close()
    return lines


def _rows_read(node: dict[str, Any]) -> int:
    """Rows a plan's scans produced or filtered away (how much of the community LIKE looked at)."""
    own = node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0) if "Scan" in node["Node Type"] else 0
    return int(own) + sum(_rows_read(child) for child in node.get("Plans", []))


def main(argv: list[str]) -> None:
    rows = int(option(argv, "rows", 100_000))
    database = f"bench_exports_{uuid.uuid4().hex[:8]}"
    admin_dsn = server_url("postgres").replace("postgresql+asyncpg://", "postgresql://")
    asyncio.run(run_sql(admin_dsn, f'CREATE DATABASE "{database}"'))
    url = server_url(database)
    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    service: PlatformProcess | None = None
    try:
        upgrade_all(url)
        community_id = uuid.uuid4()
        started = time.perf_counter()
        asyncio.run(_fill(dsn, community_id, rows))
        print(f"{rows:,} requests over {DAYS} days loaded in {time.perf_counter() - started:.1f} s")
        for line in asyncio.run(_search(dsn, community_id)):
            print(line)
        keys = ensure_dev_keys(Path(tempfile.mkdtemp(prefix="bench-keys-")))
        secret = secrets.token_urlsafe(48)
        env = platform_env(url, secret=secret, public_key=keys.public_key, extra={"REQUESTS_JOB_INTERVAL_SECONDS": "0"})
        service = PlatformProcess("service-requests", FACTORIES["service-requests"], env)
        service.start()
        staff = Identity(
            subject="bench-staff", roles=frozenset({Role.community_staff}), community_ids=frozenset({community_id})
        )
        headers = {"X-Platform-Identity": mint_internal_token(staff, secret, ttl_seconds=3600)}
        last = FIRST_DAY + dt.timedelta(days=DAYS)
        everything = {"community_id": str(community_id), "from": str(FIRST_DAY), "to": str(last)}
        fifth = {**everything, "to": str(FIRST_DAY + dt.timedelta(days=DAYS // 5 - 1))}

        base_seconds, base_bytes = asyncio.run(_raw_csv(dsn, community_id))
        base_rate = rows / base_seconds
        print(
            f"speed baseline (asyncpg cursor + csv.writer, no HTTP)  {base_rate:>9,.0f} rows/s  "
            f"{base_bytes / 1e6:6.1f} MB"
        )
        held_kb, held_rows = _holding(dsn, community_id)
        print(
            f"memory baseline (all {held_rows:,} rows and the CSV held in memory): "
            f"peak RSS growth {held_kb / 1024:7.1f} MiB"
        )
        asyncio.run(_export(service.url, headers, {**fifth, "format": "csv"}, service.pid))  # warm-up
        print(
            f"{'export':<34}{'rows':>9}{'rows/s':>10}{'vs base':>9}{'MB':>7}{'RSS before':>12}{'peak':>9}{'growth':>9}"
        )
        for export_format in ("csv", "xlsx"):
            for label, params, count in (("first 20 days", fifth, rows // 5), ("all", everything, rows)):
                seconds, size, before, peak = asyncio.run(
                    _export(service.url, headers, {**params, "format": export_format}, service.pid)
                )
                rate = count / seconds
                print(
                    f"{export_format + ' ' + label:<34}{count:>9,}{rate:>10,.0f}{rate / base_rate:>8.2f}x"
                    f"{size / 1e6:>7.1f}{before / 1024:>10.1f}Mi{peak / 1024:>7.1f}Mi{(peak - before) / 1024:>7.1f}Mi",
                    flush=True,
                )
    finally:
        if service is not None:
            service.stop()
        asyncio.run(run_sql(admin_dsn, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
