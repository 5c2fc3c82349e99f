"""The platform's business calendar: dates are days in Asia/Shanghai (docs/architecture.md, "time")."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

BUSINESS_ZONE = ZoneInfo("Asia/Shanghai")


def business_today() -> dt.date:
    """Today's date in Asia/Shanghai."""
    return dt.datetime.now(BUSINESS_ZONE).date()


def business_date(moment: dt.datetime) -> dt.date:
    """The Asia/Shanghai date of an aware moment."""
    return moment.astimezone(BUSINESS_ZONE).date()
