"""Dates and datetimes as strict ISO 8601 / RFC 3339 strings, in bodies and query parameters alike.

Pydantic alone takes `0` or `"0"` as 1970-01-01 (a Unix timestamp), even in strict mode for a string;
these types accept only the textual forms the OpenAPI `date` and `date-time` formats describe.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import BeforeValidator, Strict

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:[Zz]|[+-]\d{2}:?\d{2})?")


def _iso_date(value: Any) -> Any:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and _DATE.fullmatch(value):
        return value
    raise ValueError("expected an ISO 8601 date string, YYYY-MM-DD")


def _iso_datetime(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and _DATETIME.fullmatch(value):
        return value
    raise ValueError("expected an RFC 3339 date-time string, e.g. 2026-01-31T09:30:00Z")


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
IsoDateTime = Annotated[dt.datetime, BeforeValidator(_iso_datetime)]

# A JSON number: pydantic's lax float takes `false` as 0.0 and "1" as 1.0 (FastAPI validates bodies
# in python mode); strict still takes an integer.
JsonNumber = Annotated[float, Strict()]


def _json_integer(value: Any) -> Any:
    """A JSON integer (JSON Schema counts 2.0 as one), never a string or a boolean."""
    if isinstance(value, bool) or isinstance(value, str):
        raise ValueError("expected an integer, not a string or a boolean")
    return value


JsonInt = Annotated[int, BeforeValidator(_json_integer)]
