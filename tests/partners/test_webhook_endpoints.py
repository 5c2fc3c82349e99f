"""`/v1/webhook-endpoints`: secret shown once, rotation with overlap, disable, messages, redelivery."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from aiohttp import web
from standardwebhooks import Webhook

from service_requests.database import webhook_tables
from service_requests.settings import Settings
from service_requests.webhooks.delivery import enqueue
from shared.db import create_engine, create_sessionmaker
from tests.partners.conftest import partner
from tests.support.identities import auth

BASE = "/v1/webhook-endpoints"


class Receiver:
    def __init__(self) -> None:
        self.deliveries: list[tuple[dict[str, str], bytes]] = []
        self.status = 204

    async def handle(self, request: web.Request) -> web.Response:
        self.deliveries.append((dict(request.headers), await request.read()))
        return web.Response(status=self.status)


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    target = Receiver()
    app = web.Application()
    app.router.add_post("/hook", target.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield target, f"http://127.0.0.1:{port}/hook"
    finally:
        await runner.cleanup()


async def register(client: httpx.AsyncClient, who: dict[str, str], url: str, **extra: object) -> httpx.Response:
    return await client.post(BASE, json={"url": url, **extra}, headers=who)


async def emit(database_url: str, owner_id: uuid.UUID, event_type: str, data: dict[str, object]) -> None:
    engine = create_engine(Settings(database_url=database_url).async_database_url)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            await enqueue(
                session,
                webhook_tables,
                owner_id=owner_id,
                event_type=event_type,
                data=data,
                occurred_at=dt.datetime.now(dt.UTC),
            )
    finally:
        await engine.dispose()


async def test_the_secret_is_shown_once_and_never_in_reads(partner_requests_app: httpx.AsyncClient) -> None:
    bank = auth(partner())
    created = await register(partner_requests_app, bank, "https://bank.example/hook", event_types=["RequestRouted"])
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["secret"].startswith("whsec_")
    read = await partner_requests_app.get(f"{BASE}/{body['id']}", headers=bank)
    assert read.status_code == 200
    assert "secret" not in read.json()
    assert read.headers["etag"] == '"v1"'
    listed = await partner_requests_app.get(BASE, headers=bank)
    assert [item["id"] for item in listed.json()] == [body["id"]]
    assert "secret" not in listed.json()[0]


async def test_another_partner_cannot_see_or_change_my_endpoint(partner_requests_app: httpx.AsyncClient) -> None:
    mine, theirs = auth(partner()), auth(partner())
    created = (await register(partner_requests_app, mine, "https://bank.example/hook")).json()
    endpoint = f"{BASE}/{created['id']}"
    assert (await partner_requests_app.get(endpoint, headers=theirs)).status_code == 404
    assert (await partner_requests_app.get(BASE, headers=theirs)).json() == []
    changing = {**theirs, "If-Match": '"v1"'}
    assert (await partner_requests_app.post(f"{endpoint}/rotate-secret", headers=changing)).status_code == 404
    assert (await partner_requests_app.post(f"{endpoint}/disable", headers=changing)).status_code == 404
    assert (await partner_requests_app.get(f"{endpoint}/messages", headers=theirs)).status_code == 404
    redeliver = await partner_requests_app.post(f"{endpoint}/messages/msg_x/redeliver", headers=theirs)
    assert redeliver.status_code == 404
    assert (await partner_requests_app.get(endpoint, headers=mine)).json()["disabled_at"] is None


async def test_only_partners_may_manage_webhook_endpoints(partner_requests_app: httpx.AsyncClient) -> None:
    from tests.support.identities import admin

    assert (await partner_requests_app.get(BASE, headers=auth(admin()))).status_code == 403
    assert (await partner_requests_app.get(BASE)).status_code == 401


async def test_loopback_urls_are_refused_unless_allowed(requests_app: httpx.AsyncClient) -> None:
    refused = await register(requests_app, auth(partner()), "http://127.0.0.1:9/hook")
    assert refused.status_code == 422
    assert refused.json()["code"] == "WEBHOOK_URL_NOT_ALLOWED"
    assert refused.json()["errors"][0]["pointer"] == "/url"
    for url in (
        "https://10.0.0.7/hook",
        "https://localhost/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://2130706433/",
    ):
        private = await register(requests_app, auth(partner()), url)
        assert private.status_code == 422, url
        assert private.headers["content-type"] == "application/problem+json"
        assert private.json()["code"] == "WEBHOOK_URL_NOT_ALLOWED"
        assert private.json()["errors"] == [{"detail": "webhook URL refused", "pointer": "/url"}]
        assert url not in private.text


def test_private_webhook_urls_cannot_be_allowed_in_production() -> None:
    with pytest.raises(ValueError, match="REQUESTS_WEBHOOKS_ALLOW_PRIVATE"):
        Settings(environment="production", webhooks_allow_private=True, internal_token_secret="x" * 40)
    assert not Settings(environment="production", internal_token_secret="x" * 40).webhooks_allow_private


async def test_rotation_needs_if_match_and_signs_with_both_secrets_for_a_day(
    partner_requests_app: httpx.AsyncClient, receiver: tuple[Receiver, str], database_url: str
) -> None:
    target, url = receiver
    who = partner()
    bank = auth(who)
    created = (await register(partner_requests_app, bank, url)).json()
    endpoint = f"{BASE}/{created['id']}"
    assert (await partner_requests_app.post(f"{endpoint}/rotate-secret", headers=bank)).status_code == 428
    stale = await partner_requests_app.post(f"{endpoint}/rotate-secret", headers={**bank, "If-Match": '"v7"'})
    assert stale.status_code == 412
    rotated = await partner_requests_app.post(f"{endpoint}/rotate-secret", headers={**bank, "If-Match": '"v1"'})
    assert rotated.status_code == 200, rotated.text
    new_secret = rotated.json()["secret"]
    assert new_secret != created["secret"]
    expires = dt.datetime.fromisoformat(rotated.json()["previous_secret_expires_at"])
    assert dt.timedelta(hours=23, minutes=59) < expires - dt.datetime.now(dt.UTC) <= dt.timedelta(hours=24)

    assert who.partner_id is not None
    await emit(database_url, who.partner_id, "RequestRouted", {"request_id": "r-1"})
    for _ in range(100):
        if target.deliveries:
            break
        await asyncio.sleep(0.05)
    headers, body = target.deliveries[0]
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (created["secret"], new_secret):
        payload = Webhook(secret).verify(body, headers)
        assert payload["type"] == "RequestRouted"
        assert payload["data"] == {"request_id": "r-1"}


async def test_messages_list_their_attempts_and_can_be_redelivered(
    partner_requests_app: httpx.AsyncClient, receiver: tuple[Receiver, str], database_url: str
) -> None:
    target, url = receiver
    target.status = 500
    who = partner()
    bank = auth(who)
    created = (await register(partner_requests_app, bank, url)).json()
    endpoint = f"{BASE}/{created['id']}"
    assert who.partner_id is not None
    await emit(database_url, who.partner_id, "RequestTransitioned", {"status": "accepted"})
    messages: list[dict[str, object]] = []
    for _ in range(100):
        messages = (await partner_requests_app.get(f"{endpoint}/messages", headers=bank)).json()
        if messages and messages[0]["attempt_log"] and messages[0]["last_status_code"] == 500:
            break
        await asyncio.sleep(0.05)
    first = messages[0]
    assert first["status"] == "pending"
    assert first["last_status_code"] == 500
    attempt_log = first["attempt_log"]
    assert isinstance(attempt_log, list)
    assert {attempt["status_code"] for attempt in attempt_log} == {500}

    target.status = 204
    again = await partner_requests_app.post(f"{endpoint}/messages/{first['id']}/redeliver", headers=bank)
    assert again.status_code == 202
    for _ in range(100):
        messages = (await partner_requests_app.get(f"{endpoint}/messages", headers=bank)).json()
        if messages[0]["status"] == "delivered":
            break
        await asyncio.sleep(0.05)
    assert messages[0]["status"] == "delivered"
    ids = {headers["webhook-id"] for headers, _ in target.deliveries}
    assert ids == {first["id"]}
    assert json.loads(target.deliveries[-1][1])["data"] == {"status": "accepted"}
    missing = await partner_requests_app.post(f"{endpoint}/messages/msg_nope/redeliver", headers=bank)
    assert missing.status_code == 404


async def test_a_disabled_endpoint_receives_nothing(
    partner_requests_app: httpx.AsyncClient, receiver: tuple[Receiver, str], database_url: str
) -> None:
    target, url = receiver
    who = partner()
    bank = auth(who)
    created = (await register(partner_requests_app, bank, url)).json()
    endpoint = f"{BASE}/{created['id']}"
    disabled = await partner_requests_app.post(f"{endpoint}/disable", headers={**bank, "If-Match": '"v1"'})
    assert disabled.status_code == 200
    assert disabled.json()["disabled_at"] is not None
    assert who.partner_id is not None
    await emit(database_url, who.partner_id, "RequestRouted", {"request_id": "r-2"})
    await asyncio.sleep(1.0)
    assert target.deliveries == []
    assert (await partner_requests_app.get(f"{endpoint}/messages", headers=bank)).json() == []


async def test_endpoint_mutations_replay_with_an_idempotency_key(partner_requests_app: httpx.AsyncClient) -> None:
    bank = auth(partner())
    keyed = {**bank, "Idempotency-Key": "register-1"}
    first = await partner_requests_app.post(BASE, json={"url": "https://bank.example/hook"}, headers=keyed)
    again = await partner_requests_app.post(BASE, json={"url": "https://bank.example/hook"}, headers=keyed)
    assert first.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true" and again.json() == first.json()
    assert first.headers["cache-control"] == "no-store"
    assert len((await partner_requests_app.get(BASE, headers=bank)).json()) == 1

    endpoint = f"{BASE}/{first.json()['id']}"
    rotate = {**bank, "If-Match": '"v1"', "Idempotency-Key": "rotate-1"}
    rotated = await partner_requests_app.post(f"{endpoint}/rotate-secret", headers=rotate)
    # the answer was lost: the retry still says v1, and gets the same new secret rather than a 412
    retried = await partner_requests_app.post(f"{endpoint}/rotate-secret", headers=rotate)
    assert rotated.status_code == retried.status_code == 200, retried.text
    assert retried.json()["secret"] == rotated.json()["secret"] != first.json()["secret"]
    assert (await partner_requests_app.get(endpoint, headers=bank)).headers["etag"] == '"v2"'

    disable = {**bank, "If-Match": '"v2"', "Idempotency-Key": "disable-1"}
    disabled = [await partner_requests_app.post(f"{endpoint}/disable", headers=disable) for _ in range(2)]
    assert [answer.status_code for answer in disabled] == [200, 200]
    assert disabled[1].json() == disabled[0].json() and disabled[0].json()["disabled_at"] is not None
