"""Registry fixtures: the demo data, loaded into this run's database when a test asks for it."""

from __future__ import annotations

import pytest

from registry.seed import seed


@pytest.fixture
async def demo(database_url: str) -> None:
    """The demo seed (removed again after the test, like every table)."""
    await seed(database_url)
