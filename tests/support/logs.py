"""Capturing the JSON log lines a test causes."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from typing import Any

import structlog


@contextlib.contextmanager
def json_logs() -> Iterator[io.StringIO]:
    """Logging configured inside this block (`configure_logging`, `create_app`) writes to the buffer.

    The previous set-up is restored afterwards. A logger first used inside keeps its buffer
    (structlog caches it), which stays open, so a later test never writes to a closed stream.
    """
    saved = structlog.get_config()
    buffer = io.StringIO()
    try:
        with contextlib.redirect_stdout(buffer):
            yield buffer
    finally:
        structlog.configure(**saved)


def log_lines(out: io.StringIO, event: str) -> list[dict[str, Any]]:
    """The JSON log lines of one event, in order (other output is skipped)."""
    lines = (json.loads(text) for text in out.getvalue().splitlines() if text.startswith("{"))
    return [line for line in lines if line["event"] == event]
