"""Gateway overhead: the same service GET directly and through the gateway, in one run.

Starts the registry and the gateway as uvicorn processes on loopback, drives
`GET /v1/communities/about` with a bounded aiohttp load generator, first directly with an
internal token, then through the gateway with a user JWT (authentication and rate limiting
on, limits set high enough not to trigger). Prints throughput, p50/p99, the gateway/direct
ratio and the gateway's CPU time per request.
Options: `--duration=S` (per round and side), `--rounds=N`, `--concurrency=N`.
"""

from __future__ import annotations

import secrets
import tempfile
import uuid
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
)
from gateway.devkeys import ensure_dev_keys
from gateway.tokens import mint_user_token
from shared.auth import IDENTITY_HEADER, Identity, Role, mint_internal_token

PATH = "/v1/communities/about"
TARGET_RATIO = 0.6


def _line(label: str, result: LoadResult) -> str:
    return (
        f"{label:<28} {result.throughput:>9.0f} req/s   p50 {result.percentile(0.5) * 1000:6.2f} ms"
        f"   p99 {result.percentile(0.99) * 1000:6.2f} ms   errors {result.errors}/{result.requests}"
    )


def main(argv: list[str]) -> None:
    from tools.devdb import server_url, stop_embedded

    duration = option(argv, "duration", 5.0)
    rounds = int(option(argv, "rounds", 3))
    concurrency = int(option(argv, "concurrency", 32))
    database_url = server_url()
    keys = ensure_dev_keys(Path(tempfile.mkdtemp(prefix="bench-keys-")))
    secret = secrets.token_urlsafe(48)
    env = platform_env(database_url, secret=secret, public_key=keys.public_key)
    registry = PlatformProcess("registry", FACTORIES["registry"], env)
    gateway: PlatformProcess | None = None
    try:
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
        who = Identity(subject=f"bench-{uuid.uuid4().hex[:8]}", roles=frozenset({Role.employee}))
        internal = {IDENTITY_HEADER: mint_internal_token(who, secret, ttl_seconds=3600)}
        user = {"Authorization": "Bearer " + mint_user_token(who, keys.private_key, ttl_seconds=3600)}
        print(
            f"GET {PATH}, {concurrency} connections, {rounds} rounds of {duration:.0f} s per side "
            "(each after a 1 s warm-up), direct and gateway alternating, 1 uvicorn worker each"
        )
        direct_rounds: list[LoadResult] = []
        proxied_rounds: list[LoadResult] = []
        service_cpu = {"direct": 0.0, "proxied": 0.0}
        gateway_cpu = 0.0
        for _ in range(rounds):
            # Alternating short rounds: a neighbour's load on this shared machine hits both sides alike.
            before = cpu_seconds(registry.pid)
            direct_rounds.append(
                uvloop.run(drive_load(registry.url + PATH, internal, concurrency=concurrency, duration=duration))
            )
            service_cpu["direct"] += cpu_seconds(registry.pid) - before
            before, gateway_before = cpu_seconds(registry.pid), cpu_seconds(gateway.pid)
            proxied_rounds.append(
                uvloop.run(drive_load(gateway.url + PATH, user, concurrency=concurrency, duration=duration))
            )
            service_cpu["proxied"] += cpu_seconds(registry.pid) - before
            gateway_cpu += cpu_seconds(gateway.pid) - gateway_before

        direct, proxied = merge_results(direct_rounds), merge_results(proxied_rounds)
        ratios = sorted(p.throughput / d.throughput for d, p in zip(direct_rounds, proxied_rounds, strict=True))
        ratio = proxied.throughput / direct.throughput if direct.throughput else 0.0
        print(_line("direct (internal token)", direct))
        print(_line("through gateway (JWT)", proxied))
        verdict = "met" if ratio >= TARGET_RATIO else "NOT met"
        print(f"gateway/direct throughput    {ratio:.2f}x   (target >= {TARGET_RATIO}x: {verdict})")
        print(f"  per round                  {', '.join(f'{value:.2f}x' for value in ratios)}")
        print(f"gateway CPU per request      {gateway_cpu / max(1, proxied.requests) * 1e6:.0f} us")
        print(
            f"service CPU per request      {service_cpu['direct'] / max(1, direct.requests) * 1e6:.0f} us direct, "
            f"{service_cpu['proxied'] / max(1, proxied.requests) * 1e6:.0f} us proxied"
        )
        if direct.errors or proxied.errors:
            print(f"non-200 answers: direct {direct.statuses}, gateway {proxied.statuses}")
    finally:
        if gateway is not None:
            gateway.stop()
        registry.stop()
        stop_embedded()


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
