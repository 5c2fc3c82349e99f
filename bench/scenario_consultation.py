"""1,700 enterprises answering consultations through the gateway, against the requests bench's raw baseline.

In one run on loopback against a scratch database: the requests bench's baseline app (FastAPI, one raw
asyncpg `INSERT` per POST: `bench.scenario_requests:create_baseline_app`), the elections service directly
(internal token) and through the gateway (one ES256 user token per enterprise representative). Every answer
is a first answer, so each is a 201: the work is a fixed set, each of 1,700 enterprises answering each of
`--rounds` open consultations once (a warm-up consultation first), driven at 64 connections. The baseline
gets as many requests. Target: gateway >= 0.4x the baseline's answers per second.

    python -m bench consultation [--enterprises=1700] [--rounds=4] [--connections=64]
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import json
import secrets
import tempfile
import time
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path

import aiohttp
import asyncpg

from bench.harness import FACTORIES, PlatformProcess, option, platform_env, run_sql
from bench.scenario_requests import _prepare_database
from gateway.devkeys import ensure_dev_keys
from gateway.tokens import mint_user_token
from shared.auth import Identity, Role, mint_internal_token
from tools.devdb import server_url
from tools.migrate import upgrade_all

TARGET_RATIO = 0.4
QUESTIONS = [
    {
        "code": "site",
        "label_zh": "食堂选址",
        "label_en": "Canteen site",
        "datatype": "single_choice",
        "required": True,
        "order": 0,
        "choices": [
            {"key": "tower_a", "label_zh": "A 座", "label_en": "Tower A"},
            {"key": "complex", "label_zh": "综合体", "label_en": "The complex"},
        ],
    },
    {
        "code": "diners",
        "label_zh": "就餐人数",
        "label_en": "Diners",
        "datatype": "number",
        "required": False,
        "order": 1,
        "choices": [],
    },
]


async def _consultations(dsn: str, community_id: uuid.UUID, count: int) -> list[uuid.UUID]:
    """Open enterprise consultations of one community, straight into the scratch database."""
    ids = [uuid.uuid4() for _ in range(count)]
    connection = await asyncpg.connect(dsn)
    try:
        await connection.executemany(
            "INSERT INTO elections.consultation (id, community_id, title, audience, questions, status, closes_at,"
            " opened_at) VALUES ($1, $2, $3, 'enterprises', $4, 'open', now() + interval '1 day', now())",
            [(cid, community_id, f"征询 {n}", json.dumps(QUESTIONS)) for n, cid in enumerate(ids)],
        )
    finally:
        await connection.close()
    return ids


async def fixed_load(
    requests: Sequence[tuple[str, bytes, Mapping[str, str]]], concurrency: int
) -> tuple[float, dict[int, int]]:
    """Send each request once from `concurrency` workers; the elapsed seconds and the statuses."""
    statuses: dict[int, int] = {}
    turn = itertools.count()
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            while (index := next(turn)) < len(requests):
                url, body, headers = requests[index]
                async with session.post(url, data=body, headers={**headers, "Content-Type": "application/json"}) as r:
                    await r.read()
                    statuses[r.status] = statuses.get(r.status, 0) + 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - started, statuses


def _answers(
    base_url: str, consultations: Sequence[uuid.UUID], headers: Sequence[Mapping[str, str]]
) -> list[tuple[str, bytes, Mapping[str, str]]]:
    requests = []
    for cid in consultations:
        for index, header in enumerate(headers):
            body = {"answers": {"site": "tower_a" if index % 3 else "complex", "diners": index % 40}}
            requests.append((f"{base_url}/v1/consultations/{cid}/answers", json.dumps(body).encode(), header))
    return requests


async def _count(dsn: str) -> int:
    connection = await asyncpg.connect(dsn)
    try:
        return int(await connection.fetchval("SELECT count(*) FROM elections.consultation_answer"))
    finally:
        await connection.close()


def main(argv: list[str]) -> None:
    enterprises = int(option(argv, "enterprises", 1700))
    rounds = int(option(argv, "rounds", 4))
    connections = int(option(argv, "connections", 64))
    database = f"bench_consultation_{uuid.uuid4().hex[:10]}"
    admin_dsn = server_url("postgres").replace("postgresql+asyncpg://", "postgresql://")
    asyncio.run(run_sql(admin_dsn, f'CREATE DATABASE "{database}"'))
    url = server_url(database)
    processes: list[PlatformProcess] = []
    try:
        upgrade_all(url)
        community_id = uuid.uuid4()
        type_id = asyncio.run(_prepare_database(url, community_id))
        # one warm-up and `rounds` measured consultations per path (direct, gateway)
        consultations = asyncio.run(_consultations(url, community_id, 2 * (rounds + 1)))
        keys = ensure_dev_keys(Path(tempfile.mkdtemp(prefix="bench-keys-")))
        secret = secrets.token_urlsafe(48)
        base_env = platform_env(url, secret=secret, public_key=keys.public_key, extra={"BENCH_ASYNCPG_DSN": url})
        baseline = PlatformProcess("baseline", "bench.scenario_requests:create_baseline_app", base_env)
        service_env = {**base_env, "ELECTIONS_DB_POOL_SIZE": "30", "ELECTIONS_DB_MAX_OVERFLOW": "40"}
        service = PlatformProcess("elections", FACTORIES["elections"], service_env)
        processes += [baseline, service]
        baseline.start()
        service.start()
        gateway_env = platform_env(
            url,
            secret=secret,
            public_key=keys.public_key,
            upstreams={"elections": service.url},
            extra={"GATEWAY_RATE_LIMIT": "1000000/second", "GATEWAY_PARTNER_RATE_LIMIT": "1000000/second"},
        )
        gateway = PlatformProcess("gateway", FACTORIES["gateway"], gateway_env)
        processes.append(gateway)
        gateway.start()

        reps = [
            Identity(
                subject=f"bench-rep-{n:05d}",
                roles=frozenset({Role.enterprise_rep}),
                enterprise_id=uuid.uuid4(),
                community_ids=frozenset({community_id}),
            )
            for n in range(enterprises)
        ]
        user = [{"Authorization": f"Bearer {mint_user_token(rep, keys.private_key)}"} for rep in reps]
        internal = [{"X-Platform-Identity": mint_internal_token(rep, secret, ttl_seconds=3600)} for rep in reps]
        direct_ids, gateway_ids = consultations[: rounds + 1], consultations[rounds + 1 :]
        total = enterprises * rounds
        request_body = json.dumps({"type_id": str(type_id), "description": "基线", "answers": {"amount": 1}}).encode()
        baseline_requests: list[tuple[str, bytes, Mapping[str, str]]] = [
            (f"{baseline.url}/v1/service-requests", request_body, {})
        ] * total
        print(
            f"POST /v1/consultations/{{id}}/answers: {enterprises:,} enterprises x {rounds} consultations"
            f" = {total:,} first answers per path, {connections} connections (after one warm-up consultation)"
        )
        asyncio.run(fixed_load(baseline_requests[:enterprises], connections))
        base_seconds, base_statuses = asyncio.run(fixed_load(baseline_requests, connections))
        print(f"  baseline (requests bench: FastAPI + 1 asyncpg INSERT): {total / base_seconds:8.0f}/s {base_statuses}")
        results = {}
        for name, target, ids, headers in (
            ("elections direct (internal token)", service.url, direct_ids, internal),
            ("through the gateway (ES256 JWT)", gateway.url, gateway_ids, user),
        ):
            asyncio.run(fixed_load(_answers(target, ids[:1], headers), connections))
            seconds, statuses = asyncio.run(fixed_load(_answers(target, ids[1:], headers), connections))
            results[name] = total / seconds
            ratio = results[name] * base_seconds / total
            print(f"  {name}: {results[name]:8.0f}/s ({ratio:.2f}x) {statuses}", flush=True)
        ratio = results["through the gateway (ES256 JWT)"] * base_seconds / total
        verdict = "met" if ratio >= TARGET_RATIO else "NOT met"
        print(f"target (>= {TARGET_RATIO}x the baseline through the gateway): {verdict} ({ratio:.2f}x)")
        counted = asyncio.run(_count(url))
        print(
            f"answers stored: {counted:,} (expected {2 * (rounds + 1) * enterprises:,});"
            f" at {dt.datetime.now(dt.UTC):%H:%M} UTC"
        )
    finally:
        for process in reversed(processes):
            process.stop()
        asyncio.run(run_sql(admin_dsn, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
