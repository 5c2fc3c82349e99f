"""The README's curl tour, run verbatim against every service and the gateway, with real dev tokens."""

from __future__ import annotations

import asyncio
import os

import pytest

from bench.harness import PlatformProcess, platform_env, registry_urls
from gateway.devkeys import ensure_dev_keys
from tools.devdb import ROOT
from tools.run import seed_all
from tools.topology import GATEWAY, REGISTRY, SERVICES


def tour_script() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("```sh\nAPI=") + len("```sh\n")
    return text[start : text.index("```", start)]


@pytest.mark.e2e
async def test_the_readme_tour_runs_verbatim(database_url: str) -> None:
    await asyncio.to_thread(seed_all, database_url)
    keys = ensure_dev_keys(ROOT / ".data" / "keys")
    secret = "tour-" + os.urandom(24).hex()
    base = platform_env(database_url, secret=secret, public_key=keys.public_key)
    services = [PlatformProcess(process.name, process.factory, base) for process in SERVICES]
    registry = next(service for service in services if service.name == REGISTRY.name)
    base.update(registry_urls(registry.url))  # its port is known once the process exists
    gateway: PlatformProcess | None = None
    try:
        for service in services:
            await asyncio.to_thread(service.start)
        upstreams = {service.name: service.url for service in services}
        env = platform_env(database_url, secret=secret, public_key=keys.public_key, upstreams=upstreams)
        gateway = PlatformProcess(GATEWAY.name, GATEWAY.factory, env)
        await asyncio.to_thread(gateway.start)
        script = tour_script().replace("http://127.0.0.1:8000", gateway.url)
        process = await asyncio.create_subprocess_exec(
            "bash",
            "-c",
            "set -euo pipefail\n" + script,
            cwd=ROOT,
            env={**os.environ, "PLATFORM_ENV": "development"},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await process.communicate()
        text = output.decode()
    finally:
        if gateway is not None:
            await asyncio.to_thread(gateway.stop)
        for service in services:
            await asyncio.to_thread(service.stop)
    assert process.returncode == 0, text
    lines = text.splitlines()
    assert lines[:5] == ["ok", "ok", "ok", "401", "UNAUTHENTICATED"], text
    assert "\n32\n" in text  # Zhongxing on 2023-05-11: the garden, 30 towers and the complex
    assert '[\n  "中兴花园"\n]' in text  # and on 2023-05-12 only the garden
    assert '"code": "USCC_INVALID"' in text and '"pointer": "/uscc"' in text
    assert '[\n  "导览大厦"\n]\n0\n' in text  # the tour building leaves its community on the transfer date
    assert "idempotent-replayed: true" in text.lower()
    assert "accept -> v2\nassign -> v3\nstart -> v4\nresolve -> v5\n412\nVERSION_MISMATCH\nreopened" in text
    share = float(lines[-1])
    assert 0 < share <= 1
