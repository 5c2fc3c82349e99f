"""`make run`: database, migrations, demo data, four services and the gateway; Ctrl-C stops it all."""

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

from tools.devdb import ROOT, server_url, stop_embedded
from tools.migrate import upgrade_all
from tools.topology import GATEWAY, REGISTRY, REGISTRY_CONSUMERS, SERVICES, Process

SEED_MODULES = ("registry.seed", "service_requests.seed", "elections.seed", "grid.seed", "gateway.seed")
KEYS_DIR = ROOT / ".data" / "keys"


def seed_all(database_url: str) -> None:
    """Load every service's demo data; each seed is idempotent."""
    for name in SEED_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
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
        GATEWAY_JWT_PUBLIC_KEY_FILE=os.environ.get("GATEWAY_JWT_PUBLIC_KEY_FILE", str(keys.public_key)),
        PYTHONUNBUFFERED="1",
    )
    if env["PLATFORM_ENV"] == "development":
        # A local demo: partners (the README's bank simulator) listen on loopback. Deployments keep
        # the default, which refuses webhook URLs that resolve to loopback or private addresses.
        env.setdefault("REQUESTS_WEBHOOKS_ALLOW_PRIVATE", "true")
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


def serve(env: dict[str, str]) -> int:
    children: list[subprocess.Popen[bytes]] = []
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        for process in (*SERVICES, GATEWAY):
            children.append(subprocess.Popen(process.command(), env=env, cwd=ROOT, start_new_session=True))
            wait_ready(process)
        print(f"\nGateway:  {GATEWAY.url}\nDocs:     {GATEWAY.url}/docs  (ReDoc: {GATEWAY.url}/redoc)")
        print("Token:    .venv/bin/python -m gateway.cli token --role platform_admin")
        print("Ctrl-C stops every process and the embedded database.\n", flush=True)
        while not stopping and all(child.poll() is None for child in children):
            time.sleep(0.3)
        return 0 if stopping else 1
    finally:
        for child in children:
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for child in children:
            try:
                child.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()
        stop_embedded()
        print("stopped.")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed-only", action="store_true", help="migrate and load demo data, then exit")
    args = parser.parse_args()
    database_url = server_url()
    try:
        upgrade_all(database_url)
        seed_all(database_url)
        if args.seed_only:
            return 0
        return serve(platform_environment(database_url))
    finally:
        stop_embedded()


if __name__ == "__main__":
    sys.exit(main())
