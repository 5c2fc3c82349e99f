"""GC tuning of serving processes, checked in child processes (it would freeze the test runner's heap)."""

from __future__ import annotations

import os
import subprocess
import sys

PROBE = (
    "import gc; from shared.runtime import settle_heap; settle_heap(); "
    "print(gc.get_threshold()[0], gc.get_freeze_count() > 0)"
)


def _probe(tuning: str | None) -> str:
    env = {key: value for key, value in os.environ.items() if key != "PLATFORM_GC_TUNING"}
    if tuning is not None:
        env["PLATFORM_GC_TUNING"] = tuning
    return subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True).stdout


def test_a_serving_process_freezes_its_startup_heap_and_collects_less_often() -> None:
    assert _probe(None).split() == ["20000", "True"]


def test_the_tuning_can_be_turned_off() -> None:
    assert _probe("false").split() == ["700", "False"]
