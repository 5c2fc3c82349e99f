"""A corpus of bad input sent to every operation of the merged OpenAPI through the real gateway
(issue 15, "The gate"): no answer is a 5xx, every error is Problem Details (Open311's own error
array under /open311), and nothing sent comes back in the body."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.contract.gate import served_document
from tests.contract.openapi_document import operations, plausible, resolve
from tests.e2e.conftest import RunningPlatform
from tests.support.identities import admin

pytestmark = pytest.mark.e2e

MARK = "Zq7echo"  # in every bad value: an answer that contains it echoed the input
PROBLEM_JSON = "application/problem+json"


@dataclass
class Attempt:
    label: str
    query: dict[str, str] = field(default_factory=dict)
    raw_query: bytes | None = None
    path_value: str | None = None
    content: bytes | None = None
    content_type: str = "application/json"


QUERY_VALUES = {
    "NUL": f"{MARK}\x00",
    "huge number": "9" * 400,
    "overlong string": MARK + "x" * 4_000,
    "huge page size": "1000000000000",
    "negative": "-1",
}
# Sent in one body property at a time, the others plausible (a bad value elsewhere must not be
# what answers first, as it did when every property was bad at once and hid a NUL in a search string).
BODY_VALUES = {
    "NUL": f'"{MARK}\\u0000"'.encode(),
    "huge number": b"9" * 500,
    "1e999": b"1e999",
    "overlong string": f'"{MARK}{"x" * 60_000}"'.encode(),
}


def _query_attempts(document: dict[str, Any], parameters: list[dict[str, Any]]) -> Iterator[Attempt]:
    """Each query parameter bad on its own, the required others plausible."""
    query = [parameter for parameter in parameters if parameter["in"] == "query"]
    required = {p["name"]: str(plausible(document, p.get("schema", {}))) for p in query if p.get("required")}
    names = [parameter["name"] for parameter in query] or ["unknown_parameter"]
    for name in names:
        for label, value in QUERY_VALUES.items():
            yield Attempt(f"query {name} {label}", query=required | {name: value})
        others = "".join(f"&{key}={value}" for key, value in required.items() if key != name)
        yield Attempt(f"query {name} invalid UTF-8", raw_query=f"{name}=%ff%fe{MARK}{others}".encode())


def _deep(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


def _body_attempts(document: dict[str, Any], operation: dict[str, Any]) -> Iterator[Attempt]:
    schema = resolve(
        document, operation["requestBody"].get("content", {}).get("application/json", {}).get("schema", {})
    )
    properties = list(schema.get("properties", {})) or ["field"]
    base = plausible(document, schema) if schema.get("properties") else {}
    base = base if isinstance(base, dict) else {}
    for name in properties:
        others = json.dumps({key: value for key, value in base.items() if key != name}, ensure_ascii=False).encode()
        for label, value in BODY_VALUES.items():
            bad = f'"{name}":'.encode() + value
            content = b"{" + bad + (b"," + others[1:] if others != b"{}" else b"}")
            yield Attempt(f"body {name} {label}", content=content)
        invalid = f'"{name}":"'.encode() + b"\xff\xfe" + MARK.encode() + b'"'
        yield Attempt(
            f"body {name} invalid UTF-8", content=b"{" + invalid + (b"," + others[1:] if others != b"{}" else b"}")
        )
    strings = ",".join(f'"{name}":"{MARK}\\u0000"' for name in properties).encode()
    yield Attempt("body deep nesting", content=_deep(10_000))
    yield Attempt("body deep array", content=b"[" * 10_000 + b"]" * 10_000)
    yield Attempt("body not JSON", content=f"{MARK}{{".encode())
    yield Attempt("body as text/plain", content=b"{" + strings + b"}", content_type="text/plain")
    yield Attempt("body as XML", content=f"<a>{MARK}</a>".encode(), content_type="application/xml")
    yield Attempt("body as form", content=f"a={MARK}".encode(), content_type="application/x-www-form-urlencoded")


def _path_attempts() -> Iterator[Attempt]:
    yield Attempt("path NUL", path_value=f"{MARK}%00")
    yield Attempt("path invalid UTF-8", path_value=f"%ff%fe{MARK}")
    yield Attempt("path overlong", path_value=MARK + "x" * 5000)


def _concrete(path: str, parameters: list[dict[str, Any]], override: str | None) -> str:
    for parameter in parameters:
        if parameter["in"] == "path":
            value = override or (str(uuid.uuid4()) if parameter["schema"].get("format") == "uuid" else "json")
            path = path.replace("{" + parameter["name"] + "}", value)
    return path


def _corpus(document: dict[str, Any]) -> Iterator[tuple[str, str, Attempt]]:
    for path, method, operation in operations(document):
        parameters = operation.get("parameters", [])
        attempts: list[Attempt] = [*_query_attempts(document, parameters)]
        if "requestBody" in operation:
            attempts += _body_attempts(document, operation)
        if any(parameter["in"] == "path" for parameter in parameters):
            attempts += _path_attempts()
        for attempt in attempts:
            yield method, _concrete(path, parameters, attempt.path_value), attempt


def _wrong(method: str, url: str, attempt: Attempt, answer: httpx.Response) -> str | None:
    where = f"{method.upper()} {url[:120]} ({attempt.label}): {answer.status_code}"
    if answer.status_code >= 500:
        return f"{where} {answer.text[:200]}"
    if MARK in answer.text:
        return f"{where} echoes the input"
    media = answer.headers.get("content-type", "").split(";")[0]
    open311 = ("application/json", "text/xml", PROBLEM_JSON)  # the gateway's own errors are Problem Details
    expected = open311 if url.startswith("/open311/") else (PROBLEM_JSON,)
    if answer.status_code >= 400 and media not in expected:
        return f"{where} answered as {media!r}"
    return None


async def test_no_bad_input_gets_a_5xx_an_echo_or_a_non_problem_answer(platform: RunningPlatform) -> None:
    document = served_document(platform.gateway_url)
    wrong: list[str] = []
    sent = 0
    async with platform.client(timeout=30) as client:
        for method, path, attempt in _corpus(document):
            headers = platform.auth(admin())  # a fresh subject: the rate limit is per consumer
            url = path
            if attempt.raw_query is not None:
                url = f"{path}?{attempt.raw_query.decode()}"
            request = client.build_request(
                method.upper(),
                url,
                params=attempt.query or None,
                content=attempt.content,
                headers={**headers, **({"Content-Type": attempt.content_type} if attempt.content else {})},
            )
            answer = await client.send(request)
            sent += 1
            assert answer.status_code != 429, "the corpus must reach validation, not the rate limit"
            problem = _wrong(method, path, attempt, answer)
            if problem:
                wrong.append(problem)
    assert sent > 1000
    assert wrong == [], f"{len(wrong)} of {sent}:\n" + "\n".join(wrong[:80])
