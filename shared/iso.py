"""Strict scalars: dates and datetimes as ISO 8601 / RFC 3339 strings, numbers and integers as JSON
numbers, in bodies and query parameters alike.

Pydantic alone takes `0` or `"0"` as 1970-01-01 (a Unix timestamp), even in strict mode for a string;
these types accept only the textual forms the OpenAPI `date` and `date-time` formats describe.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import BeforeValidator, Strict
from pydantic_core import PydanticCustomError

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

# An integer in a JSON body is an integer literal: lax int takes `1.0`, `"1"` and `true` as 1, and
# strict refuses all three (docs/security.md, "Strict types"). JSON Schema's `integer` still says it.
JsonInt = Annotated[int, Strict()]

_DIGITS = re.compile(r"-?[0-9]+")


def _query_integer(value: Any) -> Any:
    """Decimal digits only: lax int also reads `1.0`, ` 1`, `+1` and `1_0` from a query string."""
    if isinstance(value, str) and _DIGITS.fullmatch(value):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise PydanticCustomError("int_parsing", "Input should be a valid integer")


# An integer in a query or path parameter, which arrives as text: `12`, `-3`; never `1.0` or `true`.
# It goes last, `Annotated[int, Query(ge=1), IntegerText]`: before the bounds, pydantic would wrap
# them and publish `ge` instead of `minimum`.
IntegerText = BeforeValidator(_query_integer)
