"""The end-to-end harness: start platform processes (uvicorn on free loopback ports) and their environment.

Shared by the end-to-end tests (`tests/support/platform.py`, the one session platform) and the
benchmarks (`bench/harness.py` re-exports it). Each process runs in its own session so it can be
stopped with everything it started, and imports this checkout's code (`PYTHONPATH`), not whatever
copy the virtual environment has installed.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from tools.topology import REGISTRY_CONSUMERS, notifications_urls, uvicorn_command

ROOT = Path(__file__).resolve().parent.parent.parent
HOST = "127.0.0.1"
FACTORIES = {
    "registry": "registry.app:create_app",
    "service-requests": "service_requests.app:create_app",
    "elections": "elections.app:create_app",
    "grid": "grid.app:create_app",
    "identity": "identity.app:create_app",
    "notifications": "notifications.app:create_app",
    "gateway": "gateway.app:create_app",
    # the third parties' stand-ins (tools/)
    "fake-wechat": "tools.fake_wechat:create_app",
    "fake-sms": "tools.fake_sms:create_app",
    "fake-oidc": "tools.fake_oidc:create_app",
}
SERVICE_NAMES = ("registry", "service-requests", "elections", "grid", "identity", "notifications")
FAKE_NAMES = ("fake-wechat", "fake-sms", "fake-oidc")
# the import roots of pyproject's `pythonpath`: a process started from a worktree runs that worktree
SOURCE_ROOTS = (
    ".",
    "services/registry",
    "services/service-requests",
    "services/elections",
    "services/grid",
    "services/identity",
    "services/notifications",
)


def source_path() -> str:
    """`PYTHONPATH` for a platform process: this checkout's packages first."""
    roots = [str(ROOT / root) for root in SOURCE_ROOTS]
    inherited = os.environ.get("PYTHONPATH")
    return os.pathsep.join([*roots, inherited] if inherited else roots)


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def wait_http(url: str, timeout: float = 30.0, process: subprocess.Popen[bytes] | None = None) -> None:
    """Wait until `url` answers 200; fail early when the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except (OSError, urllib.error.HTTPError):
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


@dataclass
class PlatformProcess:
    """One uvicorn process; `start()` and `stop()` may be called again to restart it on the same port."""

    name: str
    factory: str
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    log_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="platform-logs-")))
    process: subprocess.Popen[bytes] | None = None
    _log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.log_dir / f"{self.name}.log"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def command(self) -> list[str]:
        return uvicorn_command(self.factory, self.port)

    def start(self, timeout: float = 30.0) -> None:
        """Start and wait for `/healthz`."""
        if self.process is not None and self.process.poll() is None:
            return
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.command(), env=self.env, cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            wait_http(f"{self.url}/healthz", timeout, self.process)
        except Exception as exc:
            self.stop()
            raise RuntimeError(f"{self.name} did not start:\n{self.log_tail()}") from exc

    def kill(self) -> None:
        """SIGKILL the process group at once: no shutdown, no rollback but the database's own."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.stop()

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM the process group, SIGKILL after `timeout`."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def registry_urls(registry_url: str) -> dict[str, str]:
    """Tell every service that reads the registry where it is."""
    return {f"{prefix}_REGISTRY_URL": registry_url for prefix in REGISTRY_CONSUMERS}


def platform_env(
    database_url: str,
    *,
    secret: str,
    public_key: Path,
    upstreams: Mapping[str, str] | None = None,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The environment every process of one platform shares."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        PLATFORM_ENV="test",
        PLATFORM_INTERNAL_SECRET=secret,
        GATEWAY_JWT_PUBLIC_KEY_FILE=str(public_key),
        PYTHONUNBUFFERED="1",
        PYTHONPATH=source_path(),
        LOG_LEVEL="WARNING",
    )
    for prefix in ("REGISTRY", "REQUESTS", "ELECTIONS", "GRID", "IDENTITY", "GATEWAY"):
        env[f"{prefix}_LOG_LEVEL"] = "WARNING"
    # no quiet hours: a test's WeChat message must not wait for 08:00 because CI ran after 22:00 in
    # Shanghai (the hours themselves: tests/notifications/test_channels.py, on a fixed clock)
    env.update(NOTIFICATIONS_QUIET_START_HOUR="0", NOTIFICATIONS_QUIET_END_HOUR="0")
    if upstreams is not None:
        env["GATEWAY_UPSTREAMS"] = json.dumps(dict(upstreams))
        if "registry" in upstreams:
            env.update(registry_urls(upstreams["registry"]))
        if "grid" in upstreams:  # identity asks the grid service which community a grid is in
            env["IDENTITY_GRID_URL"] = upstreams["grid"]
        env.update(notifications_urls(dict(upstreams)))
    env.update(extra or {})
    return env
