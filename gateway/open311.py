"""Open311 clients send the partner key as an `api_key` parameter (query or form body).

The gateway takes it out of the request and treats it exactly like `Authorization: Bearer <key>`,
so services never see a key and the same lookups, revocation and rate limits apply.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from starlette.types import Receive, Scope

from gateway.bodies import read_body, replay
from gateway.partners import keys

PREFIX = "/open311/"
_FORM = b"application/x-www-form-urlencoded"


def _without_api_key(pairs: list[tuple[str, str]]) -> tuple[str | None, list[tuple[str, str]]]:
    key = next((value for name, value in pairs if name == "api_key"), None)
    return key, [(name, value) for name, value in pairs if name != "api_key"]


async def take_api_key(scope: Scope, receive: Receive, max_body: int) -> tuple[str | None, Receive]:
    """Remove `api_key` from the query and a form body; returns it as a Bearer credential, if a partner key."""
    query = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
    key, rest = _without_api_key(query)
    if key is not None:
        scope["query_string"] = urlencode(rest).encode("latin-1")
    headers: list[tuple[bytes, bytes]] = scope["headers"]
    content_type = next((value for name, value in headers if name == b"content-type"), b"")
    if scope["method"] == "POST" and content_type.split(b";")[0].strip().lower() == _FORM:
        body = await read_body(receive, max_body)
        fields = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        body_key, kept = _without_api_key(fields)
        if body_key is not None:
            key = key or body_key
            body = urlencode(kept).encode()
        scope["headers"] = [(name, value) for name, value in headers if name != b"content-length"] + [
            (b"content-length", str(len(body)).encode())
        ]
        receive = replay(body)
    if key is None or not key.startswith(keys.PREFIX):
        return None, receive
    return f"Bearer {key}", receive
