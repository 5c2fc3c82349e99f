"""A per-upstream circuit breaker: after N consecutive failures the upstream is skipped for a while.

While open, requests are answered 503 at once. After `open_seconds` one trial request is let
through (half-open); its success closes the breaker, its failure opens it again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import StrEnum

from prometheus_client import Gauge

CIRCUIT_OPEN = Gauge("gateway_circuit_open", "1 while the upstream's circuit breaker is open", ["upstream"])


class State(StrEnum):
    closed = "closed"
    open = "open"
    half_open = "half_open"


class CircuitBreaker:
    def __init__(
        self,
        name: str,
        failure_threshold: int,
        open_seconds: float,
        on_recovered: Callable[[], None] | None = None,
    ) -> None:
        self.name = name
        self.failure_threshold = max(1, failure_threshold)
        self.open_seconds = open_seconds
        self.on_recovered = on_recovered
        self.state = State.closed
        self.failures = 0
        self._opened_at = 0.0
        self._trial_in_flight = False
        self._trial_started = 0.0
        CIRCUIT_OPEN.labels(name).set(0)

    def allow(self) -> bool:
        """Whether a request may go to the upstream now."""
        if self.state is State.closed:
            return True
        if self.state is State.open:
            if time.monotonic() - self._opened_at < self.open_seconds:
                return False
            self.state = State.half_open
            self._trial_in_flight = False
        now = time.monotonic()
        # A trial whose caller vanished never reports back; after a while another may try.
        if self._trial_in_flight and now - self._trial_started < max(1.0, self.open_seconds):
            return False
        self._trial_in_flight = True
        self._trial_started = now
        return True

    def retry_after(self) -> int:
        remaining = self.open_seconds - (time.monotonic() - self._opened_at)
        return max(1, int(remaining + 0.999))

    def record_success(self) -> None:
        if self.state is not State.closed:
            self.state = State.closed
            CIRCUIT_OPEN.labels(self.name).set(0)
            if self.on_recovered is not None:
                self.on_recovered()
        self.failures = 0
        self._trial_in_flight = False

    def record_failure(self) -> None:
        self.failures += 1
        self._trial_in_flight = False
        if self.state is State.half_open or self.failures >= self.failure_threshold:
            self.state = State.open
            self._opened_at = time.monotonic()
            CIRCUIT_OPEN.labels(self.name).set(1)
