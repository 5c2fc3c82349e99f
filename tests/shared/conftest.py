"""A small app built only from shared pieces, over the registry schema's platform tables."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import APIRouter, FastAPI, Request, Response
from pydantic import BaseModel, Field, field_validator
from sqlalchemy.orm import registry as registry_mapper

from registry.database import platform_tables
from shared.app import create_service_app
from shared.auth import CurrentIdentity, Role, allow
from shared.concurrency import set_etag
from shared.db import SessionDep
from shared.errors import NotFound
from shared.i18n import Text
from shared.idempotency import Idempotency
from shared.outbox import event_feed_router, record_event
from shared.settings import PlatformSettings


class Note(BaseModel):
    text: str = Field(min_length=1, max_length=200)
    tags: list[str] = []

    @field_validator("tags")
    @classmethod
    def _no_blank_tags(cls, tags: list[str]) -> list[str]:
        if any(not tag.strip() for tag in tags):
            raise ValueError("tags must not be blank")
        return tags


class IdempotencyRow:
    """The idempotency table mapped to a class, to make the ORM flush happen at commit time."""

    def __init__(self, **values: object) -> None:
        for name, value in values.items():
            setattr(self, name, value)


registry_mapper().map_imperatively(IdempotencyRow, platform_tables.idempotency_key)


def build_app(database_url: str, *, purge_seconds: float | None = None, express_routes: bool = False) -> FastAPI:
    """`purge_seconds`: run the key-expiry task that often, with a zero retention.

    `express_routes`: the note routes are express routes (served without FastAPI's request
    machinery); the HTTP convention tests run against both, so both must answer alike.
    """
    router = APIRouter()

    @router.post("/v1/notes", dependencies=[allow(Role.employee)], status_code=201)
    async def create_note(body: Note, request: Request, session: SessionDep, identity: CurrentIdentity) -> object:
        """Record a note as an outbox event (the 'work'), idempotently."""
        idempotency = Idempotency(session, platform_tables.idempotency_key, request, identity)
        if (replay := await idempotency.begin(body)) is not None:
            return replay
        note_id = uuid.uuid4()
        await record_event(session, platform_tables.outbox_event, "NoteCreated", "note", note_id, body.model_dump())
        return await idempotency.complete({"id": str(note_id)}, headers={"Location": f"/v1/notes/{note_id}"})

    @router.get("/v1/notes/{note_id}", dependencies=[allow(Role.employee)])
    async def get_note(note_id: uuid.UUID) -> None:
        """Always missing: exercises the NotFound problem."""
        raise NotFound(Text("没有这条笔记", "No such note"))

    @router.get("/v1/notes/{note_id}/version", dependencies=[allow(Role.employee)])
    async def note_version(note_id: uuid.UUID, response: Response) -> dict[str, str]:
        """Headers and a status set on the injected `Response` must reach the answer."""
        set_etag(response, 3)
        response.status_code = 203
        return {"id": str(note_id)}

    @router.put("/v1/notes/{key}", dependencies=[allow(Role.employee)])
    async def put_note(key: str, session: SessionDep) -> dict[str, str]:
        """Adds an ORM row that is only flushed at commit, after this handler has returned."""
        session.add(IdempotencyRow(consumer="commit-test", key=key, method="PUT", path="/", request_hash=b"x"))
        return {"status": "written"}

    settings = PlatformSettings(database_url=database_url, environment="test")
    if purge_seconds is not None:
        settings = settings.model_copy(
            update={"idempotency_purge_seconds": purge_seconds, "idempotency_retention_hours": 0.0}
        )
    return create_service_app(
        name="shared-test",
        title="shared test",
        description="",
        settings=settings,
        routers=[router, event_feed_router(platform_tables.outbox_event)],
        idempotency_table=platform_tables.idempotency_key if purge_seconds is not None else None,
        express_routes=[create_note, get_note, note_version, put_note] if express_routes else (),
    )


@pytest.fixture(scope="session", params=["fastapi", "express"])
async def notes(database_url: str, request: pytest.FixtureRequest) -> AsyncIterator[httpx.AsyncClient]:
    app = build_app(database_url, express_routes=request.param == "express")
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://shared.test") as client:
            yield client
