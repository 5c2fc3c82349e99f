"""Idempotency-Key: concurrent duplicates create one thing and all get the same answer."""

from __future__ import annotations

import asyncio
import datetime as dt

import httpx
from asgi_lifespan import LifespanManager
from sqlalchemy import text

from registry.database import platform_tables
from shared.auth import Role
from shared.db import create_engine
from shared.idempotency import purge_expired_keys
from shared.settings import PlatformSettings
from tests.shared.conftest import build_app
from tests.support.database import row_count
from tests.support.identities import auth, identity


async def test_fifty_concurrent_duplicates_create_one(notes: httpx.AsyncClient, database_url: str) -> None:
    headers = auth(identity(Role.employee)) | {"Idempotency-Key": "same-key-1"}
    responses = await asyncio.gather(
        *(notes.post("/v1/notes", json={"text": "hello"}, headers=headers) for _ in range(50))
    )
    assert {response.status_code for response in responses} == {201}
    assert len({response.json()["id"] for response in responses}) == 1
    assert sum(response.headers.get("Idempotent-Replayed") == "true" for response in responses) == 49
    assert all(response.headers["Location"].endswith(responses[0].json()["id"]) for response in responses)
    assert await row_count(database_url, "registry.outbox_event") == 1


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
    assert await row_count(database_url, "registry.outbox_event") == 2


async def test_keys_older_than_the_retention_are_purged_in_batches(notes: httpx.AsyncClient, database_url: str) -> None:
    caller = identity(Role.employee)
    for number in range(7):
        headers = auth(caller) | {"Idempotency-Key": f"old-{number}"}
        assert (await notes.post("/v1/notes", json={"text": f"n{number}"}, headers=headers)).status_code == 201
    kept = auth(caller) | {"Idempotency-Key": "fresh"}
    fresh = await notes.post("/v1/notes", json={"text": "fresh"}, headers=kept)
    engine = create_engine(PlatformSettings(database_url=database_url).async_database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "UPDATE registry.idempotency_key SET created_at = now() - interval '25 hours'"
                    " WHERE key LIKE 'old-%'"
                )
            )
        cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(hours=24)
        deleted = await purge_expired_keys(engine, platform_tables.idempotency_key, cutoff, batch=3)
        async with engine.connect() as connection:
            left = (await connection.execute(text("SELECT key FROM registry.idempotency_key"))).scalars().all()
    finally:
        await engine.dispose()
    assert deleted == 7
    assert left == ["fresh"]
    replay = await notes.post("/v1/notes", json={"text": "fresh"}, headers=kept)
    assert replay.headers["idempotent-replayed"] == "true" and replay.json() == fresh.json()


async def test_a_service_app_expires_keys_in_the_background(database_url: str) -> None:
    app = build_app(database_url, purge_seconds=0.05)
    headers = auth(identity(Role.employee)) | {"Idempotency-Key": "short-lived"}
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://shared.test") as client:
            first = await client.post("/v1/notes", json={"text": "once"}, headers=headers)
            for _ in range(100):
                if await row_count(database_url, "registry.idempotency_key") == 0:
                    break
                await asyncio.sleep(0.05)
            again = await client.post("/v1/notes", json={"text": "once"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert "Idempotent-Replayed" not in again.headers  # the key was forgotten, so the POST ran again
    assert again.json()["id"] != first.json()["id"]
