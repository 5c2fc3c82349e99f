"""Refuse U+0000 in query parameters and bodies before a route sees it (PostgreSQL text cannot hold it).

Without this a NUL reached the database and came back as a 500. Every service and the gateway's
own routes run `RefuseNul` just inside the request context: a NUL in a query parameter is a 422
naming the `parameter`, in a JSON or form body a 422 with the `pointer`; a NUL in the path is a
404 (no resource has one in its id). The input is never echoed. The cost on a clean request is a
substring test of the query string and of the (already small, buffered) body.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.errors import NotFound, ValidationFailed, problem_response
from shared.i18n import Language, Text, negotiate_language

NUL = "\x00"
ERROR_CODE = "NUL_CHARACTER"
_MAX_ITEMS = 20
_STREAMED = (b"multipart/", b"application/octet-stream")  # files may hold any byte
_ITEM = Text("不得包含 U+0000(NUL)字符", "must not contain the character U+0000 (NUL)")
_NAME_ITEM = Text("有成员名包含 U+0000(NUL)字符", "a member name contains the character U+0000 (NUL)")


def _pointer(parts: tuple[str | int, ...]) -> str:
    return "/" + "/".join(str(part).replace("~", "~0").replace("/", "~1") for part in parts)


def query_items(query_string: bytes, language: Language) -> list[dict[str, Any]]:
    """`errors[]` items for the parameters whose name or value holds a NUL (`%00` in the raw query)."""
    if b"%00" not in query_string:
        return []
    items: list[dict[str, Any]] = []
    for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        if NUL in name:  # not a declared name: saying which would echo the input
            items.append({"detail": _NAME_ITEM.render(language), "code": ERROR_CODE})
        elif NUL in value:
            items.append({"detail": _ITEM.render(language), "code": ERROR_CODE, "parameter": name})
    return items[:_MAX_ITEMS]


def json_items(document: Any, language: Language) -> list[dict[str, Any]]:
    """`errors[]` items pointing at every string (or member name) holding a NUL; iterative, for deep nesting."""
    items: list[dict[str, Any]] = []
    pending: list[tuple[tuple[str | int, ...], Any]] = [((), document)]
    while pending and len(items) < _MAX_ITEMS:
        path, value = pending.pop()
        if isinstance(value, str):
            if NUL in value:
                items.append({"detail": _ITEM.render(language), "code": ERROR_CODE, "pointer": _pointer(path)})
        elif isinstance(value, dict):
            for key, member in value.items():
                if NUL in key:
                    items.append({"detail": _NAME_ITEM.render(language), "code": ERROR_CODE, "pointer": _pointer(path)})
                else:
                    pending.append(((*path, key), member))
        elif isinstance(value, list):
            pending.extend(((*path, index), member) for index, member in enumerate(value))
    return sorted(items, key=lambda item: str(item.get("pointer", "")))


def body_items(body: bytes, content_type: bytes, language: Language) -> list[dict[str, Any]]:
    """`errors[]` items for a JSON or form body holding a NUL; [] when it holds none or does not parse."""
    if content_type.startswith(b"application/x-www-form-urlencoded"):
        if b"%00" not in body:
            return []
        fields = parse_qsl(body.decode("latin-1"), keep_blank_values=True)
        return json_items(dict(fields), language) if fields else []
    if b"\\u0000" not in body:  # the only way JSON can carry a NUL
        return []
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:  # the route answers its own 422 for a body that is not JSON
        return []
    return json_items(document, language)


class RefuseNul:
    """Pure ASGI: answer 422 (or 404 for the path) before the app when the request carries a NUL."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        content_type = b""
        language_header = None
        for name, value in scope["headers"]:
            if name == b"content-type":
                content_type = value.lower()
            elif name == b"accept-language":
                language_header = value.decode("latin-1")
        language = negotiate_language(language_header)
        trace_id = (scope.get("state") or {}).get("trace_id")
        if NUL in scope["path"]:
            await problem_response(NotFound(), language, trace_id)(scope, receive, send)
            return
        items = query_items(scope["query_string"], language)
        if scope["method"] in ("GET", "HEAD", "OPTIONS") or content_type.startswith(_STREAMED):
            if items:
                await self._refuse(items, language, trace_id, scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        messages, body = await _buffer(receive)
        items += body_items(body, content_type, language)
        if items:
            await self._refuse(items, language, trace_id, scope, receive, send)
            return
        await self.app(scope, _replay(messages, receive), send)

    @staticmethod
    async def _refuse(
        items: list[dict[str, Any]],
        language: Language,
        trace_id: str | None,
        scope: Scope,
        receive: Receive,
        send: Send,
    ) -> None:
        await problem_response(refusal(items), language, trace_id)(scope, receive, send)


def refusal(items: list[dict[str, Any]]) -> ValidationFailed:
    """The 422 for the fields `query_items` or `body_items` found."""
    return ValidationFailed(Text("请求中有字段含有 NUL 字符", "Some fields contain a NUL character"), errors=items)


async def _buffer(receive: Receive) -> tuple[list[Message], bytes]:
    """Every message of the body (the size limit is enforced by the `receive` given), and the body."""
    messages: list[Message] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            break
    if len(messages) == 1:
        return messages, messages[0].get("body", b"")
    return messages, b"".join(message.get("body", b"") for message in messages)


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(reversed(messages))

    async def replayed() -> Message:
        return pending.pop() if pending else await receive()

    return replayed
