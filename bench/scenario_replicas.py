"""Two gateways and two replicas of each service against one database, against one of each, in one run.

Ballot casting (elections) and request submission (service-requests) through the gateway, as in
`bench elections` and `bench requests` (their data set-up is reused): first through one gateway in
front of one replica of each service, then through two gateways whose `GATEWAY_UPSTREAMS` list two
replicas of each, with the load split evenly between the two gateways (half the connections each:
the client as the load balancer). The same total number of connections either way, rounds
interleaved. The ratio is two replicas' throughput over one replica's.

On a two-core machine this cannot show a speed-up: one gateway and one service already keep both
cores busy. What it shows is the absence of contention between replicas sharing one database (no
lock, no hot row, no cursor they fight over): the ratio stays near 1 and the CPU per request does
not grow.

    python -m bench replicas [--seconds=10] [--connections=64] [--roll=10000]
"""

from __future__ import annotations

import asyncio
import json
import secrets
import tempfile
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.harness import (
    FACTORIES,
    LoadResult,
    PlatformProcess,
    cpu_seconds,
    merge_results,
    option,
    platform_env,
    post_load,
    postgres_cpu_seconds,
    report_line,
    run_sql,
)
from bench.scenario_elections import _bodies as ballot_bodies
from bench.scenario_elections import _prepare as prepare_election
from bench.scenario_requests import _descriptions
from bench.scenario_requests import _prepare_database as prepare_service_type
from gateway.devkeys import ensure_dev_keys
from gateway.tokens import mint_user_token
from shared.auth import Identity, Role
from tools.devdb import server_url
from tools.migrate import upgrade_all

ROUNDS = 2
SUBMITTERS = 400
UNLIMITED = {"GATEWAY_RATE_LIMIT": "1000000/second", "GATEWAY_PARTNER_RATE_LIMIT": "1000000/second"}


@dataclass
class Topology:
    """One way to run the platform: its gateways and every process whose CPU counts."""

    name: str
    gateways: list[PlatformProcess]
    processes: list[PlatformProcess]


@dataclass
class HotPath:
    """One hot path: where to POST (after the gateway's address), what, and as whom."""

    name: str
    path: str
    bodies: list[bytes]
    headers: list[dict[str, str]]


async def _split_load(
    urls: Sequence[str], path: HotPath, connections: int, seconds: float, warmup: float = 0.0
) -> LoadResult:
    """The load spread over the gateways, `connections` in all, as one result."""
    share = max(1, connections // len(urls))
    parts = await asyncio.gather(
        *(
            post_load(
                f"{url}{path.path}", path.bodies, path.headers, concurrency=share, duration=seconds, warmup=warmup
            )
            for url in urls
        )
    )
    statuses: dict[int, int] = {}
    for part in parts:
        for status, count in part.statuses.items():
            statuses[status] = statuses.get(status, 0) + count
    return LoadResult(
        requests=sum(part.requests for part in parts),
        errors=sum(part.errors for part in parts),
        seconds=max(part.seconds for part in parts),
        latencies=[latency for part in parts for latency in part.latencies],
        statuses=statuses,
    )


def _cpu(topology: Topology) -> dict[str, float]:
    """CPU seconds so far of each of the topology's processes, and of PostgreSQL."""
    return {process.name: cpu_seconds(process.pid) for process in topology.processes} | {
        "PostgreSQL": postgres_cpu_seconds()
    }


def _batched(topology: Topology) -> tuple[float, float]:
    """(items, statements) the services' batched hot-path statements carried so far, from `/metrics`."""
    items = statements = 0.0
    for process in topology.processes:
        if process.name.startswith("gateway"):
            continue
        for line in httpx.get(f"{process.url}/metrics", timeout=10).text.splitlines():
            if line.startswith("hot_path_batch_items_sum{"):
                items += float(line.rsplit(" ", 1)[1])
            elif line.startswith("hot_path_batch_items_count{"):
                statements += float(line.rsplit(" ", 1)[1])
    return items, statements


def _start(processes: Sequence[PlatformProcess]) -> None:
    for process in processes:
        process.start(60.0)


def _gateway(name: str, url: str, keys: Path, secret: str, upstreams: Mapping[str, Sequence[str]]) -> PlatformProcess:
    env = platform_env(url, secret=secret, public_key=keys, extra=UNLIMITED)
    env["GATEWAY_UPSTREAMS"] = json.dumps({service: ",".join(urls) for service, urls in upstreams.items()})
    return PlatformProcess(name, FACTORIES["gateway"], env)


def main(argv: list[str]) -> None:
    seconds = option(argv, "seconds", 10.0)
    connections = int(option(argv, "connections", 64))
    roll_size = int(option(argv, "roll", 10_000))
    database = f"bench_replicas_{uuid.uuid4().hex[:10]}"
    admin_dsn = server_url("postgres").replace("postgresql+asyncpg://", "postgresql://")
    asyncio.run(run_sql(admin_dsn, f'CREATE DATABASE "{database}"'))
    url = server_url(database)
    started: list[PlatformProcess] = []
    try:
        upgrade_all(url)
        election_id, community_id, candidates, reps, _ = asyncio.run(prepare_election(url, roll_size))
        type_id = asyncio.run(prepare_service_type(url, community_id))
        keys = ensure_dev_keys(Path(tempfile.mkdtemp(prefix="bench-keys-")))
        secret = secrets.token_urlsafe(48)
        service_env = platform_env(url, secret=secret, public_key=keys.public_key) | {
            "ELECTIONS_DB_POOL_SIZE": "30",
            "ELECTIONS_DB_MAX_OVERFLOW": "40",
            "REQUESTS_JOB_INTERVAL_SECONDS": "0",
            "REQUESTS_WEBHOOK_DISPATCHER_ENABLED": "false",
        }
        services = {
            name: [PlatformProcess(f"{name}-{n}", FACTORIES[name], dict(service_env)) for n in (1, 2)]
            for name in ("elections", "service-requests")
        }
        _start([process for pair in services.values() for process in pair])
        started += [process for pair in services.values() for process in pair]
        first = {name: [pair[0].url] for name, pair in services.items()}
        both = {name: [process.url for process in pair] for name, pair in services.items()}
        single = _gateway("gateway", url, keys.public_key, secret, first)
        pair = [_gateway(f"gateway-{n}", url, keys.public_key, secret, both) for n in (1, 2)]
        _start([single, *pair])
        started += [single, *pair]
        topologies = [
            Topology("1 gateway, 1 replica of each", [single], [single] + [p[0] for p in services.values()]),
            Topology("2 gateways, 2 replicas of each", pair, pair + [p for ps in services.values() for p in ps]),
        ]

        people = [
            Identity(
                subject=f"bench-employee-{index}",
                roles=frozenset({Role.employee}),
                enterprise_id=uuid.uuid4(),
                community_ids=frozenset({community_id}),
            )
            for index in range(SUBMITTERS)
        ]
        submissions = [
            json.dumps({"type_id": str(type_id), "description": text, "answers": {"amount": index}}).encode()
            for index, text in enumerate(_descriptions("similar"))
        ]
        paths = [
            HotPath(
                "ballot cast",
                f"/v1/elections/{election_id}/ballots",
                ballot_bodies(candidates, 101),
                [{"Authorization": f"Bearer {mint_user_token(rep, keys.private_key)}"} for rep in reps],
            ),
            HotPath(
                "request submission",
                "/v1/service-requests",
                submissions,
                [{"Authorization": f"Bearer {mint_user_token(who, keys.private_key)}"} for who in people],
            ),
        ]
        slice_seconds = seconds / ROUNDS
        print(
            f"{connections} connections in all, {seconds:.0f} s per path and topology in {ROUNDS} interleaved "
            f"rounds (each after a 2 s warm-up); two gateways get half the connections each"
        )
        results: dict[tuple[str, str], list[LoadResult]] = {}
        cpu: dict[tuple[str, str], dict[str, float]] = {}
        batches: dict[tuple[str, str], tuple[float, float]] = {}
        for _ in range(ROUNDS):  # interleaved, so a noisy neighbour hurts both topologies alike
            for path in paths:
                for topology in topologies:
                    urls = [gateway.url for gateway in topology.gateways]
                    asyncio.run(_split_load(urls, path, connections, 2.0))  # the warm-up, not measured
                    before, batched = _cpu(topology), _batched(topology)
                    result = asyncio.run(_split_load(urls, path, connections, slice_seconds))
                    key = (path.name, topology.name)
                    items, statements = batches.get(key, (0.0, 0.0))
                    now = _batched(topology)
                    batches[key] = (items + now[0] - batched[0], statements + now[1] - batched[1])
                    spent = cpu.setdefault(key, {})
                    for who, seconds_now in _cpu(topology).items():
                        spent[who] = spent.get(who, 0.0) + seconds_now - before[who]
                    results.setdefault(key, []).append(result)
        for path in paths:
            one, two = (merge_results(results[(path.name, topology.name)]) for topology in topologies)
            print(f"\n{path.name} (POST {path.path.replace(str(election_id), '{id}')}):")
            for topology, result in zip(topologies, (one, two), strict=True):
                line = report_line(topology.name, result, None if result is one else one)
                spent = cpu[(path.name, topology.name)]
                total = 1000 * sum(spent.values()) / max(1, result.requests)
                busy = ", ".join(f"{who} {used:.1f}" for who, used in spent.items() if used >= 0.1)
                print(f"  {line}\n    CPU per request, every process and PostgreSQL: {total:.2f} ms (CPU s: {busy})")
                items, statements = batches[(path.name, topology.name)]
                if statements:  # a hot path whose concurrent writes share one statement
                    print(f"    items per batched statement: {items / statements:.1f}")
            ratio = two.throughput / one.throughput if one.throughput else 0.0
            print(f"  ratio two replicas / one: {ratio:.2f}x (two cores: near 1 means no contention, not a speed-up)")
    finally:
        for process in reversed(started):
            process.stop()
        asyncio.run(run_sql(admin_dsn, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
