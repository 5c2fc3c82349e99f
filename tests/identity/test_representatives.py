"""`enterprise_rep` follows the registry's representative record: a verified phone picks it up,
the account is bound as the record's subject, and a change in the registry's feed moves the grant.

Both services are real apps on one PostgreSQL; identity reaches the registry over HTTP (ASGI)."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import text

from identity.accounts.repository import AccountRepository
from identity.accounts.service import add_grant, on_phone_verified, token_identity
from identity.app import create_app
from identity.representatives.service import feed_consumer
from registry.app import create_app as create_registry
from registry.settings import Settings as RegistrySettings
from shared.auth import Role
from shared.dates import business_today
from shared.uow import unit_of_work
from tests.identity.conftest import identity_settings
from tests.registry.factories import building, community, enterprise
from tests.support.identities import admin, auth, identity

REP_PHONE = "139 0000 2222"
NORMALISED = "+8613900002222"


@dataclass
class Platform:
    registry: httpx.AsyncClient
    identity: FastAPI


@pytest.fixture(scope="module")
async def platform(database_url: str) -> AsyncIterator[Platform]:
    registry_app = create_registry(RegistrySettings(database_url=database_url, environment="test"))
    async with LifespanManager(registry_app):
        transport = httpx.ASGITransport(app=registry_app)
        identity_app = create_app(identity_settings(database_url), registry_transport=transport)
        async with (
            LifespanManager(identity_app),
            httpx.AsyncClient(transport=transport, base_url="http://registry.test") as registry,
        ):
            yield Platform(registry, identity_app)


async def drain_feed(app: FastAPI) -> None:
    """Handle the registry's feed until it is quiet (it holds back events of open transactions)."""
    consumer = feed_consumer(app)
    quiet = 0
    while quiet < 3:
        quiet = 0 if await consumer.poll_once() else quiet + 1
        await asyncio.sleep(0.05)


async def account_with_phone(app: FastAPI, phone: str) -> uuid.UUID:
    """What a sign-in that proved `phone` leaves (SMS and WeChat call the same hook)."""
    async with unit_of_work(app) as uow:
        account_id = await uow.repository(AccountRepository).for_phone(phone)
        await on_phone_verified(uow, account_id)
    return account_id


async def rep_grants(app: FastAPI, account_id: uuid.UUID) -> list[uuid.UUID | None]:
    async with unit_of_work(app) as uow:
        identity = await token_identity(uow, account_id)
    return [identity.enterprise_id] if Role.enterprise_rep in identity.roles else []


async def registered(platform: Platform, **representative: object) -> dict[str, object]:
    body = {"name": "王五", "phone": REP_PHONE, "valid_until": "2027-12-31", **representative}
    return await enterprise(platform.registry, representative=body)


async def test_a_verified_phone_becomes_the_representative_and_is_bound_in_the_registry(platform: Platform) -> None:
    company = await registered(platform)
    await drain_feed(platform.identity)
    account_id = await account_with_phone(platform.identity, NORMALISED)
    assert await rep_grants(platform.identity, account_id) == [uuid.UUID(str(company["id"]))]
    async with unit_of_work(platform.identity) as uow:
        until = await uow.session.scalar(
            text("SELECT valid_until FROM identity.role_grant WHERE account_id = :a"), {"a": account_id}
        )
    assert until == dt.datetime(2028, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))

    read = await platform.registry.get(f"/v1/enterprises/{company['id']}", headers=auth(admin()))
    assert read.json()["representative"]["user_subject"] == str(account_id)
    # the binding comes back through the feed and changes nothing
    await drain_feed(platform.identity)
    assert await rep_grants(platform.identity, account_id) == [uuid.UUID(str(company["id"]))]


async def test_the_representative_s_token_carries_the_enterprise_s_communities(platform: Platform) -> None:
    place = await community(platform.registry)
    tower = await building(platform.registry, place["id"])
    company = await enterprise(platform.registry, tower["id"], representative={"name": "王五", "phone": "13900006666"})
    account_id = await account_with_phone(platform.identity, "+8613900006666")
    async with unit_of_work(platform.identity) as uow:
        who = await token_identity(uow, account_id)
    assert who.enterprise_id == uuid.UUID(str(company["id"]))
    assert who.community_ids == {uuid.UUID(str(place["id"]))}
    # a staff grant elsewhere: the token keeps staff scope only, never the enterprise's community
    elsewhere = uuid.uuid4()
    async with unit_of_work(platform.identity) as uow:
        await add_grant(
            uow,
            account_id,
            Role.community_staff,
            granted_by="test",
            source="api",
            source_ip=None,
            community_id=elsewhere,
        )
    async with unit_of_work(platform.identity) as uow:
        assert (await token_identity(uow, account_id)).community_ids == {elsewhere}


async def test_a_change_in_the_registry_moves_the_grant(platform: Platform) -> None:
    company = await registered(platform)
    await drain_feed(platform.identity)
    first = await account_with_phone(platform.identity, NORMALISED)
    second = await account_with_phone(platform.identity, "+8613900003333")
    assert await rep_grants(platform.identity, second) == []

    current = await platform.registry.get(f"/v1/enterprises/{company['id']}", headers=auth(admin()))
    moved = await platform.registry.put(
        f"/v1/enterprises/{company['id']}/representative",
        json={"name": "赵六", "phone": "13900003333", "valid_until": "2027-06-30"},
        headers={**auth(admin()), "If-Match": current.headers["etag"]},
    )
    assert moved.status_code == 200, moved.text
    await drain_feed(platform.identity)
    assert await rep_grants(platform.identity, first) == []
    assert await rep_grants(platform.identity, second) == [uuid.UUID(str(company["id"]))]
    async with unit_of_work(platform.identity) as uow:
        audit = (
            await uow.session.execute(
                text("SELECT action, account_id FROM identity.audit_record WHERE actor = 'registry' ORDER BY at")
            )
        ).all()
    assert ("role_revoked", first) in audit and ("role_granted", second) in audit


async def test_a_representative_registered_a_moment_ago_signs_in_before_the_feed_brings_the_record(
    platform: Platform,
) -> None:
    company = await registered(platform, phone="+86 139-0000-5555")
    account_id = await account_with_phone(platform.identity, "+8613900005555")  # no feed drained
    assert await rep_grants(platform.identity, account_id) == [uuid.UUID(str(company["id"]))]


async def test_an_expired_record_grants_nothing(platform: Platform) -> None:
    yesterday = business_today() - dt.timedelta(days=1)
    await registered(platform, valid_until=yesterday.isoformat())
    await drain_feed(platform.identity)
    account_id = await account_with_phone(platform.identity, NORMALISED)
    assert await rep_grants(platform.identity, account_id) == []


async def test_concurrent_syncs_leave_one_live_grant(platform: Platform) -> None:
    await registered(platform)
    await drain_feed(platform.identity)
    account_id = await account_with_phone(platform.identity, NORMALISED)

    async def sync() -> None:
        async with unit_of_work(platform.identity) as uow:
            await on_phone_verified(uow, account_id)

    await asyncio.gather(*(sync() for _ in range(6)))
    async with unit_of_work(platform.identity) as uow:
        live = await uow.session.scalar(
            text("SELECT count(*) FROM identity.role_grant WHERE account_id = :a AND revoked_at IS NULL"),
            {"a": account_id},
        )
    assert live == 1


async def test_the_registry_binds_only_the_recorded_phone(platform: Platform) -> None:
    company = await registered(platform)
    wrong = await platform.registry.put(
        f"/internal/enterprises/{company['id']}/representative/subject",
        json={"phone": "13900004444", "user_subject": str(uuid.uuid4())},
        headers=auth(identity(Role.service)),
    )
    assert wrong.status_code == 409 and wrong.json()["code"] == "REPRESENTATIVE_PHONE_MISMATCH"
    for_admin = await platform.registry.put(
        f"/internal/enterprises/{company['id']}/representative/subject",
        json={"phone": REP_PHONE, "user_subject": str(uuid.uuid4())},
        headers=auth(admin()),
    )
    assert for_admin.status_code == 403
