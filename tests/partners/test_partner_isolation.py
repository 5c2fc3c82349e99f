"""A partner never reads or acts on a request routed to another partner of the same kind; keyed retries apply once."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx

from shared.auth import Identity
from tests.service_requests.conftest import World, act, create_type
from tests.support.identities import auth

DENIED = (403,)  # docs/partners.md: "answers 403 on every route"; never 404
APPROVED = {
    "kind": "financing",
    "decision": "approved",
    "amount_cny": "200000.00",
    "annual_rate_percent": "3.1",
    "term_months": 24,
}


async def _routed_request(client: httpx.AsyncClient, world: World, bank_id: uuid.UUID) -> str:
    service_type = await create_type(client, world, handler={"kind": "bank", "partner_ids": [str(bank_id)]})
    body = {"type_id": service_type["id"], "description": "贷款", "answers": {"amount": 5}, "share_consent": True}
    created = await client.post("/v1/service-requests", json=body, headers=auth(world.rep()))
    assert created.status_code == 201, created.text
    request_id: str = created.json()["id"]
    return request_id


async def _refused_everywhere(
    client: httpx.AsyncClient, intruder: Identity, request_id: str, version: int, action: str, **extra: Any
) -> None:
    """The intruder cannot take `action` (legal for the routed partner now), read, or comment."""
    acted = await act(client, intruder, request_id, action, version, **extra)
    assert acted.status_code in DENIED, (action, acted.text)
    for path in ("", "/timeline"):
        read = await client.get(f"/v1/service-requests/{request_id}{path}", headers=auth(intruder))
        assert read.status_code in DENIED, (path, read.text)
    comments = f"/v1/service-requests/{request_id}/comments"
    for headers in ({"If-Match": f'"v{version}"'}, {}):
        commented = await client.post(comments, json={"body": "我来处理"}, headers={**auth(intruder), **headers})
        assert commented.status_code in DENIED, commented.text
    assert (await client.get("/v1/service-requests", headers=auth(intruder))).json()["items"] == []
    open311 = await client.get(f"/open311/v2/requests/{request_id}.json", headers=auth(intruder))
    # The GeoReport read looks the id up among the caller's requests: not there is 404 (docs/partners.md).
    assert open311.status_code == 404, open311.text


async def test_another_bank_cannot_read_or_act_at_any_step(requests_app: httpx.AsyncClient) -> None:
    client, world = requests_app, World()
    bank_id = uuid.uuid4()
    bank, intruder = world.partner(bank_id), world.partner(uuid.uuid4())
    request_id = await _routed_request(client, world, bank_id)

    for action, extra in (("accept", {}), ("decline", {"reason": "不做"}), ("reject", {"reason": "不符合"})):
        await _refused_everywhere(client, intruder, request_id, 1, action, **extra)
    assert (await act(client, bank, request_id, "accept", 1)).status_code == 200
    assert (await act(client, world.staff(), request_id, "assign", 2)).status_code == 200
    await _refused_everywhere(client, intruder, request_id, 3, "start")
    assert (await act(client, bank, request_id, "start", 3)).status_code == 200
    await _refused_everywhere(client, intruder, request_id, 4, "request_info", reason="请补充材料")
    await _refused_everywhere(client, intruder, request_id, 4, "resolve", reason="已放款", outcome=APPROVED)
    resolved = await act(client, bank, request_id, "resolve", 4, reason="已放款", outcome=APPROVED)
    assert resolved.status_code == 200, resolved.text
    rating = await client.post(f"/v1/service-requests/{request_id}/rating", json={"score": 5}, headers=auth(intruder))
    assert rating.status_code in DENIED
    keyed = await client.post(
        f"/v1/service-requests/{request_id}/transitions",
        json={"action": "accept"},
        headers={**auth(intruder), "If-Match": '"v5"', "Idempotency-Key": "intruder-1"},
    )
    assert keyed.status_code in DENIED

    # nothing the intruder tried left a trace
    items = (await client.get(f"/v1/service-requests/{request_id}/timeline", headers=auth(bank))).json()["items"]
    assert [item["action"] for item in items if item["kind"] == "transition"] == [
        "submit",
        "accept",
        "assign",
        "start",
        "resolve",
    ]
    assert [item for item in items if item["kind"] == "comment"] == []
    assert [item["id"] for item in (await client.get("/v1/service-requests", headers=auth(bank))).json()["items"]] == [
        request_id
    ]


async def test_an_mcn_agency_and_a_declined_bank_see_nothing(requests_app: httpx.AsyncClient) -> None:
    client, world = requests_app, World()
    bank_id = uuid.uuid4()
    bank = world.partner(bank_id)
    request_id = await _routed_request(client, world, bank_id)
    agency = world.partner(uuid.uuid4(), kind="mcn")
    await _refused_everywhere(client, agency, request_id, 1, "accept")
    assert (await act(client, bank, request_id, "decline", 1, reason="超出授信范围")).status_code == 200
    await _refused_everywhere(client, bank, request_id, 2, "accept")


async def test_ten_concurrent_transitions_with_one_key_apply_once(requests_app: httpx.AsyncClient) -> None:
    client, world = requests_app, World()
    bank_id = uuid.uuid4()
    bank = world.partner(bank_id)
    request_id = await _routed_request(client, world, bank_id)
    headers = {**auth(bank), "If-Match": '"v1"', "Idempotency-Key": str(uuid.uuid4())}

    responses = await asyncio.gather(
        *(
            client.post(f"/v1/service-requests/{request_id}/transitions", json={"action": "accept"}, headers=headers)
            for _ in range(10)
        )
    )
    assert [response.status_code for response in responses] == [200] * 10, [r.text for r in responses]
    assert len({response.content for response in responses}) == 1
    assert sum(response.headers.get("Idempotent-Replayed") == "true" for response in responses) == 9
    assert responses[0].json()["status"] == "accepted" and responses[0].json()["version"] == 2

    items = (await client.get(f"/v1/service-requests/{request_id}/timeline", headers=auth(bank))).json()["items"]
    assert [item["action"] for item in items if item["kind"] == "transition"] == ["submit", "accept"]
