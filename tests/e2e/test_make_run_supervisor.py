"""`make run`'s supervisor: a killed process is restarted with backoff, the others keep serving, Ctrl-C stops all.

Real processes on free loopback ports (`python -m tools.run --only registry grid`).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable

import pytest

from tests.support.harness import free_port


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def _until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


@pytest.mark.e2e
def test_make_run_restarts_a_killed_process_and_stops_everything_on_ctrl_c(database_url: str) -> None:
    ports = {"registry": free_port(), "grid": free_port()}
    env = dict(
        os.environ, DATABASE_URL=database_url, REGISTRY_PORT=str(ports["registry"]), GRID_PORT=str(ports["grid"])
    )
    launcher = subprocess.Popen(
        [sys.executable, "-m", "tools.run", "--only", "registry", "grid"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,  # as a terminal would: its own process group, apart from the test run's
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(launcher.stdout.readline, "")), daemon=True)  # type: ignore[union-attr]
    reader.start()
    try:
        _until(lambda: all(_answers(port) for port in ports.values()), 60, "the two processes did not start")
        _until(
            lambda: any(line.startswith("Ctrl-C stops") for line in lines), 60, "the launcher is not supervising yet"
        )
        [grid_pid] = [int(line.split("pid ")[1].rstrip(")\n")) for line in lines if line.startswith("started grid")]
        os.kill(grid_pid, signal.SIGKILL)
        _until(lambda: not _answers(ports["grid"]), 10, "the killed grid still answers")
        assert _answers(ports["registry"])  # the others keep serving
        _until(lambda: _answers(ports["grid"]), 60, "the grid was not restarted")
        assert _answers(ports["registry"])
        assert any(line.startswith("grid exited (-9); restarting in") for line in lines), lines
        assert sum(line.startswith("started grid") for line in lines) == 2
        launcher.send_signal(signal.SIGINT)
        assert launcher.wait(30) == 0
    finally:
        if launcher.poll() is None:
            launcher.kill()
            launcher.wait()
        reader.join(10)
        assert launcher.stdout is not None
        launcher.stdout.close()
    assert not any(_answers(port) for port in ports.values())
