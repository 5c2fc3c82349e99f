"""Gateway overhead: the same service GETs directly and through the gateway, in one run.

Starts the registry (over a scratch database with the demo data) and the gateway as uvicorn
processes on loopback and drives two GETs with a bounded aiohttp load generator, each directly
with an internal token and through the gateway with a user JWT (authentication and rate
limiting on, limits set high enough not to trigger), in alternating rounds:

* `GET /v1/communities/{id}`: an ordinary read (one row and its governance bodies from
  PostgreSQL, an ETag); the target applies to it;
* `GET /v1/communities/about`: the skeleton's echo route, no database, the worst case for a
  proxy (its whole cost is HTTP), reported beside it.

Each GET is also driven through `bench/bare_proxy.py`, the same raw-ASGI aiohttp hop with none of
the gateway's work, as a reference for what the stack itself costs.

Prints throughput, p50/p99, the gateway/direct ratio and the gateway's CPU time per request.
Options: `--duration=S` (per round and side), `--rounds=N`, `--concurrency=N`.
"""

from __future__ import annotations

import asyncio
import secrets
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import uvloop

from bench.harness import (
    FACTORIES,
    LoadResult,
    PlatformProcess,
    cpu_seconds,
    drive_load,
    merge_results,
    option,
    platform_env,
    run_sql,
)
from gateway.devkeys import ensure_dev_keys
from gateway.tokens import mint_user_token
from registry.seed import XINGGUANG_ID, seed
from shared.auth import IDENTITY_HEADER, Identity, Role, mint_internal_token
from tools.devdb import server_url
from tools.migrate import upgrade_all

TARGET_RATIO = 0.6
PATHS = {"community (DB read)": f"/v1/communities/{XINGGUANG_ID}", "about (echo, no DB)": "/v1/communities/about"}
TARGET_PATH = "community (DB read)"
XINGGUANG_ID_TEXT = str(XINGGUANG_ID)


def _line(label: str, result: LoadResult) -> str:
    return (
        f"{label:<28} {result.throughput:>9.0f} req/s   p50 {result.percentile(0.5) * 1000:6.2f} ms"
        f"   p99 {result.percentile(0.99) * 1000:6.2f} ms   errors {result.errors}/{result.requests}"
    )


@dataclass
class _Side:
    rounds: list[LoadResult] = field(default_factory=list)
    service_cpu: float = 0.0
    proxy_cpu: float = 0.0


def main(argv: list[str]) -> None:
    duration = option(argv, "duration", 5.0)
    rounds = int(option(argv, "rounds", 3))
    concurrency = int(option(argv, "concurrency", 32))
    database = f"bench_gateway_{uuid.uuid4().hex[:10]}"
    admin_dsn = server_url("postgres").replace("postgresql+asyncpg://", "postgresql://")
    asyncio.run(run_sql(admin_dsn, f'CREATE DATABASE "{database}"'))
    database_url = server_url(database)
    registry: PlatformProcess | None = None
    gateway: PlatformProcess | None = None
    bare: PlatformProcess | None = None
    try:
        upgrade_all(database_url)
        asyncio.run(seed(database_url))
        keys = ensure_dev_keys(Path(tempfile.mkdtemp(prefix="bench-keys-")))
        secret = secrets.token_urlsafe(48)
        env = platform_env(database_url, secret=secret, public_key=keys.public_key)
        registry = PlatformProcess("registry", FACTORIES["registry"], env)
        registry.start()
        gateway = PlatformProcess(
            "gateway",
            FACTORIES["gateway"],
            platform_env(
                database_url,
                secret=secret,
                public_key=keys.public_key,
                upstreams={"registry": registry.url},
                extra={"GATEWAY_RATE_LIMIT": "1000000/second", "GATEWAY_PARTNER_RATE_LIMIT": "1000000/second"},
            ),
        )
        gateway.start()
        bare = PlatformProcess(
            "bare-proxy", "bench.bare_proxy:create_app", {**env, "BARE_PROXY_UPSTREAM": registry.url}
        )
        bare.start()
        who = Identity(subject=f"bench-{uuid.uuid4().hex[:8]}", roles=frozenset({Role.employee}))
        internal = {IDENTITY_HEADER: mint_internal_token(who, secret, ttl_seconds=3600)}
        user = {"Authorization": "Bearer " + mint_user_token(who, keys.private_key, ttl_seconds=3600)}
        print(
            f"{concurrency} connections, {rounds} rounds of {duration:.0f} s per GET and side "
            "(each after a 1 s warm-up), direct, gateway and bare proxy alternating, 1 uvicorn worker each"
        )
        sides = {(label, via): _Side() for label in PATHS for via in ("direct", "gateway", "bare")}
        routes = (
            ("direct", registry.url, internal, None),
            ("gateway", gateway.url, user, gateway),
            ("bare", bare.url, internal, bare),
        )
        for _ in range(rounds):
            # Alternating short rounds: a neighbour's load on this shared machine hits every side alike.
            for label, path in PATHS.items():
                for via, base, headers, proxy in routes:
                    side = sides[(label, via)]
                    before = cpu_seconds(registry.pid)
                    proxy_before = cpu_seconds(proxy.pid) if proxy else 0.0
                    side.rounds.append(
                        uvloop.run(drive_load(base + path, headers, concurrency=concurrency, duration=duration))
                    )
                    side.service_cpu += cpu_seconds(registry.pid) - before
                    side.proxy_cpu += (cpu_seconds(proxy.pid) - proxy_before) if proxy else 0.0
        for label, path in PATHS.items():
            direct, proxied, reference = (sides[(label, via)] for via in ("direct", "gateway", "bare"))
            _report(label, path, direct, proxied, reference, label == TARGET_PATH)
    finally:
        if bare is not None:
            bare.stop()
        if gateway is not None:
            gateway.stop()
        if registry is not None:
            registry.stop()
        asyncio.run(run_sql(admin_dsn, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))


def _report(label: str, path: str, direct_side: _Side, proxied_side: _Side, bare_side: _Side, targeted: bool) -> None:
    direct, proxied = merge_results(direct_side.rounds), merge_results(proxied_side.rounds)
    bare = merge_results(bare_side.rounds)
    pairs = zip(direct_side.rounds, proxied_side.rounds, strict=True)
    ratios = sorted(p.throughput / d.throughput for d, p in pairs)
    ratio = proxied.throughput / direct.throughput if direct.throughput else 0.0
    print(f"\nGET {path.replace(XINGGUANG_ID_TEXT, '{id}')}: {label}")
    print(_line("  direct (internal token)", direct))
    print(_line("  through gateway (JWT)", proxied))
    verdict = ("met" if ratio >= TARGET_RATIO else "NOT met") if targeted else "reported"
    print(f"  gateway/direct throughput  {ratio:.2f}x   (target >= {TARGET_RATIO}x: {verdict})")
    print(f"    per round                {', '.join(f'{value:.2f}x' for value in ratios)}")
    print(f"  gateway CPU per request    {_per_request(proxied_side.proxy_cpu, proxied)} us")
    print(
        f"  service CPU per request    {_per_request(direct_side.service_cpu, direct)} us direct, "
        f"{_per_request(proxied_side.service_cpu, proxied)} us proxied"
    )
    print(_line("  reference: bare proxy", bare))
    bare_ratio = bare.throughput / direct.throughput if direct.throughput else 0.0
    print(
        f"    bare/direct {bare_ratio:.2f}x; bare proxy CPU per request {_per_request(bare_side.proxy_cpu, bare)} us"
        " (raw ASGI + aiohttp with none of the gateway's work)"
    )
    if direct.errors or proxied.errors or bare.errors:
        print(f"  non-200 answers: direct {direct.statuses}, gateway {proxied.statuses}, bare {bare.statuses}")


def _per_request(cpu: float, result: LoadResult) -> str:
    return f"{cpu / max(1, result.requests) * 1e6:.0f}"


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
