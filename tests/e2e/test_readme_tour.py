"""The README's curl tour and financing walkthrough, run verbatim against every service and the gateway."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time

import pytest

from gateway.devkeys import ensure_dev_keys
from tests.support.harness import PlatformProcess, free_port, platform_env, registry_urls
from tools.devdb import ROOT
from tools.run import seed_all
from tools.topology import FAKES, GATEWAY, IDENTITY, REGISTRY, SERVICES, notifications_urls

SCRIPT_SECONDS = 180.0


def readme_block(opening: str, document: str = "README.md") -> str:
    """The shell block of `document` (the README unless named) that starts with `opening`."""
    text = (ROOT / document).read_text(encoding="utf-8")
    start = text.index("```sh\n" + opening) + len("```sh\n")
    return text[start : text.index("```", start)]


def tour_script() -> str:
    return readme_block("API=")


async def run_script(script: str) -> tuple[int, str]:
    """Run a README block with bash in its own process group; whatever it left running is stopped."""
    process = await asyncio.create_subprocess_exec(
        "bash",
        "-c",
        "set -euo pipefail\n" + script,
        cwd=ROOT,
        env={**os.environ, "PLATFORM_ENV": "development"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        output, _ = await asyncio.wait_for(process.communicate(), SCRIPT_SECONDS)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)  # e.g. the partner simulator after a failed step
    assert process.returncode is not None
    return process.returncode, output.decode()


@pytest.mark.e2e
async def test_the_readme_tour_runs_verbatim(database_url: str) -> None:
    started = time.time()
    await asyncio.to_thread(seed_all, database_url)
    keys = ensure_dev_keys(ROOT / ".data" / "keys")
    secret = "tour-" + os.urandom(24).hex()
    base = platform_env(database_url, secret=secret, public_key=keys.public_key)
    base["REQUESTS_WEBHOOKS_ALLOW_PRIVATE"] = "true"  # as `make run` sets it in development
    base["NOTIFICATIONS_WORKERS_ENABLED"] = "true"  # as in development: the tour's employee hears of their request
    # the fakes on free ports; the tour's `:8091`-`:8093` are pointed at them, as `make run` starts them
    fakes = {process.name: PlatformProcess(process.name, process.factory, dict(base)) for process in FAKES}
    base["IDENTITY_SMS_BASE_URL"] = fakes["fake-sms"].url
    base["IDENTITY_WECHAT_BASE_URL"] = fakes["fake-wechat"].url
    base["IDENTITY_OIDC_ISSUER"] = fakes["fake-oidc"].url
    services = [PlatformProcess(process.name, process.factory, base) for process in SERVICES]
    identity = next(service for service in services if service.name == IDENTITY.name)
    registry = next(service for service in services if service.name == REGISTRY.name)
    base.update(registry_urls(registry.url))  # its port is known once the process exists
    base.update(notifications_urls({service.name: service.url for service in services}))
    gateway: PlatformProcess | None = None
    try:
        for process in (*fakes.values(), *services):
            await asyncio.to_thread(process.start)
        upstreams = {service.name: service.url for service in services}
        env = platform_env(
            database_url,
            secret=secret,
            public_key=keys.public_key,
            upstreams=upstreams,
            extra={
                "GATEWAY_JWKS_URL": f"{identity.url}/internal/jwks.json",
                "GATEWAY_DENY_LIST_URL": f"{identity.url}/internal/denied-subjects",
            },
        )
        gateway = PlatformProcess(GATEWAY.name, GATEWAY.factory, env)
        await asyncio.to_thread(gateway.start)
        returncode, text = await run_script(tour_script().replace("http://127.0.0.1:8000", gateway.url))
        walkthrough = readme_block("# Financing walkthrough").replace("http://127.0.0.1:8000", gateway.url)
        walked, financing = await run_script(walkthrough.replace("SIM_PORT=9100", f"SIM_PORT={free_port()}"))
        election_walk = readme_block("# Election walk", "docs/elections.md").replace(
            "http://127.0.0.1:8000", gateway.url
        )
        voted, election = await run_script(election_walk)
        sign_in = readme_block("# Sign in").replace("http://127.0.0.1:8000", gateway.url)
        for fake in FAKES:
            sign_in = sign_in.replace(f"http://127.0.0.1:{fake.default_port}", fakes[fake.name].url)
        signed, people = await run_script(sign_in)
    finally:
        if gateway is not None:
            await asyncio.to_thread(gateway.stop)
        for process in (*services, *fakes.values()):
            await asyncio.to_thread(process.stop)
        for leftover in (ROOT / ".data").glob("bank-*"):  # the walkthrough bank's state and log
            # SQLite may drop its -wal and -shm files between the listing and the look
            with contextlib.suppress(FileNotFoundError):
                if leftover.stat().st_mtime >= started:
                    leftover.unlink()
    assert returncode == 0, text
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
    # The financing walkthrough: consent refused, the bank's decision, its view, the log, the rating.
    assert walked == 0, financing
    assert financing.splitlines()[:2] == ["422", "SHARE_CONSENT_REQUIRED"], financing
    assert "resolved\napproved\n500000.00\n3.45\n12\n" in financing
    assert '{\n  "amount": 500000\n}\nnull\n' in financing  # the bank sees the shared amount only
    assert "delivered\n1\n" in financing and financing.splitlines()[-1] == "closed"
    # The election walk in docs/elections.md: nominations, the roll, six ballots, certification, the PDF.
    assert voted == 0, election
    walked_lines = election.splitlines()
    assert walked_lines[:7] == ["nomination"] + ["nominated"] * 6, election
    assert walked_lines[7:12] == ["candidate_review", "candidates_published", "roll_frozen", "7", "voting_open"]
    assert walked_lines[12:16] == ["6", "voting_closed", "tallied", "complete"], election
    assert walked_lines[16:22] == ["6", "5", "1", "2", "3", "certified"], election
    assert walked_lines[22:24] == ["counted", "200 application/pdf"], election
    # Signing in as a person would: the representative by SMS, the employee they invite.
    assert signed == 0, people
    assert people.count("300\n") == 1, people
    assert '[\n  "account",\n  "enterprise_rep"\n]\n400\nSMS_CODE_INVALID\n' in people, people
    assert 'SMS_CODE_INVALID\ntrue\n400\nINVITATION_INVALID\n[\n  "account",\n  "employee"\n]\nsubmitted\n' in people, (
        people
    )
    assert '[\n  "申请人才公寓"\n]\n' in people, people
    # ... and hears of it: the subscription reported, staff acknowledge, the inbox and WeChat have it
    assert people.rstrip().endswith(
        '{\n  "tmpl-request-progress": 1\n}\naccepted\n[\n  "您的诉求已受理",\n  "您获得了新的角色"\n]\n1\n已受理'
    ), people
