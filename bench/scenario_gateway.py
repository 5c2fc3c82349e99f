"""Gateway overhead: the same service GET directly and through the gateway, in one run.

Starts the registry and the gateway as uvicorn processes on loopback, drives
`GET /v1/communities/about` with a bounded aiohttp load generator, first directly with an
internal token, then through the gateway with a user JWT (authentication and rate limiting
on, limits set high enough not to trigger). Prints throughput, p50/p99, the gateway/direct
ratio and the gateway's CPU time per request. Options: `--duration=S`, `--concurrency=N`.
"""

from __future__ import annotations

import os
import secrets
import tempfile
import uuid
from pathlib import Path

import uvloop

from bench.harness import FACTORIES, LoadResult, PlatformProcess, drive_load, platform_env
from gateway.devkeys import ensure_dev_keys
from gateway.tokens import mint_user_token
from shared.auth import IDENTITY_HEADER, Identity, Role, mint_internal_token

PATH = "/v1/communities/about"
TARGET_RATIO = 0.6


def _option(argv: list[str], name: str, default: float) -> float:
    for argument in argv:
        if argument.startswith(f"--{name}="):
            return float(argument.split("=", 1)[1])
    return default


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _line(label: str, result: LoadResult) -> str:
    return (
        f"{label:<28} {result.throughput:>9.0f} req/s   p50 {result.percentile(0.5) * 1000:6.2f} ms"
        f"   p99 {result.percentile(0.99) * 1000:6.2f} ms   errors {result.errors}/{result.requests}"
    )


def main(argv: list[str]) -> None:
    from tools.devdb import server_url, stop_embedded

    duration = _option(argv, "duration", 10.0)
    concurrency = int(_option(argv, "concurrency", 32))
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
            f"GET {PATH}, {concurrency} connections, {duration:.0f} s each (after 2 s warm-up), 1 uvicorn worker each"
        )

        service_before = _cpu_seconds(registry.pid)
        direct = uvloop.run(
            drive_load(registry.url + PATH, internal, concurrency=concurrency, duration=duration, warmup=2)
        )
        service_direct = (_cpu_seconds(registry.pid) - service_before) / max(1, direct.requests)

        gateway_before = _cpu_seconds(gateway.pid)
        service_before = _cpu_seconds(registry.pid)
        proxied = uvloop.run(drive_load(gateway.url + PATH, user, concurrency=concurrency, duration=duration, warmup=2))
        gateway_cpu = (_cpu_seconds(gateway.pid) - gateway_before) / max(1, proxied.requests)
        service_proxied = (_cpu_seconds(registry.pid) - service_before) / max(1, proxied.requests)

        ratio = proxied.throughput / direct.throughput if direct.throughput else 0.0
        print(_line("direct (internal token)", direct))
        print(_line("through gateway (JWT)", proxied))
        verdict = "met" if ratio >= TARGET_RATIO else "NOT met"
        print(f"gateway/direct throughput    {ratio:.2f}x   (target >= {TARGET_RATIO}x: {verdict})")
        print(f"gateway CPU per request      {gateway_cpu * 1e6:.0f} us")
        print(
            f"service CPU per request      {service_direct * 1e6:.0f} us direct, {service_proxied * 1e6:.0f} us proxied"
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
