"""When a message may go out: urgent at once, the rest outside quiet hours (Asia/Shanghai)."""

from __future__ import annotations

import datetime as dt

from shared.dates import BUSINESS_ZONE


def in_quiet_hours(moment: dt.datetime, start_hour: int, end_hour: int) -> bool:
    hour = moment.astimezone(BUSINESS_ZONE).hour
    if start_hour > end_hour:  # across midnight (22 -> 8)
        return hour >= start_hour or hour < end_hour
    return start_hour <= hour < end_hour


def send_time(moment: dt.datetime, *, urgent: bool, start_hour: int, end_hour: int) -> dt.datetime:
    """`moment` itself, or for a non-urgent message in quiet hours, the hour they end."""
    if urgent or not in_quiet_hours(moment, start_hour, end_hour):
        return moment
    local = moment.astimezone(BUSINESS_ZONE)
    end = local.replace(hour=end_hour, minute=0, second=0, microsecond=0)
    if end <= local:
        end += dt.timedelta(days=1)
    return end.astimezone(dt.UTC)


def backoff_seconds(attempts: int, base: float, cap: float) -> float:
    """5 s, 10 s, 20 s ... after the 1st, 2nd, 3rd failed attempt, capped."""
    return float(min(cap, base * 2.0 ** max(0, attempts - 1)))
