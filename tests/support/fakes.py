"""The fake third parties of `tools/` (WeChat, Aliyun SMS, an OIDC provider) as real uvicorn processes.

    with fake_server("fake_wechat") as url:   # "http://127.0.0.1:<free port>"
        ...

`start_fake` / `stop_fake` do the same for a fixture that keeps the `FakeServer` (its log, `reset()`).

Each runs `python -m tools.<name> --port <free port>` from the repository root, is ready when
`/healthz` answers, and is stopped when the block ends. Its output goes to a log file beside it
(`FakeServer.log_tail()` for a failure message), never to the test's output.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.harness import free_port

ROOT = Path(__file__).resolve().parents[2]
FAKES = ("fake_wechat", "fake_sms", "fake_oidc")


@dataclass
class FakeServer:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def reset(self) -> None:
        """Forget every code, user, message and counter (the OIDC provider keeps its keys)."""
        httpx.post(self.url + "/_fake/reset", timeout=5).raise_for_status()


def start_fake(name: str, *, env: dict[str, str] | None = None, timeout: float = 30.0) -> FakeServer:
    """Start `tools.<name>` on a free loopback port and wait until it answers."""
    if name not in FAKES:
        raise ValueError(f"unknown fake {name!r}; one of {', '.join(FAKES)}")
    port = free_port()
    log_path = Path(tempfile.mkdtemp(prefix=f"{name}-")) / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", f"tools.{name}", "--port", str(port)],
            cwd=ROOT,
            env={**os.environ, **(env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = FakeServer(name=name, url=f"http://127.0.0.1:{port}", process=process, log_path=log_path)
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(server.url + "/healthz", timeout=1.0).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            stop_fake(server)
            raise RuntimeError(f"{name} did not start (exit code {process.poll()}):\n{server.log_tail()}")
        time.sleep(0.05)


def stop_fake(server: FakeServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@contextlib.contextmanager
def fake_server(name: str, *, env: dict[str, str] | None = None) -> Iterator[str]:
    """The base URL of a fake running for the block; stopped afterwards, whatever happened."""
    server = start_fake(name, env=env)
    try:
        yield server.url
    finally:
        stop_fake(server)
