"""Idempotency-Key: concurrent duplicates create one thing and all get the same answer."""

from __future__ import annotations

import asyncio

import httpx

from shared.auth import Role
from tests.support.database import asyncpg_dsn
from tests.support.identities import auth, identity


async def _outbox_count(database_url: str) -> int:
    import asyncpg

    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        return int(await connection.fetchval("SELECT count(*) FROM registry.outbox_event"))
    finally:
        await connection.close()


async def test_fifty_concurrent_duplicates_create_one(notes: httpx.AsyncClient, database_url: str) -> None:
    headers = auth(identity(Role.employee)) | {"Idempotency-Key": "same-key-1"}
    responses = await asyncio.gather(
        *(notes.post("/v1/notes", json={"text": "hello"}, headers=headers) for _ in range(50))
    )
    assert {response.status_code for response in responses} == {201}
    assert len({response.json()["id"] for response in responses}) == 1
    assert sum(response.headers.get("Idempotent-Replayed") == "true" for response in responses) == 49
    assert all(response.headers["Location"].endswith(responses[0].json()["id"]) for response in responses)
    assert await _outbox_count(database_url) == 1


async def test_same_key_different_body_is_refused(notes: httpx.AsyncClient) -> None:
    headers = auth(identity(Role.employee)) | {"Idempotency-Key": "same-key-2"}
    first = await notes.post("/v1/notes", json={"text": "one"}, headers=headers)
    second = await notes.post("/v1/notes", json={"text": "two"}, headers=headers)
    assert first.status_code == 201
    assert second.status_code == 422
    assert second.json()["code"] == "IDEMPOTENCY_KEY_REUSED"


async def test_keys_belong_to_their_caller(notes: httpx.AsyncClient) -> None:
    body = {"text": "mine"}
    first = await notes.post("/v1/notes", json=body, headers=auth(identity(Role.employee)) | {"Idempotency-Key": "k"})
    other = await notes.post("/v1/notes", json=body, headers=auth(identity(Role.employee)) | {"Idempotency-Key": "k"})
    assert first.json()["id"] != other.json()["id"]
    assert "Idempotent-Replayed" not in other.headers


async def test_without_a_key_each_post_creates(notes: httpx.AsyncClient, database_url: str) -> None:
    headers = auth(identity(Role.employee))
    await notes.post("/v1/notes", json={"text": "a"}, headers=headers)
    await notes.post("/v1/notes", json={"text": "a"}, headers=headers)
    assert await _outbox_count(database_url) == 2
