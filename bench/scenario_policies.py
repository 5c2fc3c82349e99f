"""Policy matching: 100 policies published against 10,000 enterprises, each against a hand-written
SQL query of the same rule as the baseline.

In a scratch database this scenario creates (and drops): three communities, 300 buildings of
every kind, 10,000 active enterprises (sections, codes, founding dates, one or two sites, figures
for two dates) generated in SQL. A registry process serves it. Each of 100 policies (rules drawn
from every field, one to four rules each) is published with `POST /v1/policies`, which matches,
explains and offers in one statement; the baseline is a hand-written `SELECT` of the matching ids
for the same rule, sent straight to PostgreSQL on a connection of its own. The two alternate, policy
by policy, so both see the same machine at the same moment, and their answers are compared: the
count of enterprises each finds must agree (a check of the matcher against SQL written apart from it).

Then, as issue 18's acceptance asks of the same bench, it runs the exports measurement of
`bench/scenario_exports.py` (100,000 requests exported as CSV and XLSX: rows/s and the service's
peak memory against its baselines; `--rows` sizes it). `make bench ARGS=exports` runs that alone.

    python -m bench policies [--enterprises=10000] [--policies=100] [--rows=100000]
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import secrets
import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any

import aiohttp
import asyncpg
from alembic import command
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect

from bench import scenario_exports
from bench.harness import PlatformProcess, option
from registry.policies.repository import matching_query
from shared.auth import IDENTITY_HEADER, Identity, Role, mint_internal_token
from shared.dates import business_today
from tests.support.harness import source_path
from tools.devdb import asyncpg_dsn, server_url
from tools.migrate import config

KINDS = (
    "office_tower",
    "commercial_complex",
    "serviced_apartments",
    "industrial_park",
    "residential_compound",
    "other",
)
SECTIONS = ("I", "I", "I", "L", "M", "M", "F", "R", "J", "K", "C", "E")
CODES = ("6513", "6511", "6420", "7320", "7240", "5191", "8710", "6610", "3911", "4813")

GENERATE = f"""
WITH c AS (
    INSERT INTO registry.community (id, code, name_zh, name_en, type, street, version, created_at, updated_at)
    SELECT gen_random_uuid(), 'BENCH-' || n, '基准社区' || n, 'Bench ' || n, 'business_building', '长河街道',
           1, now(), now()
    FROM generate_series(1, 3) AS n RETURNING id
), numbered_c AS (SELECT id, row_number() OVER () - 1 AS n FROM c),
b AS (
    INSERT INTO registry.building (id, name, kind, address, version, created_at, updated_at)
    SELECT gen_random_uuid(), '基准大厦' || g, (ARRAY{list(KINDS)})[1 + g % {len(KINDS)}], '江南大道', 1, now(), now()
    FROM generate_series(1, 300) AS g RETURNING id
), numbered_b AS (SELECT id, row_number() OVER () - 1 AS n FROM b),
j AS (
    INSERT INTO registry.building_jurisdiction (id, building_id, community_id, during, created_at)
    SELECT gen_random_uuid(), numbered_b.id, numbered_c.id, daterange('2020-01-01', NULL, '[)'), now()
    FROM numbered_b JOIN numbered_c ON numbered_c.n = numbered_b.n % 3 RETURNING building_id
)
SELECT count(*) FROM j
"""

ENTERPRISES = f"""
INSERT INTO registry.enterprise
    (id, uscc, name, legal_representative, industry_section, industry_code, status, version, created_at, updated_at)
SELECT gen_random_uuid(), '9133' || lpad(g::text, 14, '0'), '杭州基准' || g || '有限公司', '张三',
       (ARRAY{list(SECTIONS)})[1 + (hashint8(g) & 2147483647) % {len(SECTIONS)}],
       (ARRAY{list(CODES)})[1 + (hashint8(g * 7) & 2147483647) % {len(CODES)}], 'active', 1, now(), now()
FROM generate_series(1, $1::bigint) AS g;
"""

FACTS = """
WITH e AS (SELECT id, row_number() OVER (ORDER BY id) AS g FROM registry.enterprise),
     b AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM registry.building)
INSERT INTO registry.enterprise_status_period (id, enterprise_id, status, during, created_at)
SELECT gen_random_uuid(), e.id, 'active',
       daterange(date '2000-01-01' + ((hashint8(e.g * 11) & 2147483647) % 9000)::int, NULL, '[)'), now()
FROM e;
WITH e AS (SELECT id, row_number() OVER (ORDER BY id) AS g FROM registry.enterprise),
     b AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM registry.building)
INSERT INTO registry.occupancy (id, enterprise_id, building_id, floor, unit, during, created_at, updated_at)
SELECT gen_random_uuid(), e.id, b.id, '8', '801', daterange('2021-01-01', NULL, '[)'), now(), now()
FROM e JOIN b ON b.n = (hashint8(e.g * 13) & 2147483647) % 300
UNION ALL
SELECT gen_random_uuid(), e.id, b.id, '9', '901', daterange('2022-01-01', NULL, '[)'), now(), now()
FROM e JOIN b ON b.n = (hashint8(e.g * 17) & 2147483647) % 300 WHERE e.g % 20 = 0;
WITH e AS (SELECT id, row_number() OVER (ORDER BY id) AS g FROM registry.enterprise)
INSERT INTO registry.headcount
    (id, enterprise_id, as_of, employees, graduates, high_level_talents, created_at, updated_at)
SELECT gen_random_uuid(), e.id, d.as_of, 1 + (hashint8(e.g * d.k) & 2147483647) % 600,
       (hashint8(e.g * d.k) & 2147483647) % 300, (hashint8(e.g * d.k + 1) & 2147483647) % 15, now(), now()
FROM e, (VALUES (date '2024-06-30', 19), (date '2025-06-30', 23)) AS d(as_of, k)
WHERE e.g % 10 <> 0;
ANALYZE;
"""


def _rules(rng: random.Random, communities: list[str]) -> list[dict[str, Any]]:
    """One to four rules over different fields."""
    makers: dict[str, Callable[[], dict[str, Any]]] = {
        "industry_section": lambda: {"any_of": rng.sample(sorted(set(SECTIONS)), rng.randint(1, 3))},
        "industry_code": lambda: {"any_of": [rng.choice(CODES)[: rng.choice((2, 3, 4))]]},
        "building_kind": lambda: {"any_of": rng.sample(KINDS, rng.randint(1, 3))},
        "community": lambda: {"any_of": rng.sample(communities, rng.randint(1, 2))},
        "headcount": lambda: {"min": rng.choice((5, 10, 50)), "max": rng.choice((100, 300, 1000))},
        "graduates": lambda: {"min": rng.choice((10, 50, 100))},
        "high_level_talents": lambda: {"min": rng.choice((1, 3, 8))},
        "years_since_founding": lambda: rng.choice(({"max": 5}, {"min": 3, "max": 10}, {"min": 10})),
    }
    return [{"field": field, **makers[field]()} for field in rng.sample(sorted(makers), rng.randint(1, 4))]


def baseline_sql(community_id: str | None, rules: list[dict[str, Any]]) -> tuple[str, list[Any]]:
    """The same rule written by hand: one SELECT of the matching ids."""
    args: list[Any] = [business_today()]
    where = [
        "EXISTS (SELECT 1 FROM registry.enterprise_status_period p WHERE p.enterprise_id = e.id"
        " AND p.status = 'active' AND p.during @> $1::date)",
        "EXISTS (SELECT 1 FROM registry.occupancy o JOIN registry.building_jurisdiction j"
        " ON j.building_id = o.building_id"
        " WHERE o.enterprise_id = e.id AND o.during @> $1::date AND j.during @> $1::date)",
    ]

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    def site(condition: str) -> str:
        return (
            "EXISTS (SELECT 1 FROM registry.occupancy o JOIN registry.building_jurisdiction j"
            " ON j.building_id = o.building_id JOIN registry.building b ON b.id = o.building_id"
            f" WHERE o.enterprise_id = e.id AND o.during @> $1::date AND j.during @> $1::date AND {condition})"
        )

    figure = (
        "(SELECT h.{0} FROM registry.headcount h WHERE h.enterprise_id = e.id AND h.as_of <= $1::date"
        " ORDER BY h.as_of DESC LIMIT 1)"
    )
    if community_id is not None:
        where.append(site(f"j.community_id = {arg(uuid.UUID(community_id))}"))
    for rule in rules:
        field = rule["field"]
        if field == "community":
            where.append(site(f"j.community_id = ANY({arg([uuid.UUID(c) for c in rule['any_of']])}::uuid[])"))
        elif field == "industry_section":
            where.append(f"e.industry_section = ANY({arg(rule['any_of'])}::text[])")
        elif field == "industry_code":
            where.append(f"e.industry_code LIKE {arg(rule['any_of'][0] + '%')}")
        elif field == "building_kind":
            where.append(site(f"b.kind = ANY({arg(rule['any_of'])}::text[])"))
        else:
            value = (
                "date_part('year', age($1::date, (SELECT min(lower(p.during)) FROM registry.enterprise_status_period p"
                " WHERE p.enterprise_id = e.id)))"
                if field == "years_since_founding"
                else figure.format({"headcount": "employees"}.get(field, field))
            )
            if "min" in rule:
                where.append(f"{value} >= {arg(rule['min'])}")
            if "max" in rule:
                where.append(f"{value} <= {arg(rule['max'])}")
    return "SELECT e.id FROM registry.enterprise e WHERE " + " AND ".join(where), args


async def _setup(dsn: str, enterprises: int) -> list[str]:
    connection = await asyncpg.connect(dsn)
    try:
        began = time.perf_counter()
        await connection.execute(GENERATE)
        await connection.execute(ENTERPRISES, enterprises)
        await connection.execute(FACTS)
        print(f"generated {enterprises:,} enterprises with sites and figures in {time.perf_counter() - began:.1f} s")
        return [str(row["id"]) for row in await connection.fetch("SELECT id FROM registry.community ORDER BY code")]
    finally:
        await connection.close()


def _compiled(query: Any) -> tuple[str, list[Any]]:
    """The matcher's statement as PostgreSQL receives it, with its parameters in order."""
    compiled = query.compile(
        dialect=asyncpg_dialect(),  # type: ignore[no-untyped-call]
        compile_kwargs={"render_postcompile": True},
    )
    return str(compiled), [compiled.params[name] for name in compiled.positiontup or ()]


async def _executed(connection: asyncpg.Connection, sql: str, args: list[Any]) -> float:
    """The server's execution time of one statement, in seconds (EXPLAIN ANALYZE)."""
    plan = json.loads(await connection.fetchval("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, *args))
    return float(plan[0]["Execution Time"]) / 1000


def _summary(label: str, seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return (
        f"  {label:<44} p50 {statistics.median(ordered) * 1000:7.2f} ms   p95 {p95 * 1000:7.2f} ms"
        f"   mean {statistics.fmean(ordered) * 1000:7.2f} ms   total {sum(ordered):6.2f} s"
    )


async def _run(url: str, database_url: str, dsn: str, token: str, enterprises: int, policies: int) -> bool:
    communities = await _setup(dsn, enterprises)
    rng = random.Random(18)
    bodies: list[dict[str, Any]] = []
    for number in range(policies):
        scope = communities[number % 3] if number % 2 else None  # half district-wide, half per community
        bodies.append(
            {
                "community_id": scope,
                "title": f"基准政策{number}",
                "issuer": "滨江区",
                "summary": "基准",
                "valid_from": "2026-01-01",
                "rules": _rules(rng, communities),
            }  # fmt: skip
        )
    api: list[float] = []
    hand: list[float] = []
    alone: list[float] = []  # server-side execution time of the matcher's SELECT (EXPLAIN ANALYZE)
    hand_sql: list[float] = []  # and of the hand-written one
    disagreements = 0
    matched_total = 0
    connection = await asyncpg.connect(dsn)
    began_all = time.perf_counter()
    try:
        async with aiohttp.ClientSession(headers={IDENTITY_HEADER: token}) as session:
            for warm in range(3):  # warm both paths (plans, pools) on throwaway policies
                async with session.post(f"{url}/v1/policies", json=bodies[warm] | {"title": "warm"}) as response:
                    await response.read()
                sql, args = baseline_sql(bodies[warm]["community_id"], bodies[warm]["rules"])
                await connection.fetch(sql, *args)
            began_all = time.perf_counter()
            for index, body in enumerate(bodies):
                sql, args = baseline_sql(body["community_id"], body["rules"])
                steps = ("hand", "alone", "api") if index % 2 else ("api", "alone", "hand")
                matched = found = -1
                for step in steps:
                    began = time.perf_counter()
                    if step == "api":
                        async with session.post(f"{url}/v1/policies", json=body) as response:
                            answer = await response.json()
                            if response.status != 201:
                                raise RuntimeError(f"policy {index}: HTTP {response.status} {answer}")
                        api.append(time.perf_counter() - began)
                        matched = answer["matched"]
                    elif step == "alone":
                        within = uuid.UUID(body["community_id"]) if body["community_id"] else None
                        query = matching_query(uuid.uuid4(), within, body["rules"], business_today())
                        alone.append(await _executed(connection, *_compiled(query)))
                        hand_sql.append(await _executed(connection, sql, args))
                    else:
                        found = len(await connection.fetch(sql, *args))
                        hand.append(time.perf_counter() - began)
                matched_total += matched
                if matched != found:
                    disagreements += 1
                    print(f"  policy {index}: the API matched {matched}, the hand-written SQL {found}: {body['rules']}")
    finally:
        await connection.close()
    wall = time.perf_counter() - began_all
    print(f"\n{policies} policies against {enterprises:,} enterprises ({matched_total:,} matches written), "
          f"{wall:.2f} s wall clock for both paths in alternation:")  # fmt: skip
    print(_summary("publish + match + offer (POST /v1/policies)", api))
    print(_summary("baseline: hand-written SELECT of the ids", hand))
    print("  PostgreSQL execution time alone (EXPLAIN ANALYZE, no writes, no HTTP):")
    print(_summary("  the matcher's SELECT (facts, rules, reasons)", alone))
    print(_summary("  the hand-written SELECT of the ids", hand_sql))
    print(f"  ratio, mean per policy (API / baseline): {statistics.fmean(api) / statistics.fmean(hand):.2f}x")
    print(f"  ratio, p50 per policy (API / baseline):  {statistics.median(api) / statistics.median(hand):.2f}x")
    select_ratio = statistics.fmean(alone) / statistics.fmean(hand_sql)
    print(f"  ratio, mean execution time (matcher's SELECT / hand-written): {select_ratio:.2f}x")
    print(f"  matched counts agree on {policies - disagreements} of {policies} policies")
    return disagreements == 0


async def _admin(sql: str) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(server_url("postgres")))
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def main(argv: list[str]) -> None:
    enterprises = option(argv, "enterprises", 10_000)
    policies = option(argv, "policies", 100)
    database = f"bench_policies_{uuid.uuid4().hex[:10]}"
    secret = secrets.token_urlsafe(48)
    token = mint_internal_token(Identity(subject="bench", roles=frozenset({Role.platform_admin})), secret, 3600)
    url = server_url(database)
    process = PlatformProcess(
        "registry",
        "registry.app:create_app",
        {
            **os.environ,
            "DATABASE_URL": url,
            "PLATFORM_INTERNAL_SECRET": secret,
            "PLATFORM_ENV": "development",
            "REGISTRY_LOG_LEVEL": "WARNING",
            "PYTHONPATH": source_path(),  # this checkout's registry, not another installed copy
        },
    )
    try:
        asyncio.run(_admin(f'CREATE DATABASE "{database}"'))
        command.upgrade(config("registry", url), "head")
        process.start()
        ok = asyncio.run(_run(process.url, url, asyncpg_dsn(url), token, enterprises, policies))
        print("\nresult:", "the matcher agrees with the hand-written SQL" if ok else "DISAGREEMENT (see above)")
    finally:
        process.stop()
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    print("\n--- exports (the same measurement as `make bench ARGS=exports`) ---", flush=True)
    scenario_exports.main(argv)
