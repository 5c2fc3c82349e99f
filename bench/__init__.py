"""Benchmarks: `make bench` runs every `bench/scenario_*.py`; `make bench ARGS="gateway"` runs one."""
