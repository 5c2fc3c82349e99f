"""The curl tour of docs/registry.md, run verbatim through a real gateway with a real dev token."""

from __future__ import annotations

import asyncio
import os

import pytest

from bench.harness import PlatformProcess, platform_env
from gateway.devkeys import ensure_dev_keys
from registry.seed import seed
from tools.devdb import ROOT

DOC = ROOT / "docs" / "registry.md"


def tour_script() -> str:
    text = DOC.read_text(encoding="utf-8")
    start = text.index("```sh\nTOKEN=") + len("```sh\n")
    return text[start : text.index("```", start)]


@pytest.mark.e2e
async def test_the_documented_tour_runs_through_the_gateway(database_url: str) -> None:
    await seed(database_url)
    keys = ensure_dev_keys(ROOT / ".data" / "keys")
    secret = "tour-" + os.urandom(24).hex()
    registry = PlatformProcess(
        "registry", "registry.app:create_app", platform_env(database_url, secret=secret, public_key=keys.public_key)
    )
    unused = dict.fromkeys(("service-requests", "elections", "grid"), "http://127.0.0.1:9")
    gateway: PlatformProcess | None = None
    try:
        await asyncio.to_thread(registry.start)
        env = platform_env(
            database_url, secret=secret, public_key=keys.public_key, upstreams={"registry": registry.url, **unused}
        )
        gateway = PlatformProcess("gateway", "gateway.app:create_app", env)
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
        assert process.returncode == 0, text
        assert '"code": "USCC_INVALID"' in text and '"pointer": "/uscc"' in text
        assert '"to_community_id"' in text and "导览大厦" in text
        assert "\n32\n" in text  # Zhongxing on 2023-05-11: the garden, 30 towers and the complex
        assert '[\n  "中兴花园"\n]' in text  # and on 2023-05-12 only the garden
    finally:
        if gateway is not None:
            await asyncio.to_thread(gateway.stop)
        await asyncio.to_thread(registry.stop)
