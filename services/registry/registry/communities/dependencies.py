"""Typed query parameters of the communities routes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import Depends, Query

from shared.dates import business_today
from shared.iso import IsoDate


async def as_of_date(
    as_of: Annotated[IsoDate | None, Query(description="Business date (Asia/Shanghai); today when absent")] = None,
) -> dt.date:
    return as_of or business_today()


AsOf = Annotated[dt.date, Depends(as_of_date)]
