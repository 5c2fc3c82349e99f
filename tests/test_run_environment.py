"""What `make run` (tools/run.py) hands every process, by environment, and how it supervises them."""

from __future__ import annotations

import pytest

from tools.run import platform_environment


def test_make_run_allows_loopback_webhooks_only_for_the_local_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REQUESTS_WEBHOOKS_ALLOW_PRIVATE", raising=False)
    monkeypatch.delenv("PLATFORM_ENV", raising=False)
    development = platform_environment("postgresql://demo")
    assert development["PLATFORM_ENV"] == "development"
    assert development["REQUESTS_WEBHOOKS_ALLOW_PRIVATE"] == "true"

    monkeypatch.setenv("PLATFORM_ENV", "production")
    assert "REQUESTS_WEBHOOKS_ALLOW_PRIVATE" not in platform_environment("postgresql://demo")

    monkeypatch.setenv("PLATFORM_ENV", "development")
    monkeypatch.setenv("REQUESTS_WEBHOOKS_ALLOW_PRIVATE", "false")
    assert platform_environment("postgresql://demo")["REQUESTS_WEBHOOKS_ALLOW_PRIVATE"] == "false"
