"""`make run`: database, migrations, demo data, five services, the gateway and (in development) the
fake WeChat, SMS and OIDC servers; Ctrl-C stops it all."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI
    from pydantic import SecretStr

from tools.devdb import ROOT, server_url, stop_embedded
from tools.migrate import upgrade_all
from tools.topology import FAKES, GATEWAY, IDENTITY, REGISTRY, REGISTRY_CONSUMERS, SERVICES, Process, notifications_urls

SEED_MODULES = ("registry.seed", "service_requests.seed", "elections.seed", "grid.seed", "gateway.seed")
KEYS_DIR = ROOT / ".data" / "keys"


def registry_app_for(database_url: str, secret: SecretStr) -> FastAPI:
    """The registry's app for the elections demo's roll (seeds run before anything serves)."""
    from registry.app import create_app
    from registry.settings import Settings

    return create_app(Settings(database_url=database_url, internal_token_secret=secret))


def seed_all(database_url: str) -> None:
    """Load every service's demo data; each seed is idempotent."""
    for name in SEED_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        if name == "elections.seed":  # its roll comes from the registry's app, which tools may build
            asyncio.run(module.seed(database_url, registry_app_for))
        else:
            asyncio.run(module.seed(database_url))
        print(f"seeded {name.split('.')[0]}")


def platform_environment(database_url: str) -> dict[str, str]:
    """Environment shared by every process of this run."""
    from gateway.devkeys import ensure_dev_keys

    keys = ensure_dev_keys(KEYS_DIR)
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        PLATFORM_ENV=os.environ.get("PLATFORM_ENV", "development"),
        PLATFORM_INTERNAL_SECRET=os.environ.get("PLATFORM_INTERNAL_SECRET") or secrets.token_urlsafe(48),
        GATEWAY_UPSTREAMS=json.dumps({process.name: process.url for process in SERVICES}),
        **{f"{prefix}_REGISTRY_URL": REGISTRY.url for prefix in REGISTRY_CONSUMERS},
        # identity asks the grid service which community a grid is in (community staff's grants)
        IDENTITY_GRID_URL=next(process.url for process in SERVICES if process.name == "grid"),
        **notifications_urls({process.name: process.url for process in SERVICES}),
        GATEWAY_JWT_PUBLIC_KEY_FILE=os.environ.get("GATEWAY_JWT_PUBLIC_KEY_FILE", str(keys.public_key)),
        # user tokens from the identity service's key set; the key file still checks the CLI's tokens
        GATEWAY_JWKS_URL=os.environ.get("GATEWAY_JWKS_URL", f"{IDENTITY.url}/internal/jwks.json"),
        GATEWAY_DENY_LIST_URL=os.environ.get("GATEWAY_DENY_LIST_URL", f"{IDENTITY.url}/internal/denied-subjects"),
        # the local file store's signed upload and download links are served through the gateway
        GRID_STORAGE_PUBLIC_URL=os.environ.get("GRID_STORAGE_PUBLIC_URL", GATEWAY.url),
        REQUESTS_STORAGE_PUBLIC_URL=os.environ.get("REQUESTS_STORAGE_PUBLIC_URL", GATEWAY.url),
        PYTHONUNBUFFERED="1",
    )
    if env["PLATFORM_ENV"] == "development":
        # A local demo: partners (the README's bank simulator) listen on loopback. Deployments keep
        # the default, which refuses webhook URLs that resolve to loopback or private addresses.
        env.setdefault("REQUESTS_WEBHOOKS_ALLOW_PRIVATE", "true")
        # ... and its WeChat and SMS messages go out at any hour (equal hours: no quiet hours), so
        # the README's tour shows its subscribe message at 23:00 in Shanghai as at noon.
        env.setdefault("NOTIFICATIONS_QUIET_START_HOUR", "0")
        env.setdefault("NOTIFICATIONS_QUIET_END_HOUR", "0")
    return env


def wait_ready(process: Process, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{process.url}/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{process.name} did not start on {process.url}; see its log above")


# A dead process is started again after a pause that doubles from 0.5 s up to 30 s; one that stayed
# up for 30 s starts again from 0.5 s. honcho (already a dependency) stops everything when one
# process exits and has no restart, hence this loop (docs/operations.md).
FIRST_BACKOFF_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 30.0
STABLE_SECONDS = 30.0


@dataclass
class Child:
    """One supervised process: its current `Popen`, when it started, and its next restart."""

    process: Process
    popen: subprocess.Popen[bytes]
    started: float
    backoff: float = FIRST_BACKOFF_SECONDS
    restart_at: float | None = None


def _spawn(process: Process, env: dict[str, str]) -> subprocess.Popen[bytes]:
    popen = subprocess.Popen(process.command(), env=env, cwd=ROOT, start_new_session=True)
    print(f"started {process.name} (pid {popen.pid})", flush=True)
    return popen


def supervise_once(children: list[Child], env: dict[str, str], now: float) -> None:
    """Notice children that died and restart those whose pause is over; the others keep serving."""
    for child in children:
        if child.restart_at is None:
            code = child.popen.poll()
            if code is None:
                continue
            if now - child.started >= STABLE_SECONDS:
                child.backoff = FIRST_BACKOFF_SECONDS
            child.restart_at = now + child.backoff
            print(f"{child.process.name} exited ({code}); restarting in {child.backoff:.1f} s", flush=True)
            child.backoff = min(child.backoff * 2, MAX_BACKOFF_SECONDS)
        elif now >= child.restart_at:
            child.popen = _spawn(child.process, env)
            child.started, child.restart_at = now, None


def serve(env: dict[str, str], processes: tuple[Process, ...] = (*SERVICES, GATEWAY)) -> int:
    """Start `processes`, restart any that dies, and stop them all on SIGINT or SIGTERM."""
    children: list[Child] = []
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        for process in processes:
            children.append(Child(process, _spawn(process, env), time.monotonic()))
            wait_ready(process)
        print(f"\nGateway:  {GATEWAY.url}\nDocs:     {GATEWAY.url}/docs  (ReDoc: {GATEWAY.url}/redoc)")
        print("Sign in:  README.md, 'Sign in' (SMS codes land in the fake gateway's inbox, :8092/_fake/inbox)")
        print("Token:    .venv/bin/python -m gateway.cli token --role platform_admin  (development only)")
        print("Ctrl-C stops every process and the embedded database.\n", flush=True)
        while not stopping:
            supervise_once(children, env, time.monotonic())
            time.sleep(0.3)
        return 0
    finally:
        for child in children:
            if child.popen.poll() is None:
                os.killpg(child.popen.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for child in children:
            try:
                child.popen.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(child.popen.pid, signal.SIGKILL)
                child.popen.wait()
        stop_embedded()
        print("stopped.")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed-only", action="store_true", help="migrate and load demo data, then exit")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="serve only these processes, without set-up")
    args = parser.parse_args()
    database_url = server_url()
    try:
        if args.only:
            chosen = tuple(process for process in (*FAKES, *SERVICES, GATEWAY) if process.name in args.only)
            return serve(platform_environment(database_url), chosen)
        upgrade_all(database_url)
        seed_all(database_url)
        if args.seed_only:
            return 0
        env = platform_environment(database_url)
        # the fakes first: identity's development settings point at them
        fakes = FAKES if env["PLATFORM_ENV"] == "development" else ()
        return serve(env, (*fakes, *SERVICES, GATEWAY))
    finally:
        stop_embedded()


if __name__ == "__main__":
    sys.exit(main())
