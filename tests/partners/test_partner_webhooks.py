"""Changes to a request routed to a partner reach that partner's endpoint as verified Standard Webhooks."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from aiohttp import web
from standardwebhooks import Webhook

from tests.service_requests.conftest import World, act, create_type, submit
from tests.support.identities import auth


class Partner:
    """A receiving partner that verifies every delivery and processes each webhook-id once."""

    def __init__(self) -> None:
        self.secret = ""
        self.events: dict[str, dict[str, Any]] = {}
        self.bad_signatures = 0

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        try:
            payload = Webhook(self.secret).verify(body, dict(request.headers))
        except Exception:
            self.bad_signatures += 1
            return web.Response(status=401)
        self.events.setdefault(request.headers["webhook-id"], payload)
        return web.Response(status=204)

    def types(self) -> list[str]:
        return [event["type"] for event in sorted(self.events.values(), key=lambda event: event["timestamp"])]


@pytest.fixture
async def listening() -> AsyncIterator[tuple[Partner, str]]:
    receiver = Partner()
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield receiver, f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    finally:
        await runner.cleanup()


async def wait_for(receiver: Partner, count: int, seconds: float = 10.0) -> None:
    """Poll until `count` distinct deliveries arrived; fail at the deadline."""
    deadline = time.monotonic() + seconds
    while len(receiver.events) < count:
        assert time.monotonic() < deadline, f"{len(receiver.events)} of {count} webhooks after {seconds} s"
        await asyncio.sleep(0.02)


async def test_routing_transitions_and_comments_reach_only_the_routed_partner(
    partner_requests_app: httpx.AsyncClient, listening: tuple[Partner, str]
) -> None:
    receiver, url = listening
    client = partner_requests_app
    world = World()
    bank_id, other_bank_id = uuid.uuid4(), uuid.uuid4()
    bank, other_bank = world.partner(bank_id), world.partner(other_bank_id)
    endpoint = await client.post("/v1/webhook-endpoints", json={"url": url}, headers=auth(bank))
    assert endpoint.status_code == 201
    receiver.secret = endpoint.json()["secret"]
    stranger = await client.post("/v1/webhook-endpoints", json={"url": url + "?other"}, headers=auth(other_bank))
    assert stranger.status_code == 201

    service_type = await create_type(client, world, handler={"kind": "bank", "partner_ids": [str(bank_id)]})
    created = await submit(client, world.rep(), service_type["id"], description="需要流动资金贷款", share_consent=True)
    assert created.status_code == 201, created.text
    request_id = created.json()["id"]

    accepted = await act(client, bank, request_id, "accept", 1)
    assert accepted.status_code == 200, accepted.text
    commented = await client.post(
        f"/v1/service-requests/{request_id}/comments",
        json={"body": "请补充近三个月流水"},
        headers=auth(world.rep()),
    )
    assert commented.status_code == 201, commented.text
    internal = await client.post(
        f"/v1/service-requests/{request_id}/comments",
        json={"body": "内部:该企业有欠税记录", "internal": True},
        headers=auth(world.staff()),
    )
    assert internal.status_code == 201, internal.text

    # A public comment after the internal note: once it arrives, a wrongly queued note (queued
    # earlier, in the note's own transaction) would have arrived or be queued for this endpoint.
    marker = await client.post(
        f"/v1/service-requests/{request_id}/comments", json={"body": "标记"}, headers=auth(world.rep())
    )
    assert marker.status_code == 201, marker.text
    await wait_for(receiver, 4)
    assert receiver.bad_signatures == 0, "the other partner's endpoint must never be called with our secret"
    assert receiver.types() == ["RequestRouted", "RequestTransitioned", "RequestCommented", "RequestCommented"]
    queued = await client.get(f"/v1/webhook-endpoints/{endpoint.json()['id']}/messages", headers=auth(bank))
    assert len(queued.json()) == 4, queued.text
    routed, moved, commented_event, _ = sorted(receiver.events.values(), key=lambda event: event["timestamp"])
    assert routed["data"]["request_id"] == request_id
    assert "description" not in routed["data"] and "answers" not in routed["data"]
    assert (moved["data"]["action"], moved["data"]["to"]) == ("accept", "accepted")
    assert commented_event["data"]["body"] == "请补充近三个月流水"
    assert "欠税" not in json.dumps([event["data"] for event in receiver.events.values()], ensure_ascii=False)

    others = await client.get(f"/v1/webhook-endpoints/{stranger.json()['id']}/messages", headers=auth(other_bank))
    assert others.json() == []


async def test_a_community_handled_request_sends_no_webhook(
    partner_requests_app: httpx.AsyncClient, listening: tuple[Partner, str]
) -> None:
    receiver, url = listening
    world = World()
    bank = world.partner(uuid.uuid4())
    endpoint = await partner_requests_app.post("/v1/webhook-endpoints", json={"url": url}, headers=auth(bank))
    receiver.secret = endpoint.json()["secret"]
    service_type = await create_type(partner_requests_app, world)
    created = await submit(partner_requests_app, world.rep(), service_type["id"])
    assert created.status_code == 201
    # Then a request routed to this bank: when its webhook arrives, the earlier one would have too.
    handler = {"kind": "bank", "partner_ids": [str(bank.partner_id)]}
    bank_type = await create_type(partner_requests_app, world, handler=handler)
    routed = await submit(partner_requests_app, world.rep(), bank_type["id"], share_consent=True)
    assert routed.status_code == 201, routed.text
    await wait_for(receiver, 1)
    assert [event["data"]["request_id"] for event in receiver.events.values()] == [routed.json()["id"]]
    queued = await partner_requests_app.get(
        f"/v1/webhook-endpoints/{endpoint.json()['id']}/messages", headers=auth(bank)
    )
    assert len(queued.json()) == 1, queued.text


async def test_the_enterprise_chooses_a_bank_only_with_consent(
    partner_requests_app: httpx.AsyncClient,
) -> None:
    client = partner_requests_app
    world = World()
    first_bank, chosen_bank = uuid.uuid4(), uuid.uuid4()
    handler = {"kind": "bank", "partner_ids": [str(first_bank), str(chosen_bank)]}
    service_type = await create_type(client, world, handler=handler)

    refused = await submit(client, world.rep(), service_type["id"], partner_id=str(chosen_bank))
    assert refused.status_code == 422
    assert refused.json()["code"] == "SHARE_CONSENT_REQUIRED"
    assert refused.json()["errors"][0]["pointer"] == "/share_consent"

    unknown = await submit(client, world.rep(), service_type["id"], partner_id=str(uuid.uuid4()), share_consent=True)
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["pointer"] == "/partner_id"

    chosen = await submit(client, world.rep(), service_type["id"], partner_id=str(chosen_bank), share_consent=True)
    assert chosen.status_code == 201, chosen.text
    assert chosen.json()["routed_partner_id"] == str(chosen_bank)
    seen_by_chosen = await client.get("/v1/service-requests", headers=auth(world.partner(chosen_bank)))
    assert [item["id"] for item in seen_by_chosen.json()["items"]] == [chosen.json()["id"]]
    seen_by_first = await client.get("/v1/service-requests", headers=auth(world.partner(first_bank)))
    assert seen_by_first.json()["items"] == []
    other = await client.get(f"/v1/service-requests/{chosen.json()['id']}", headers=auth(world.partner(first_bank)))
    assert other.status_code in (403, 404)


async def test_a_declining_bank_hands_the_request_back_to_staff_and_loses_sight_of_it(
    partner_requests_app: httpx.AsyncClient,
) -> None:
    client = partner_requests_app
    world = World()
    bank_id = uuid.uuid4()
    bank, stranger = world.partner(bank_id), world.partner(uuid.uuid4())
    service_type = await create_type(client, world, handler={"kind": "bank", "partner_ids": [str(bank_id)]})
    created = (await submit(client, world.rep(), service_type["id"], share_consent=True)).json()

    assert (await act(client, stranger, created["id"], "decline", 1, reason="不是我们的")).status_code in (403, 404)
    assert (await act(client, world.staff(), created["id"], "decline", 1, reason="x")).status_code == 403
    without_reason = await act(client, bank, created["id"], "decline", 1)
    assert without_reason.status_code == 422
    declined = await act(client, bank, created["id"], "decline", 1, reason="超出授信范围")
    assert declined.status_code == 200, declined.text
    assert declined.json()["status"] == "submitted"
    assert declined.json()["routed_partner_id"] is None

    assert (await client.get(f"/v1/service-requests/{created['id']}", headers=auth(bank))).status_code in (403, 404)
    assert (await client.get("/v1/service-requests", headers=auth(bank))).json()["items"] == []
    staff_view = await client.get(f"/v1/service-requests/{created['id']}", headers=auth(world.staff()))
    assert staff_view.json()["status"] == "submitted"
    accepted = await act(client, world.staff(), created["id"], "accept", int(staff_view.headers["etag"][2:-1]))
    assert accepted.status_code == 200, accepted.text
