"""The HTTP conventions every service shares: problems, validation pointers, limits, ids, language."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from shared.auth import Role
from shared.errors import InvalidCursor
from shared.i18n import negotiate_language
from shared.pagination import decode_cursor, encode_cursor
from tests.support.identities import auth, identity

EMPLOYEE = auth(identity(Role.employee))


async def test_validation_errors_point_at_fields_without_echoing_input(notes: httpx.AsyncClient) -> None:
    secret_value = "138-0000-SECRET"
    response = await notes.post("/v1/notes", json={"text": "", "tags": [secret_value, " "]}, headers=EMPLOYEE)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "VALIDATION_FAILED"
    assert problem["status"] == 422 and problem["type"].startswith("urn:binjiang:problem:")
    pointers = {item["pointer"] for item in problem["errors"]}
    assert pointers == {"/text", "/tags"}
    assert secret_value not in response.text
    assert problem["trace_id"]


async def test_not_found_is_a_translated_problem(notes: httpx.AsyncClient) -> None:
    path = "/v1/notes/9b2f7a4e-6a1f-4a53-9a43-1b1d6e0c7f00"
    chinese = await notes.get(path, headers=EMPLOYEE)
    english = await notes.get(path, headers=EMPLOYEE | {"Accept-Language": "en-US,en;q=0.9"})
    assert chinese.status_code == english.status_code == 404
    assert chinese.json()["code"] == english.json()["code"] == "NOT_FOUND"
    assert chinese.json()["title"] == "资源不存在"
    assert english.json()["title"] == "Not found" and english.json()["detail"] == "No such note"


async def test_malformed_path_parameter_names_the_parameter(notes: httpx.AsyncClient) -> None:
    response = await notes.get("/v1/notes/not-a-uuid", headers=EMPLOYEE)
    assert response.status_code == 422
    assert response.json()["errors"][0]["parameter"] == "note_id"


async def test_bodies_over_one_mebibyte_are_refused(notes: httpx.AsyncClient) -> None:
    body = b'{"text": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    response = await notes.post("/v1/notes", content=body, headers=EMPLOYEE | {"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["code"] == "PAYLOAD_TOO_LARGE"


async def test_a_streamed_body_over_one_mebibyte_is_refused_before_anything_else(notes: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(40):
            yield b"x" * 64 * 1024

    # no Content-Length: the limit is found while reading, and wins over the missing identity
    response = await notes.post("/v1/notes", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["code"] == "PAYLOAD_TOO_LARGE"


async def test_request_id_is_echoed_or_created(notes: httpx.AsyncClient) -> None:
    echoed = await notes.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["x-request-id"] == "abc-123"
    invented = await notes.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert invented.headers["x-request-id"] != "bad id with spaces" and len(invented.headers["x-request-id"]) == 32


async def test_a_trace_id_from_traceparent_reaches_the_problem(notes: httpx.AsyncClient) -> None:
    trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    response = await notes.get(
        "/v1/notes/9b2f7a4e-6a1f-4a53-9a43-1b1d6e0c7f00",
        headers=EMPLOYEE | {"traceparent": f"00-{trace}-00f067aa0ba902b7-01"},
    )
    assert response.json()["trace_id"] == trace


async def test_the_service_document_lists_roles_and_problem_schema(notes: httpx.AsyncClient) -> None:
    document = (await notes.get("/openapi.json")).json()
    operation = document["paths"]["/v1/notes"]["post"]
    assert operation["x-roles"] == ["employee"]
    assert {"401", "403"} <= set(operation["responses"])
    assert "Problem" in document["components"]["schemas"]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "zh-CN"),
        ("en", "en"),
        ("zh_CN", "zh-CN"),
        ("zh-Hans-CN,en;q=0.5", "zh-CN"),
        ("fr-FR, en;q=0.8", "en"),
        ("en;q=0.2, zh;q=0.9", "zh-CN"),
        ("de", "zh-CN"),
    ],
)
def test_language_negotiation(header: str | None, expected: str) -> None:
    assert negotiate_language(header) == expected


def test_cursors_round_trip_and_reject_tampering() -> None:
    cursor = encode_cursor(["星光", "2c1d0b0e-0000-4000-8000-000000000000"])
    assert decode_cursor(cursor, 2) == ["星光", "2c1d0b0e-0000-4000-8000-000000000000"]
    with pytest.raises(InvalidCursor):
        decode_cursor(cursor, 3)
    with pytest.raises(InvalidCursor):
        decode_cursor("%%%not-base64", 2)


async def test_a_commit_that_fails_is_never_answered_with_success(notes: httpx.AsyncClient) -> None:
    first = await notes.put("/v1/notes/once", headers=EMPLOYEE)
    assert first.status_code == 200
    # The duplicate key only fails when the unit of work commits, after the handler returned.
    second = await notes.put("/v1/notes/once", headers=EMPLOYEE)
    assert second.status_code == 409
    assert second.json()["code"] == "CONFLICT"


async def test_headers_and_status_set_on_the_response_parameter_reach_the_answer(notes: httpx.AsyncClient) -> None:
    note_id = uuid.uuid4()
    response = await notes.get(f"/v1/notes/{note_id}/version", headers=EMPLOYEE)
    assert response.status_code == 203
    assert response.headers["ETag"] == '"v3"'
    assert response.json() == {"id": str(note_id)}
