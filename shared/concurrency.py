"""Optimistic concurrency over HTTP: `ETag: "v{n}"` out, `If-Match` required on updates."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Depends, Header, Response

from shared.errors import InvalidRequest, PreconditionFailed, PreconditionRequired
from shared.i18n import Text

_ETAG = re.compile(r'^\s*(?:W/)?"v(\d{1,18})"\s*$')


def etag(version: int) -> str:
    return f'"v{version}"'


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag(version)


async def if_match_version(
    if_match: Annotated[str | None, Header(description='The `ETag` you last saw, e.g. `"v3"`; required')] = None,
) -> int:
    """The version the client expects; 428 when the header is missing."""
    if if_match is None:
        raise PreconditionRequired(Text("修改前请提供 If-Match 版本", "Send If-Match with the ETag you last saw"))
    match = _ETAG.match(if_match)
    if match is None:
        raise InvalidRequest(
            Text('If-Match 格式应为 "v<数字>"', 'If-Match must look like "v<number>"'),
            errors=[{"detail": 'expected "v<number>"', "header": "If-Match"}],
        )
    return int(match.group(1))


def check_version(expected: int, current: int) -> None:
    """412 when the client's version is stale."""
    if expected != current:
        raise PreconditionFailed(
            Text(f"当前版本为 v{current}", f"The current version is v{current}"),
            headers={"ETag": etag(current)},
        )


async def optional_if_match_version(
    if_match: Annotated[
        str | None, Header(description='Replace what exists: its `ETag`, e.g. `"v1"`; omit to create')
    ] = None,
) -> int | None:
    """For a create-or-replace: the version the client expects, or None when it sent no If-Match."""
    return None if if_match is None else await if_match_version(if_match)


IfMatch = Annotated[int, Depends(if_match_version)]
OptionalIfMatch = Annotated[int | None, Depends(optional_if_match_version)]
