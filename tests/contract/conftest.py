"""The contract gate runs against the real platform of the end-to-end tests (four services and the
gateway as processes over loopback), reusing that fixture rather than building another."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import platform  # noqa: F401  (the session fixture, shared with tests/e2e)


def pytest_runtest_setup(item: pytest.Item) -> None:
    """schemathesis' lazy loader renames the running node through `_nodeid`, which pytest 9 no
    longer has; giving it one keeps the per-operation labels in its failure reports."""
    if not hasattr(item, "_nodeid"):
        item._nodeid = item.nodeid  # type: ignore[attr-defined]
