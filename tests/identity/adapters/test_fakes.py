"""`tests/support/fakes.py`: a fake runs as its own process for the block, and is gone after it."""

from __future__ import annotations

import httpx
import pytest

from tests.support.fakes import fake_server


def test_a_fake_answers_inside_the_block_and_is_stopped_after_it() -> None:
    with fake_server("fake_sms") as url:
        assert httpx.get(url + "/healthz", timeout=5).json() == {"status": "ok"}
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/healthz", timeout=5)


def test_an_unknown_fake_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown fake 'fake_bank'"), fake_server("fake_bank"):
        pass
