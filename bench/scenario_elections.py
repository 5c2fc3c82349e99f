"""Casting ballots on a 10,000-enterprise roll through the gateway, against a raw asyncpg insert.

In one run on loopback against a scratch database: the baseline app (FastAPI, one `INSERT` of
the ballot per POST), the elections service directly (internal token) and through the gateway
(one ES256 user token per enterprise representative), each driven at 64 connections. Then the
round is closed and tallied: the service counts the 10,000 counted ballots and recounts them
with votelib. Targets: gateway >= 0.3x the baseline's throughput; tally with cross-check < 2 s.

The election is prepared in SQL (voting open, 8 candidates, 10,000 roll entries): the bench
measures casting and counting, not the registry.

    python -m bench elections [--seconds=15] [--connections=64] [--roll=10000]
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import secrets
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from fastapi import FastAPI, Request, Response

from bench.harness import (
    FACTORIES,
    LoadResult,
    PlatformProcess,
    cpu_seconds,
    option,
    platform_env,
    post_load,
    report_line,
    run_sql,
)
from elections.counting.rules import Rules
from elections.counting.tally import evaluate
from elections.election.ballots import voter_link
from gateway.devkeys import ensure_dev_keys
from gateway.tokens import mint_user_token
from shared.app import NO_OPENTELEMETRY
from shared.auth import Identity, Role, mint_internal_token
from shared.jsonutil import dumps
from tools.devdb import server_url
from tools.migrate import upgrade_all

BASELINE_TABLE = "bench_baseline_ballot"
TARGET_RATIO = 0.3
TARGET_TALLY_SECONDS = 2.0


def create_baseline_app() -> FastAPI:
    """The baseline: parse the ballot and insert one row with a raw asyncpg pool."""
    dsn = os.environ["BENCH_ASYNCPG_DSN"]

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.pool = await asyncpg.create_pool(dsn, min_size=10, max_size=20)
        yield
        await app.state.pool.close()

    app = FastAPI(lifespan=lifespan, telemetry=NO_OPENTELEMETRY)  # configured as the services are

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/v1/elections/{election_id}/ballots", status_code=201)
    async def cast(election_id: uuid.UUID, request: Request) -> Response:
        body = await request.json()
        ballot_id = uuid.uuid4()
        async with app.state.pool.acquire() as connection:
            await connection.execute(
                f"INSERT INTO {BASELINE_TABLE} (id, election_id, choices) VALUES ($1, $2, $3)",
                ballot_id,
                election_id,
                json.dumps(sorted(body["choices"])),
            )
        return Response(json.dumps({"id": str(ballot_id)}), 201, media_type="application/json")

    return app


async def _prepare(dsn: str, roll_size: int) -> tuple[uuid.UUID, uuid.UUID, list[str], list[Identity], bytes]:
    """An election with voting open, 8 approved candidates and a roll of `roll_size` enterprises."""
    election_id, community_id = uuid.uuid4(), uuid.uuid4()
    candidates = [str(uuid.uuid4()) for _ in range(8)]
    reps = [
        Identity(
            subject=f"bench-rep-{n:05d}",
            roles=frozenset({Role.enterprise_rep}),
            enterprise_id=uuid.uuid4(),
            community_ids=frozenset({community_id}),
        )
        for n in range(roll_size)
    ]
    spec = {"kind": "main", "candidates": candidates, "places": 7, "threshold": "majority"}
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(
            f"CREATE TABLE {BASELINE_TABLE} (id uuid PRIMARY KEY, election_id uuid NOT NULL, "
            "choices jsonb NOT NULL, cast_at timestamptz NOT NULL DEFAULT now())"
        )
        await connection.execute(
            "INSERT INTO elections.election (id, community_id, title, status, rules, record_date, roll_size, "
            "roll_fingerprint, current_round, round_spec) VALUES ($1, $2, 'bench', 'voting_open', $3, current_date, "
            "$4, $5, 1, $6)",
            election_id,
            community_id,
            json.dumps(Rules().model_dump(mode="json") | {"objection_window_hours": 0}),
            roll_size,
            "0" * 64,
            json.dumps(spec),
        )
        await connection.executemany(
            "INSERT INTO elections.candidate (id, election_id, name, kind, status, ballot_number) "
            "VALUES ($1, $2, $3, 'single', 'approved', $4)",
            [(uuid.UUID(c), election_id, f"候选人{n}", n + 1) for n, c in enumerate(candidates)],
        )
        link_key = secrets.token_bytes(32)
        await connection.execute(
            "INSERT INTO elections.election_secret (election_id, link_key) VALUES ($1, $2)", election_id, link_key
        )
        await connection.copy_records_to_table(
            "roll_entry",
            schema_name="elections",
            columns=["election_id", "enterprise_id", "uscc", "name", "representative_subject", "entitled"],
            records=[
                (election_id, rep.enterprise_id, f"91330108BENCH{n:05d}", f"企业{n:05d}", rep.subject, True)
                for n, rep in enumerate(reps)
            ],
        )
    finally:
        await connection.close()
    return election_id, community_id, candidates, reps, link_key


async def _top_up(
    dsn: str, election_id: uuid.UUID, link_key: bytes, candidates: list[str], reps: list[Identity]
) -> int:
    """Give every enterprise that did not cast during the load a ballot (in SQL), so 10,000 are counted."""
    connection = await asyncpg.connect(dsn)
    try:
        cast = {
            bytes(row["voter_link"])
            for row in await connection.fetch(
                "SELECT voter_link FROM elections.current_ballot WHERE election_id = $1", election_id
            )
        }
        generator = random.Random(11)
        ballots, counted = [], []
        for rep in reps:
            assert rep.enterprise_id is not None
            link = voter_link(link_key, election_id, 1, rep.enterprise_id)
            if link in cast:
                continue
            ballot_id = uuid.uuid4()
            choices = sorted(generator.sample(candidates, generator.randint(0, 7)))
            ballots.append((ballot_id, election_id, 1, json.dumps(choices), secrets.token_hex(32)))
            counted.append((election_id, 1, link, ballot_id))
        await connection.copy_records_to_table(
            "ballot",
            schema_name="elections",
            columns=["id", "election_id", "round_no", "choices", "tracker"],
            records=ballots,
        )
        await connection.copy_records_to_table(
            "current_ballot",
            schema_name="elections",
            columns=["election_id", "round_no", "voter_link", "ballot_id"],
            records=counted,
        )
        return len(ballots)
    finally:
        await connection.close()


def _measure(
    url: str,
    bodies: list[bytes],
    headers: list[dict[str, str]],
    process: PlatformProcess,
    gateway: PlatformProcess | None,
    connections: int,
    seconds: float,
) -> tuple[LoadResult, tuple[float, float]]:
    """A 2 s warm-up, then the measured load with the CPU the service (and gateway) spent on it."""
    asyncio.run(post_load(url, bodies, headers, concurrency=connections, duration=2.0, warmup=0.0))
    before = (cpu_seconds(process.pid), cpu_seconds(gateway.pid) if gateway else 0.0)
    result = asyncio.run(post_load(url, bodies, headers, concurrency=connections, duration=seconds, warmup=0.0))
    after = (cpu_seconds(process.pid), cpu_seconds(gateway.pid) if gateway else 0.0)
    return result, (after[0] - before[0], after[1] - before[1])


def _bodies(candidates: list[str], count: int) -> list[bytes]:
    generator = random.Random(3797)
    return [dumps({"choices": generator.sample(candidates, generator.randint(0, 7))}) for _ in range(count)]


def _in_process_tally(candidates: list[str], ballots: int) -> float:
    """evaluate() with the votelib cross-check on `ballots` random ballots, in this process."""
    generator = random.Random(1)
    cast = [frozenset(generator.sample(candidates, generator.randint(0, 7))) for _ in range(ballots)]
    started = time.perf_counter()
    evaluate(Rules(), candidates, ballots, [cast])
    return time.perf_counter() - started


def main(argv: list[str]) -> None:
    seconds = option(argv, "seconds", 15.0)
    connections = int(option(argv, "connections", 64))
    roll_size = int(option(argv, "roll", 10_000))
    database = f"bench_elections_{uuid.uuid4().hex[:10]}"
    admin_dsn = server_url("postgres").replace("postgresql+asyncpg://", "postgresql://")
    asyncio.run(run_sql(admin_dsn, f'CREATE DATABASE "{database}"'))
    url = server_url(database)
    processes: list[PlatformProcess] = []
    try:
        upgrade_all(url)
        election_id, community_id, candidates, reps, link_key = asyncio.run(_prepare(url, roll_size))
        keys = ensure_dev_keys(Path(tempfile.mkdtemp(prefix="bench-keys-")))
        secret = secrets.token_urlsafe(48)
        base_env = platform_env(url, secret=secret, public_key=keys.public_key, extra={"BENCH_ASYNCPG_DSN": url})
        baseline = PlatformProcess("baseline", "bench.scenario_elections:create_baseline_app", base_env)
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

        bodies = _bodies(candidates, 101)
        user_headers = [{"Authorization": f"Bearer {mint_user_token(rep, keys.private_key)}"} for rep in reps]
        internal_headers = [{"X-Platform-Identity": mint_internal_token(rep, secret, ttl_seconds=3600)} for rep in reps]
        path = f"/v1/elections/{election_id}/ballots"
        print(
            f"POST {path.replace(str(election_id), '{id}')}: roll of {roll_size:,} enterprises, "
            f"{connections} connections, {seconds:.0f} s each (after 2 s warm-up)"
        )
        base, base_cpu = _measure(f"{baseline.url}{path}", bodies, [{}], baseline, None, connections, seconds)
        print(report_line("baseline (FastAPI + 1 asyncpg INSERT)", base, None), flush=True)
        direct, direct_cpu = _measure(
            f"{service.url}{path}", bodies, internal_headers, service, None, connections, seconds
        )
        print(report_line("elections direct (internal token)", direct, base), flush=True)
        through, through_cpu = _measure(
            f"{gateway.url}{path}", bodies, user_headers, service, gateway, connections, seconds
        )
        print(report_line("through the gateway (ES256 JWT)", through, base), flush=True)
        # CPU per request is steadier than throughput on a shared machine
        per_request = [
            1000 * cpu / max(result.requests, 1)
            for cpu, result in (
                (base_cpu[0], base),
                (direct_cpu[0], direct),
                (through_cpu[0], through),
                (through_cpu[1], through),
            )
        ]
        print(
            f"CPU per request: baseline app {per_request[0]:.2f} ms; elections service {per_request[1]:.2f} ms direct,"
            f" {per_request[2]:.2f} ms behind the gateway; gateway {per_request[3]:.2f} ms",
            flush=True,
        )
        ratio = through.throughput / base.throughput if base.throughput else 0.0
        verdict = "met" if ratio >= TARGET_RATIO else "NOT met"
        print(f"target (>= {TARGET_RATIO}x the baseline through the gateway): {verdict} ({ratio:.2f}x)")
        added = asyncio.run(_top_up(url, election_id, link_key, candidates, reps))
        print(f"{added:,} enterprises that did not cast during the load were given a ballot in SQL", flush=True)
        asyncio.run(_close_and_tally(service.url, secret, election_id, community_id, roll_size))
        print(
            f"in-process count of {roll_size:,} ballots with votelib cross-check: "
            f"{_in_process_tally(candidates, roll_size) * 1000:.0f} ms"
        )
    finally:
        for process in reversed(processes):
            process.stop()
        asyncio.run(run_sql(admin_dsn, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))


async def _close_and_tally(
    service_url: str, secret: str, election_id: uuid.UUID, community_id: uuid.UUID, roll_size: int
) -> None:
    staff = Identity(
        subject="bench-staff", roles=frozenset({Role.community_staff}), community_ids=frozenset({community_id})
    )
    headers = {"X-Platform-Identity": mint_internal_token(staff, secret, ttl_seconds=3600)}
    async with httpx.AsyncClient(base_url=service_url, timeout=300) as client:
        # every enterprise casts at least once, so the count covers the whole roll
        turnout = (await client.get(f"/v1/elections/{election_id}/turnout", headers=headers)).json()
        started = time.perf_counter()
        closed = await client.post(
            f"/v1/elections/{election_id}/transitions", json={"to": "voting_closed"}, headers=headers
        )
        closing = time.perf_counter() - started
        started = time.perf_counter()
        tallied = await client.post(f"/v1/elections/{election_id}/transitions", json={"to": "tallied"}, headers=headers)
        tally = time.perf_counter() - started
        result: dict[str, Any] = (await client.get(f"/v1/elections/{election_id}/result", headers=headers)).json()
    assert closed.status_code == 200 and tallied.status_code == 200, (closed.text, tallied.text)
    counted = result["result"]["turnout"]
    print(
        f"closing the round (chaining every ballot into the log): {closing:.2f} s; "
        f"counted ballots {counted:,} of a roll of {roll_size:,} (turnout before close {turnout['ballots_cast']:,})"
    )
    verdict = "met" if tally < TARGET_TALLY_SECONDS else "NOT met"
    print(
        f"tally over HTTP (load {counted:,} counted ballots, count, votelib recount, log): {tally * 1000:.0f} ms"
        f" -> target (< {TARGET_TALLY_SECONDS:.0f} s): {verdict}"
    )
