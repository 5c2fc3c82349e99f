"""Identity fixtures: the app in-process (ASGI) or on a real loopback port (uvicorn in this process),
and accounts with sessions built through the service's own functions."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
import uvicorn
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from bench.harness import free_port
from identity.accounts import service as accounts
from identity.app import create_app
from identity.caller import Caller
from identity.sessions import service as sessions
from identity.sessions.schemas import TokenPair
from identity.settings import Settings
from shared.auth import Role
from shared.uow import unit_of_work
from tests.support.identities import TEST_SECRET

CALLER = Caller(ip="203.0.113.9", user_agent="pytest")


def identity_settings(database_url: str, **overrides: object) -> Settings:
    return Settings.model_validate(
        {"database_url": database_url, "environment": "test", "internal_token_secret": TEST_SECRET, **overrides}
    )


@pytest.fixture(scope="session")
async def identity_service(database_url: str) -> AsyncIterator[FastAPI]:
    app = create_app(identity_settings(database_url))
    async with LifespanManager(app):
        yield app


@pytest.fixture(scope="session")
async def identity_client(identity_service: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=identity_service)
    async with httpx.AsyncClient(transport=transport, base_url="http://identity.test") as client:
        yield client


@dataclass
class SignedIn:
    account_id: uuid.UUID
    pair: TokenPair


async def signed_in(app: FastAPI, *grants: tuple[Role, dict[str, uuid.UUID]], phone: str | None = None) -> SignedIn:
    """An account holding `grants` ((role, scope) pairs) with one session, as a sign-in leaves it."""
    async with unit_of_work(app) as uow:
        account = await accounts.create_account(uow, phone=phone, display_name="测试用户")
        for role, scope in grants:
            await accounts.add_grant(
                uow,
                account.id,
                role,
                granted_by="test",
                source="api",
                source_ip=None,
                **scope,
            )
    async with unit_of_work(app) as uow:
        pair = await sessions.start_session(uow, account.id, "sms", CALLER)
    return SignedIn(account.id, pair)


@contextlib.asynccontextmanager
async def served(app: FastAPI) -> AsyncIterator[str]:
    """`app` served by uvicorn on a free loopback port in this process; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
