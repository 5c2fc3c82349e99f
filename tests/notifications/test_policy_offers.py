"""A published policy reaches the representatives of the enterprises it matched: the registry's
real `PolicyOffered` event (read from its feed) is handed to the notifications service, whose rule
asks identity for each enterprise's live representative grants."""

from __future__ import annotations

import uuid

import httpx

from shared.auth import Identity, Role
from tests.identity.notices_support import account, grant
from tests.notifications.conftest import Notifications
from tests.registry import factories
from tests.support.identities import admin, auth


async def test_a_matched_enterprises_representative_gets_the_policy_and_another_does_not(
    notifications: Notifications, registry_app: httpx.AsyncClient, database_url: str
) -> None:
    community = await factories.community(registry_app)
    tower = await factories.building(registry_app, community["id"])
    matched = await factories.enterprise(registry_app, tower["id"], industry_section="I")
    unmatched = await factories.enterprise(registry_app, tower["id"], industry_section="R")
    rep, other_rep = await account(database_url), await account(database_url)
    await grant(database_url, rep, "enterprise_rep", enterprise_id=uuid.UUID(matched["id"]))
    await grant(database_url, other_rep, "enterprise_rep", enterprise_id=uuid.UUID(unmatched["id"]))

    body = {
        "community_id": community["id"], "title": "软件企业房租补贴", "issuer": "滨江区经信局",
        "summary": "软件和信息技术服务业企业房租补贴。", "valid_from": "2026-01-01",
        "rules": [{"field": "industry_section", "any_of": ["I"]}],
    }  # fmt: skip
    published = await registry_app.post("/v1/policies", json=body, headers=auth(admin()))
    assert published.status_code == 201, published.text
    (event,) = [
        event
        for event in await factories.events(registry_app, "PolicyOffered", 1)
        if event["payload"]["policy_id"] == published.json()["id"]
    ]
    await notifications.feed("registry", "PolicyOffered", event["payload"], aggregate_type="policy")
    await notifications.fan_out()

    def person(subject: uuid.UUID) -> dict[str, str]:
        return auth(Identity(subject=str(subject), roles=frozenset({Role.enterprise_rep, Role.account})))

    inbox = await notifications.client.get("/v1/notifications", headers=person(rep))
    [item] = inbox.json()["items"]
    assert item["kind"] == "registry.policy_offered"
    assert item["title"] == "有适合贵企业的政策"
    assert "滨江区经信局" in item["body"] and "软件企业房租补贴" in item["body"]
    assert item["link"] == f"/v1/policies/{published.json()['id']}"
    assert (await notifications.client.get("/v1/notifications", headers=person(other_rep))).json()["items"] == []
