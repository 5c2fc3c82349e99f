"""The direct database URL (LISTEN/NOTIFY, behind a pooler) defaults to the main one."""

from __future__ import annotations

import pytest

from service_requests.settings import Settings

POOLED = "postgresql://app@pooler:5432/app"
DIRECT = "postgresql://app@primary:5432/app"


def test_the_direct_url_defaults_to_the_main_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_DIRECT_URL", raising=False)
    settings = Settings(database_url=POOLED, environment="test")
    assert settings.async_database_direct_url == settings.async_database_url


def test_the_platform_wide_direct_url_and_the_prefixed_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_DIRECT_URL", DIRECT)
    assert Settings(database_url=POOLED, environment="test").async_database_direct_url.endswith("@primary:5432/app")
    monkeypatch.setenv("REQUESTS_DATABASE_DIRECT_URL", "postgresql://app@other:5432/app")
    assert Settings(database_url=POOLED, environment="test").async_database_direct_url.endswith("@other:5432/app")


def test_prepared_statements_are_on_unless_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DB_PREPARED_STATEMENTS", raising=False)
    assert Settings(database_url=POOLED, environment="test").db_prepared_statements is True
    monkeypatch.setenv("DB_PREPARED_STATEMENTS", "false")
    assert Settings(database_url=POOLED, environment="test").db_prepared_statements is False
