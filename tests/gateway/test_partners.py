"""Partners and their API keys, administered through the gateway (platform_admin only)."""

from __future__ import annotations

import asyncio
import uuid

from shared.auth import Role
from tests.gateway.conftest import InProcessGateway
from tests.support.identities import admin, minimal_identity
from tests.support.rows import rows

BANK = {"kind": "bank", "name": "杭州银行滨江支行", "contact": "ops@bank.example"}


async def _partner(gateway: InProcessGateway, **changes: str) -> dict[str, object]:
    answer = await gateway.client.post("/v1/partners", json=BANK | changes, headers=gateway.auth(admin()))
    assert answer.status_code == 201, answer.text
    body: dict[str, object] = answer.json()
    return body


async def test_only_platform_admins_manage_partners(gateway: InProcessGateway) -> None:
    partner_id = uuid.uuid4()
    calls = [
        ("GET", "/v1/partners"),
        ("POST", "/v1/partners"),
        ("POST", f"/v1/partners/{partner_id}/api-keys"),
        ("DELETE", f"/v1/partners/{partner_id}/api-keys/0123456789abcdef"),
        ("PUT", f"/v1/partners/{partner_id}/signing-key"),
        ("DELETE", f"/v1/partners/{partner_id}/signing-key"),
    ]
    for method, path in calls:
        anonymous = await gateway.client.request(method, path, json=BANK)
        assert anonymous.status_code == 401, (method, path)
        for role in Role:
            if role in (Role.platform_admin, Role.service):
                continue
            refused = await gateway.client.request(
                method, path, json=BANK, headers=gateway.auth(minimal_identity(role))
            )
            assert refused.status_code == 403, (method, path, role)


async def test_a_partner_is_created_once_per_name_and_listed_with_its_keys(gateway: InProcessGateway) -> None:
    created = await _partner(gateway)
    assert created["kind"] == "bank" and created["active_keys"] == []
    again = await gateway.client.post("/v1/partners", json=BANK, headers=gateway.auth(admin()))
    assert again.status_code == 409
    assert again.json()["code"] == "PARTNER_NAME_TAKEN"

    key = await gateway.client.post(f"/v1/partners/{created['id']}/api-keys", headers=gateway.auth(admin()))
    assert key.status_code == 201
    assert key.headers["cache-control"] == "no-store"
    secret = key.json()["api_key"]
    assert secret.startswith(f"bjp_{key.json()['key_id']}_")

    listed = await gateway.client.get("/v1/partners", headers=gateway.auth(admin()))
    assert listed.status_code == 200
    [partner] = listed.json()["items"]
    assert [item["key_id"] for item in partner["active_keys"]] == [key.json()["key_id"]]
    assert secret not in listed.text


async def test_partner_list_pages_with_a_cursor(gateway: InProcessGateway) -> None:
    for number in range(3):
        await _partner(gateway, name=f"MCN {number}", kind="mcn")
    first = await gateway.client.get("/v1/partners?limit=2", headers=gateway.auth(admin()))
    assert len(first.json()["items"]) == 2 and 'rel="next"' in first.headers["link"]
    second = await gateway.client.get(
        "/v1/partners", params={"limit": 2, "cursor": first.json()["next_cursor"]}, headers=gateway.auth(admin())
    )
    assert [item["name"] for item in second.json()["items"]] == ["MCN 2"]
    assert "next_cursor" not in second.json() or second.json()["next_cursor"] is None
    bad = await gateway.client.get("/v1/partners?cursor=nonsense", headers=gateway.auth(admin()))
    assert bad.status_code == 400


async def test_two_active_keys_at_most_even_when_requested_at_once(
    gateway: InProcessGateway, database_url: str
) -> None:
    partner = await _partner(gateway)
    headers = gateway.auth(admin())
    answers = await asyncio.gather(
        *(gateway.client.post(f"/v1/partners/{partner['id']}/api-keys", headers=headers) for _ in range(6))
    )
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [201, 201, 409, 409, 409, 409]
    assert {answer.json()["code"] for answer in answers if answer.status_code == 409} == {"TOO_MANY_ACTIVE_KEYS"}
    stored = await rows(
        database_url, "SELECT key_id, slot FROM gateway.api_key WHERE partner_id = $1", uuid.UUID(str(partner["id"]))
    )
    issued = {answer.json()["key_id"] for answer in answers if answer.status_code == 201}
    assert {row["key_id"] for row in stored} == issued and sorted(row["slot"] for row in stored) == [1, 2]

    # Rotation: revoke one, then a new one may be issued.
    old = next(answer.json()["key_id"] for answer in answers if answer.status_code == 201)
    revoked = await gateway.client.delete(f"/v1/partners/{partner['id']}/api-keys/{old}", headers=headers)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    again = await gateway.client.delete(f"/v1/partners/{partner['id']}/api-keys/{old}", headers=headers)
    assert again.status_code == 404 and again.json()["code"] == "API_KEY_NOT_FOUND"
    rotated = await gateway.client.post(f"/v1/partners/{partner['id']}/api-keys", headers=headers)
    assert rotated.status_code == 201


async def test_keys_of_an_unknown_partner_are_404(gateway: InProcessGateway) -> None:
    headers = gateway.auth(admin())
    missing = uuid.uuid4()
    issued = await gateway.client.post(f"/v1/partners/{missing}/api-keys", headers=headers)
    revoked = await gateway.client.delete(f"/v1/partners/{missing}/api-keys/0123456789abcdef", headers=headers)
    assert issued.status_code == 404 and issued.json()["code"] == "PARTNER_NOT_FOUND"
    assert revoked.status_code == 404 and revoked.json()["code"] == "PARTNER_NOT_FOUND"


async def test_creating_a_partner_is_idempotent_with_a_key(gateway: InProcessGateway) -> None:
    headers = gateway.auth(admin()) | {"Idempotency-Key": "partner-1"}
    first = await gateway.client.post("/v1/partners", json=BANK, headers=headers)
    replay = await gateway.client.post("/v1/partners", json=BANK, headers=headers)
    assert first.status_code == replay.status_code == 201
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json()["id"] == first.json()["id"]


async def test_a_revoked_key_is_refused_at_once_by_this_process(gateway: InProcessGateway) -> None:
    partner = await _partner(gateway)
    headers = gateway.auth(admin())
    issued = (await gateway.client.post(f"/v1/partners/{partner['id']}/api-keys", headers=headers)).json()
    as_partner = {"Authorization": f"Bearer {issued['api_key']}"}
    me = await gateway.client.get("/v1/auth/me", headers=as_partner)
    assert me.status_code == 200
    assert me.json()["subject"] == f"partner:{partner['id']}"
    assert me.json()["partner_kind"] == "bank" and me.json()["roles"] == ["partner"]
    upstream = await gateway.client.get("/v1/communities/about", headers=as_partner)
    assert upstream.status_code == 503  # authenticated, then the (closed) upstream
    await gateway.client.delete(f"/v1/partners/{partner['id']}/api-keys/{issued['key_id']}", headers=headers)
    refused = await gateway.client.get("/v1/communities/about", headers=as_partner)
    assert refused.status_code == 401 and refused.json()["code"] == "INVALID_API_KEY"


async def test_the_demo_seed_is_idempotent(gateway: InProcessGateway, database_url: str) -> None:
    from gateway.seed import DEMO_PARTNERS, seed

    await seed(database_url)
    await seed(database_url)
    listed = await gateway.client.get("/v1/partners", headers=gateway.auth(admin()))
    assert sorted(item["name"] for item in listed.json()["items"]) == sorted(name for _, name, _ in DEMO_PARTNERS)
