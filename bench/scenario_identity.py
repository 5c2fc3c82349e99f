"""Refreshing tokens through the gateway versus the requests bench's baseline (FastAPI + one asyncpg INSERT).

One run, loopback, a scratch database: the baseline app, the identity service and the gateway in
front of it. Sustained: 64 connections, each an account of its own refreshing serially (a refresh
token is used once, so each request carries the token the previous answer gave). Burst: the 9 am
wave, 20,000 distinct accounts each refreshing once, as fast as 64 connections go.
Target: sustained >= 0.4x the baseline's throughput, p99 < 200 ms; the burst's time and p99 reported.

    python -m bench identity [--seconds=10] [--connections=64] [--burst=20000]
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import json
import secrets
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp
import asyncpg

from bench.harness import (
    FACTORIES,
    LoadResult,
    PlatformProcess,
    cpu_seconds,
    option,
    platform_env,
    post_load,
    postgres_cpu_seconds,
    report_line,
    run_sql,
)
from bench.scenario_requests import BASELINE_TABLE
from gateway.devkeys import ensure_dev_keys
from tools.devdb import server_url
from tools.migrate import upgrade_all

TARGET_RATIO = 0.4
TARGET_P99 = 0.200


def _token() -> tuple[str, bytes]:
    token = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode("ascii")
    return token, hashlib.sha256(token.encode("ascii")).digest()


async def _prepare(dsn: str, accounts: int) -> list[str]:
    """`accounts` accounts with one employee grant and one signed-in session each; their refresh tokens."""
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(
            f"CREATE TABLE {BASELINE_TABLE} (id uuid PRIMARY KEY, type_id uuid NOT NULL, "
            "description text NOT NULL, answers jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now())"
        )
        enterprise = uuid.uuid4()
        rows = [(uuid.uuid4(), uuid.uuid4(), *_token()) for _ in range(accounts)]
        await connection.copy_records_to_table(
            "account", schema_name="identity", columns=["id"], records=[(account,) for account, *_ in rows]
        )
        await connection.copy_records_to_table(
            "role_grant",
            schema_name="identity",
            columns=["id", "account_id", "role", "enterprise_id", "source", "granted_by"],
            records=[(uuid.uuid4(), account, "employee", enterprise, "api", "bench") for account, *_ in rows],
        )
        await connection.copy_records_to_table(
            "session",
            schema_name="identity",
            columns=["id", "account_id", "method"],
            records=[(session, account, "sms") for account, session, *_ in rows],
        )
        await connection.copy_records_to_table(
            "refresh_token",
            schema_name="identity",
            columns=["id", "session_id", "token_sha256", "expires_at"],
            records=[(uuid.uuid4(), session, digest, _in_days(30)) for _, session, _, digest in rows],
        )
        await connection.execute("ANALYZE")
        return [token for *_, token, _ in rows]
    finally:
        await connection.close()


def _in_days(days: int) -> dt.datetime:
    return dt.datetime.now(dt.UTC) + dt.timedelta(days=days)


async def refresh_chains(url: str, tokens: list[str], *, duration: float, warmup: float = 2.0) -> LoadResult:
    """One worker per token: refresh, keep the new token, refresh again, until `duration` is over."""
    connector = aiohttp.TCPConnector(limit=len(tokens))
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker(index: int, until: float, record: bool) -> None:
            nonlocal errors
            while time.perf_counter() < until:
                started = time.perf_counter()
                try:
                    async with session.post(url, json={"refresh_token": tokens[index]}) as response:
                        body = await response.read()
                        status = response.status
                except aiohttp.ClientError:
                    status, body = 0, b""
                if status == 200:
                    tokens[index] = json.loads(body)["refresh_token"]
                if record:
                    latencies.append(time.perf_counter() - started)
                    statuses[status] = statuses.get(status, 0) + 1
                    errors += status != 200
                if status != 200:
                    return  # a chain that broke cannot go on

        warm = time.perf_counter() + warmup
        await asyncio.gather(*(worker(index, warm, False) for index in range(len(tokens))))
        started = time.perf_counter()
        await asyncio.gather(*(worker(index, started + duration, True) for index in range(len(tokens))))
        elapsed = time.perf_counter() - started
    return LoadResult(len(latencies), errors, elapsed, latencies, statuses)


async def burst(url: str, tokens: list[str], *, connections: int) -> LoadResult:
    """Every token refreshed once, `connections` at a time, from the first request to the last answer."""
    connector = aiohttp.TCPConnector(limit=connections)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    queue = iter(tokens)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            for token in queue:
                started = time.perf_counter()
                try:
                    async with session.post(url, json={"refresh_token": token}) as response:
                        await response.read()
                        status = response.status
                except aiohttp.ClientError:
                    status = 0
                latencies.append(time.perf_counter() - started)
                statuses[status] = statuses.get(status, 0) + 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - started
    errors = sum(count for status, count in statuses.items() if status != 200)
    return LoadResult(len(latencies), errors, elapsed, latencies, statuses)


def main(argv: list[str]) -> None:
    seconds = option(argv, "seconds", 10.0)
    connections = int(option(argv, "connections", 64))
    wave = int(option(argv, "burst", 20_000))
    database = f"bench_identity_{uuid.uuid4().hex[:10]}"
    admin_dsn = server_url("postgres").replace("postgresql+asyncpg://", "postgresql://")
    asyncio.run(run_sql(admin_dsn, f'CREATE DATABASE "{database}"'))
    url = server_url(database)
    processes: list[PlatformProcess] = []
    try:
        upgrade_all(url)
        tokens = asyncio.run(_prepare(url, connections + wave))
        chains, wave_tokens = tokens[:connections], tokens[connections:]
        keys = ensure_dev_keys(Path(tempfile.mkdtemp(prefix="bench-keys-")))
        secret = secrets.token_urlsafe(48)
        base_env = platform_env(url, secret=secret, public_key=keys.public_key, extra={"BENCH_ASYNCPG_DSN": url})
        baseline = PlatformProcess("baseline", "bench.scenario_requests:create_baseline_app", base_env)
        identity = PlatformProcess("identity", FACTORIES["identity"], base_env)
        processes += [baseline, identity]
        baseline.start()
        identity.start()
        gateway_env = platform_env(
            url,
            secret=secret,
            public_key=keys.public_key,
            upstreams={"identity": identity.url},
            extra={
                "GATEWAY_RATE_LIMIT": "1000000/second",
                "GATEWAY_JWKS_URL": f"{identity.url}/internal/jwks.json",
                "GATEWAY_DENY_LIST_URL": f"{identity.url}/internal/denied-subjects",
            },
        )
        gateway = PlatformProcess("gateway", FACTORIES["gateway"], gateway_env)
        processes.append(gateway)
        gateway.start()

        body = json.dumps({"type_id": str(uuid.uuid4()), "description": "基线", "answers": {}}).encode()
        print(f"baseline: POST one INSERT, {connections} connections, {seconds:.0f} s (after a 2 s warm-up)")
        base = asyncio.run(
            post_load(f"{baseline.url}/v1/service-requests", [body], [{}], concurrency=connections, duration=seconds)
        )
        watched = {"identity": identity.pid, "gateway": gateway.pid}
        before = {who: cpu_seconds(pid) for who, pid in watched.items()} | {"PostgreSQL": postgres_cpu_seconds()}
        sustained = asyncio.run(refresh_chains(f"{gateway.url}/v1/auth/token", chains, duration=seconds))
        after = {who: cpu_seconds(pid) for who, pid in watched.items()} | {"PostgreSQL": postgres_cpu_seconds()}
        print(report_line("baseline (FastAPI + 1 asyncpg INSERT)", base, None))
        print(report_line("refresh through the gateway", sustained, base), flush=True)
        spent = ", ".join(
            f"{who} {1000 * (after[who] - before[who]) / max(1, sustained.requests):.2f}" for who in after
        )
        print(f"CPU per refresh (ms; includes the warm-up): {spent}")
        ratio = sustained.throughput / base.throughput if base.throughput else 0.0
        verdict = "met" if ratio >= TARGET_RATIO and sustained.percentile(0.99) < TARGET_P99 else "NOT met"
        print(f"target (>= {TARGET_RATIO}x, p99 < {TARGET_P99 * 1000:.0f} ms): {verdict} ({ratio:.2f}x)")

        wave_result = asyncio.run(burst(f"{gateway.url}/v1/auth/token", wave_tokens, connections=connections))
        print(
            f"9 am burst: {len(wave_tokens)} distinct accounts refreshed once in {wave_result.seconds:.1f} s "
            f"({wave_result.throughput:.0f}/s), p50 {wave_result.percentile(0.5) * 1000:.0f} ms, "
            f"p99 {wave_result.percentile(0.99) * 1000:.0f} ms, statuses {wave_result.statuses}"
        )
    finally:
        for process in reversed(processes):
            process.stop()
        asyncio.run(run_sql(admin_dsn, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
