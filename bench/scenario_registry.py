"""Enterprise list and name-fragment search latency at 10,000 and at 1,000,000 enterprises.

In one run, against two scratch databases this scenario creates (and drops): generate 10,000
enterprises in one and 1,000,000 in the other (in SQL), start a registry process on each, and
measure p50/p95 of each query against both, request by request in alternation (small then
large, then large then small), so both sizes see the same machine at the same moment: on a
shared 2-core machine, measuring one size minutes after the other compared the noise as much
as the sizes. The 10,000-row database is the baseline; the target is a p95 growth of at most
1.5x. Requests are sequential on one keep-alive connection per process, so the figures are
latencies, not throughput.

    python -m bench registry [--requests=200] [--large=1000000]
"""

from __future__ import annotations

import asyncio
import os
import random
import secrets
import statistics
import time
import uuid
from dataclasses import dataclass

import aiohttp
import asyncpg
from alembic import command

from bench.harness import PlatformProcess, option
from shared.auth import IDENTITY_HEADER, Identity, Role, mint_internal_token
from shared.pagination import encode_cursor
from tools.devdb import asyncpg_dsn, server_url
from tools.migrate import config

SMALL = 10_000
TARGET_GROWTH = 1.5
WORDS = (
    "星辰", "星河", "江南", "钱塘", "滨江", "云栖", "智汇", "数联", "芯动", "海创", "启明", "博远",
    "明道", "远图", "锐思", "清源", "和光", "睿智", "万象", "众联", "汇通", "天成", "宏图", "嘉禾",
    "鼎盛", "金石", "聚源", "卓越", "新锐", "灵犀", "青橙", "蓝海", "优品", "乐享", "恒信", "同创",
)  # fmt: skip
TRADES = (
    "软件科技", "网络科技", "信息技术", "数据服务", "投资管理", "企业管理咨询", "工程技术", "设计",
    "电子商务", "贸易", "文化传媒", "融资租赁", "教育科技", "房地产经纪", "建设工程",
)  # fmt: skip
SECTIONS = ("I", "I", "I", "I", "L", "L", "M", "M", "F", "F", "R", "J", "P", "K", "E")
# (label, query string); `{cursor}` is replaced by a cursor at a random row of the table
QUERIES = (
    ("list, first page", "limit=20"),
    ("list, random deep page", "limit=20&cursor={cursor}"),
    ("search 1 char 星 (common)", "q=星&limit=20"),
    ("search 2 chars 科技 (common)", "q=科技&limit=20"),
    ("search 2 chars 传媒 (~7%)", "q=传媒&limit=20"),
    ("search 4 chars 星河智汇 (~0.1%)", "q=星河智汇&limit=20"),
    ("search 2 chars 萧宏 (no match)", "q=萧宏&limit=20"),
    ("search 1 char 鑫 (no match)", "q=鑫&limit=20"),
    ("search 科技, deep page", "q=科技&limit=20&cursor={cursor}"),
    ("search by industry section R", "industry_section=R&limit=20"),
)


def _array(values: tuple[str, ...]) -> str:
    return "ARRAY[" + ", ".join(f"'{value}'" for value in values) + "]"


GENERATE = f"""
INSERT INTO registry.enterprise
    (id, uscc, name, legal_representative, industry_section, industry_code, status, version, created_at, updated_at)
SELECT gen_random_uuid(),
       '9133' || lpad(g::text, 14, '0'),
       '杭州' || w[1 + (hashint8(g * 3 + 1) & 2147483647) % {len(WORDS)}]
              || w[1 + (hashint8(g * 3 + 2) & 2147483647) % {len(WORDS)}]
              || t[1 + (hashint8(g * 3) & 2147483647) % {len(TRADES)}] || '有限公司',
       '张三',
       s[1 + (hashint8(g * 3) & 2147483647) % {len(TRADES)}],
       '6513', 'active', 1, now(), now()
FROM generate_series($1::bigint, $2::bigint) AS g,
     (SELECT {_array(WORDS)} AS w, {_array(TRADES)} AS t, {_array(SECTIONS)} AS s) AS vocabulary
"""


@dataclass
class Measured:
    label: str
    rows: int
    latencies: list[float]

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def _grow(dsn: str, start: int, end: int) -> float:
    """Insert rows `start..end` with the name indexes dropped and rebuilt (bulk-load practice)."""
    began = time.perf_counter()
    connection = await asyncpg.connect(dsn)
    try:
        indexes = await connection.fetch(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'registry' AND tablename = 'enterprise' "
            "AND indexname LIKE 'ix_%'"
        )
        for index in indexes:
            await connection.execute(f'DROP INDEX registry."{index["indexname"]}"')
        await connection.execute("SET maintenance_work_mem = '256MB'")
        step = 250_000
        for low in range(start, end + 1, step):
            await connection.execute(GENERATE, low, min(end, low + step - 1))
        for index in indexes:
            await connection.execute(index["indexdef"])
        await connection.execute("VACUUM ANALYZE registry.enterprise")
    finally:
        await connection.close()
    return time.perf_counter() - began


async def _cursors(dsn: str, count: int, fragment: str | None) -> list[str]:
    connection = await asyncpg.connect(dsn)
    try:
        where = "WHERE strpos(name, $2) > 0" if fragment else "WHERE $2::text IS NULL"
        rows = await connection.fetch(
            f"SELECT name, id FROM registry.enterprise TABLESAMPLE SYSTEM (5) {where} LIMIT $1", count, fragment
        )
    finally:
        await connection.close()
    return [encode_cursor([row["name"], row["id"]]) for row in rows] or [encode_cursor(["杭州", uuid.UUID(int=0)])]


@dataclass
class Target:
    """One registry process over one database, with cursors taken from that database's rows."""

    url: str
    rows: int
    deep: list[str]
    deep_search: list[str]


async def _target(url: str, dsn: str, rows: int) -> Target:
    return Target(url, rows, await _cursors(dsn, 200, None), await _cursors(dsn, 200, "科技"))


async def _measure(targets: list[Target], token: str, requests: int) -> list[list[Measured]]:
    """Each query against every target in turn, the order flipping every request; per target."""
    results: list[list[Measured]] = [[] for _ in targets]
    rng = random.Random(7)
    sessions = [aiohttp.ClientSession(headers={IDENTITY_HEADER: token}) for _ in targets]
    try:
        for label, query in QUERIES:
            latencies: list[list[float]] = [[] for _ in targets]
            for attempt in range(requests + 10):  # 10 warm-up requests
                order = list(range(len(targets)))
                if attempt % 2:
                    order.reverse()
                for index in order:
                    target = targets[index]
                    cursor = rng.choice(target.deep_search if label.startswith("search") else target.deep)
                    began = time.perf_counter()
                    address = f"{target.url}/v1/enterprises?{query.format(cursor=cursor)}"
                    async with sessions[index].get(address) as response:
                        await response.read()
                        if response.status != 200:
                            raise RuntimeError(f"{label}: HTTP {response.status}")
                    if attempt >= 10:
                        latencies[index].append(time.perf_counter() - began)
            for index, target in enumerate(targets):
                results[index].append(Measured(label, target.rows, latencies[index]))
    finally:
        for session in sessions:
            await session.close()
    return results


def _print(measured: list[Measured]) -> None:
    for item in measured:
        print(
            f"  {item.label:<34} p50 {item.percentile(0.5) * 1000:7.2f} ms   p95 {item.percentile(0.95) * 1000:7.2f} ms"
            f"   mean {statistics.fmean(item.latencies) * 1000:7.2f} ms",
            flush=True,
        )


async def _run(
    urls: tuple[str, str], processes: tuple[PlatformProcess, PlatformProcess], token: str, large: int, requests: int
) -> bool:
    small_dsn, large_dsn = (asyncpg_dsn(url) for url in urls)
    seconds = await _grow(small_dsn, 1, SMALL)
    print(f"generated {SMALL:,} enterprises in {seconds:.1f} s", flush=True)
    seconds = await _grow(large_dsn, 1, large)
    print(f"generated {large:,} enterprises in {seconds:.1f} s (indexes rebuilt, analysed)", flush=True)
    for process in processes:
        process.start()
    targets = [
        await _target(processes[0].url, small_dsn, SMALL),
        await _target(processes[1].url, large_dsn, large),
    ]
    small, big = await _measure(targets, token, requests)
    print(f"\n{SMALL:,} enterprises (baseline):")
    _print(small)
    print(f"\n{large:,} enterprises (measured in alternation with the baseline):")
    _print(big)
    print(f"\np95 growth {SMALL:,} -> {large:,} (target <= {TARGET_GROWTH}x):")
    ok = True
    for before, after in zip(small, big, strict=True):
        ratio = after.percentile(0.95) / before.percentile(0.95)
        verdict = "ok" if ratio <= TARGET_GROWTH else "OVER TARGET"
        ok = ok and ratio <= TARGET_GROWTH
        print(f"  {before.label:<34} {ratio:5.2f}x  {verdict}")
    return ok


async def _admin(sql: str) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(server_url("postgres")))
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def main(argv: list[str]) -> None:
    requests = option(argv, "requests", 200)
    large = option(argv, "large", 1_000_000)
    run_id = uuid.uuid4().hex[:10]
    databases = (f"bench_registry_{run_id}_small", f"bench_registry_{run_id}_large")
    secret = secrets.token_urlsafe(48)
    token = mint_internal_token(
        Identity(subject="bench", roles=frozenset({Role.platform_admin})), secret, ttl_seconds=3600
    )
    urls = (server_url(databases[0]), server_url(databases[1]))
    processes = tuple(
        PlatformProcess(
            "registry",
            "registry.app:create_app",
            {
                **os.environ,
                "DATABASE_URL": url,
                "PLATFORM_INTERNAL_SECRET": secret,
                "PLATFORM_ENV": "development",
                "REGISTRY_LOG_LEVEL": "WARNING",
            },
        )
        for url in urls
    )
    try:
        for database, url in zip(databases, urls, strict=True):
            asyncio.run(_admin(f'CREATE DATABASE "{database}"'))
            command.upgrade(config("registry", url), "head")
        ok = asyncio.run(_run(urls, (processes[0], processes[1]), token, large, requests))
        print("\nresult:", "every p95 within target" if ok else "some p95 over target (see above)")
    finally:
        for process in processes:
            process.stop()
        for database in databases:
            asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
