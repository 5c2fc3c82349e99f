"""Open311 clients send the partner key as an `api_key` parameter (query or form body).

The gateway takes it out of the request and treats it exactly like `Authorization: Bearer <key>`,
so services never see a key and the same lookups, revocation and rate limits apply. Reads need no
credentials (GeoReport v2 clients send none); anything refused leaves in the specification's error
array, and a missing or invalid credential is its 403.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from urllib.parse import parse_qsl, urlencode

from starlette.responses import Response
from starlette.types import Receive, Scope

from gateway.authn import InvalidApiKey
from gateway.bodies import read_body, replay
from gateway.partners import keys
from shared.auth import Identity
from shared.errors import Forbidden, ProblemError, Unauthenticated
from shared.i18n import Language, Text
from shared.jsonutil import dumps

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
    if key is None:
        return None, receive
    if not key.startswith(keys.PREFIX):  # only partner keys travel as `api_key`; a token there is refused too
        raise InvalidApiKey()
    return f"Bearer {key}", receive


class CredentialsRequired(Forbidden):
    code = "OPEN311_API_KEY_REQUIRED"
    title = Text("提交请求需要凭证", "Submitting a request needs credentials")


def anonymous_reader(scope: Scope) -> Identity | None:
    """For a read without credentials: the identity its rate limits count against (the client address);
    nothing is forwarded for it. None when the request is not a read, which then needs credentials."""
    if scope["method"] not in ("GET", "HEAD"):
        return None
    client = scope.get("client")
    return Identity(subject=f"anonymous:{client[0] if client else 'unknown'}", roles=frozenset())


def error_response(error: ProblemError, path: str, language: Language) -> Response:
    """`[{"code": 403, "description": "..."}]` (or `<errors>` for `.xml`), with the status kept but 401."""
    status = 403 if isinstance(error, Unauthenticated) else error.status
    description = str(error.to_problem(language, None).get("detail") or error.title.render(language))
    if isinstance(reason := error.extra.get("reason"), str):
        description += f" ({reason})"
    headers = {name: value for name, value in error.headers.items() if name.lower() != "www-authenticate"}
    if path.endswith(".xml"):
        root = ElementTree.Element("errors")
        item = ElementTree.SubElement(root, "error")
        ElementTree.SubElement(item, "code").text = str(status)
        ElementTree.SubElement(item, "description").text = description
        body = b'<?xml version="1.0" encoding="utf-8"?>' + ElementTree.tostring(
            root, encoding="utf-8", xml_declaration=False
        )
        return Response(body, status, headers, media_type="text/xml; charset=utf-8")
    return Response(
        dumps([{"code": status, "description": description}]), status, headers, media_type="application/json"
    )
