"""The curl walk of docs/deliberation.md, run verbatim (but for the paths) through the session's platform:
an election certified, the committee formed, a proposal supported past its threshold, a meeting with
quorum adopting it by named votes, the action tracked to done, approved minutes refused a change, and a
consultation of the community's enterprises answered, closed and counted."""

from __future__ import annotations

import asyncio
import os
import sys

import pytest

from tests.e2e.conftest import RunningPlatform
from tests.e2e.test_readme_tour import readme_block
from tests.support.harness import source_path
from tools.devdb import ROOT

pytestmark = pytest.mark.e2e


def walk_script(platform: RunningPlatform) -> str:
    script = readme_block("# Deliberation walk", "docs/deliberation.md")
    script = script.replace("http://127.0.0.1:8000", platform.gateway_url)
    script = script.replace("PY=.venv/bin/python", f"PY={sys.executable}")  # a worktree has no .venv of its own
    return script.replace(
        'TOKEN="$PY -m gateway.cli token"', f'TOKEN="$PY -m gateway.cli token --key-dir {platform.private_key.parent}"'
    )


async def test_the_deliberation_walk_runs(platform: RunningPlatform) -> None:
    (ROOT / ".data").mkdir(exist_ok=True)
    process = await asyncio.create_subprocess_exec(
        "bash",
        "-c",
        "set -euo pipefail\n" + walk_script(platform),
        cwd=ROOT,
        env={**os.environ, "PLATFORM_ENV": "development", "PYTHONPATH": source_path()},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), 240)
    text = output.decode()
    assert process.returncode == 0, text
    assert text.splitlines() == [
        "5",
        "3",
        "5",
        "1",
        "open",
        "2",
        "open",
        "3",
        "threshold_reached",
        "ALREADY_SUPPORTED",
        "NO_QUORUM",
        "NOT_COMMITTEE_MEMBER",
        "5",
        "true",
        "adopted",
        "5",
        "in_progress",
        "done",
        "done",
        "2",
        "decided",
        "MINUTES_APPROVED",
        "open",
        *["enterprise"] * 5,
        "ALREADY_ANSWERED",
        "CONSULTATION_NOT_CLOSED",
        "closed",
        "5",
        "{",
        '  "tower": 3,',
        '  "complex": 2',
        "}",
    ], text
