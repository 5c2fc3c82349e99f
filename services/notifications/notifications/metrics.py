"""Prometheus metrics of the service (served at `/metrics` with every other process's)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

QUEUED = Counter("notifications_queued_total", "Notifications written, per channel", ["channel"])
SENT = Counter("notifications_sent_total", "WeChat and SMS messages the provider accepted", ["channel"])
FAILED = Counter("notifications_failed_total", "Send attempts that failed and will be retried", ["channel"])
DEAD = Counter("notifications_dead_lettered_total", "Messages given up on (dead-letter list)", ["channel"])
SKIPPED = Counter(
    "notifications_skipped_total", "Messages with nobody to send to (no subscription, openid or phone)", ["channel"]
)
FEED_LAG = Gauge(
    "notifications_feed_lag_seconds", "Age of the last event handled from each feed (0: caught up)", ["feed"]
)
FEED_POSITION = Gauge("notifications_feed_position", "The stored cursor of each feed", ["feed"])
COMMIT_TO_INBOX = Histogram(
    "notifications_commit_to_inbox_seconds",
    "From the event's commit at its source to its first inbox rows",
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0),
)
