"""Run benchmark scenarios: every `bench/scenario_<name>.py` exposes `main(argv) -> None`.

Each scenario measures its own baseline in the same run and prints ratios against it, so
numbers stay comparable across machines. `python -m bench --list` shows the scenarios.

Without `DATABASE_URL`, every run starts a fresh embedded cluster (`.data/bench-pg`), not the
development one (`.data/pg`): runs on the development cluster once spent four times the
PostgreSQL CPU per submission of fresh clusters on the same code, for a cause not found
(docs/benchmarks.md, "Issue 23, the description search"). One bench at a time per checkout.
"""

from __future__ import annotations

import importlib
import os
import shutil
import sys
import time
from pathlib import Path

BENCH_PGDATA = Path(__file__).resolve().parent.parent / ".data" / "bench-pg"


def scenarios() -> list[str]:
    return sorted(path.stem.removeprefix("scenario_") for path in Path(__file__).parent.glob("scenario_*.py"))


def main(argv: list[str]) -> int:
    if "--list" in argv:
        print("\n".join(scenarios()))
        return 0
    chosen = [name for name in argv if not name.startswith("-")] or scenarios()
    unknown = sorted(set(chosen) - set(scenarios()))
    if unknown:
        print(f"unknown scenario(s): {', '.join(unknown)}; known: {', '.join(scenarios())}", file=sys.stderr)
        return 2
    options = [arg for arg in argv if arg.startswith("-")]
    if not os.environ.get("DATABASE_URL"):
        shutil.rmtree(BENCH_PGDATA, ignore_errors=True)
        os.environ["PLATFORM_PGDATA"] = str(BENCH_PGDATA)  # read by tools.devdb when first imported
    for name in chosen:
        print(f"\n=== {name} ===", flush=True)
        started = time.perf_counter()
        importlib.import_module(f"bench.scenario_{name}").main(options)
        print(f"--- {name}: {time.perf_counter() - started:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
