"""Keyset pagination: opaque cursors, `{items, next_cursor}` bodies and RFC 8288 `Link` headers."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, and_, literal, or_, tuple_

from shared.errors import InvalidCursor
from shared.i18n import Text
from shared.iso import IntegerText
from shared.jsonutil import dumps, loads

DEFAULT_LIMIT = 20
MAX_LIMIT = 100

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size (1-100)"), IntegerText]
Cursor = Annotated[str | None, Query(max_length=512, description="Opaque cursor from `next_cursor`")]


ItemT = TypeVar("ItemT")


class Page(BaseModel, Generic[ItemT]):
    """One page of a list; `next_cursor` is absent on the last page."""

    items: list[ItemT]
    next_cursor: str | None = Field(default=None, description="Pass as `cursor` for the next page")


def encode_cursor(values: Sequence[Any]) -> str:
    """Encode the sort key of the last row returned."""
    return base64.urlsafe_b64encode(dumps([str(value) for value in values])).decode().rstrip("=")


def decode_cursor(cursor: str, size: int) -> list[str]:
    """Decode a cursor into `size` string values; 400 INVALID_CURSOR when it is not ours."""
    try:
        values = loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError) as exc:
        raise InvalidCursor(
            Text("游标无法解析", "The cursor cannot be decoded"),
            errors=[{"detail": "malformed cursor", "parameter": "cursor"}],
        ) from exc
    if not isinstance(values, list) or len(values) != size or not all(isinstance(v, str) for v in values):
        raise InvalidCursor(
            Text("游标与当前排序不符", "The cursor does not match this listing"),
            errors=[{"detail": "cursor does not match the sort", "parameter": "cursor"}],
        )
    return values


def decode_keyset(cursor: str | None, *parsers: Callable[[str], Any]) -> tuple[Any, ...] | None:
    """Decode a cursor into typed sort-key values, one parser per key (`dt.datetime.fromisoformat`,
    `uuid.UUID`, ...); 400 INVALID_CURSOR when a value does not parse, so a tampered cursor is never a 500."""
    if cursor is None:
        return None
    raw = decode_cursor(cursor, len(parsers))
    try:
        return tuple(parse(value) for parse, value in zip(parsers, raw, strict=True))
    except ValueError as exc:
        raise InvalidCursor(
            Text("游标无法解析", "The cursor cannot be decoded"),
            errors=[{"detail": "malformed cursor", "parameter": "cursor"}],
        ) from exc


def after_keyset(
    columns: Sequence[ColumnElement[Any]], values: Sequence[Any], descending: Sequence[bool]
) -> ColumnElement[bool]:
    """The WHERE clause selecting rows strictly after `values` in the given column order.

    With one direction for every key it is a row comparison, which an index on the keys can seek to.
    """
    if len(set(descending)) == 1:
        keys = tuple_(*columns)
        after = tuple_(*(literal(value, type_=column.type) for column, value in zip(columns, values, strict=True)))
        return keys < after if descending[0] else keys > after
    clauses: list[ColumnElement[bool]] = []
    for index, column in enumerate(columns):
        equal_prefix = [columns[i] == values[i] for i in range(index)]
        step = column < values[index] if descending[index] else column > values[index]
        clauses.append(and_(*equal_prefix, step))
    return or_(*clauses)


def link_next(request: Request, response: Response, next_cursor: str | None) -> None:
    """Set `Link: <...>; rel="next"` when there is another page."""
    if next_cursor is not None:
        url = request.url.include_query_params(cursor=next_cursor)
        response.headers["Link"] = f'<{url.path}?{url.query}>; rel="next"'
