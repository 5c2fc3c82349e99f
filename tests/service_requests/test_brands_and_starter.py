"""Issue 18, "Brands and a starter catalogue": each community's names for the six scenarios (data
with an API, in the catalogue's listings and reads), and the starter catalogue applied by one
idempotent call."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import create_async_engine

from service_requests.registry_feed import handle_registry_event
from service_requests.seed import XINGGUANG_ID
from service_requests.seed import seed as seed_requests
from shared.db import create_sessionmaker
from shared.outbox import FeedEvent
from shared.settings import PlatformSettings
from tests.registry import factories
from tests.support.identities import admin, auth, employee, staff
from tests.support.rows import rows

SCENARIOS = ("party_building", "enterprise_service", "life_service", "leisure", "personal_growth", "team_building")
OWN = {scenario: {"zh": f"光{index}", "en": f"Guang {index}"} for index, scenario in enumerate(SCENARIOS)}


async def _types(client: httpx.AsyncClient, community: uuid.UUID) -> dict[str, dict[str, Any]]:
    listed = await client.get(
        "/v1/service-types", params={"community_id": str(community), "limit": 100}, headers=auth(admin())
    )
    assert listed.status_code == 200, listed.text
    return {item["code"]: item for item in listed.json()["items"]}


async def test_brands_default_then_set_once_then_replaced_with_if_match(requests_app: httpx.AsyncClient) -> None:
    community = uuid.uuid4()
    path = f"/v1/service-brands/{community}"
    first = await requests_app.get(path, headers=auth(employee(uuid.uuid4())))
    assert first.status_code == 200 and first.headers["etag"] == '"v0"'
    assert first.json()["customised"] is False and first.json()["version"] == 0
    assert first.json()["enterprise_service"] == {"zh": "企业服务", "en": "Enterprise services"}

    mine = staff(community)
    created = await requests_app.put(path, json=OWN, headers=auth(mine))
    assert created.status_code == 201, created.text
    assert created.json() == {**OWN, "community_id": str(community), "customised": True, "version": 1}
    assert created.headers["etag"] == '"v1"'
    again = await requests_app.put(path, json=OWN, headers=auth(mine))
    assert again.status_code == 409 and again.json()["code"] == "BRANDS_ALREADY_SET"
    renamed = OWN | {"leisure": {"zh": "星娱乐", "en": "Xing Yule"}}
    replaced = await requests_app.put(path, json=renamed, headers=auth(mine) | {"If-Match": '"v1"'})
    assert replaced.status_code == 200 and replaced.json()["version"] == 2
    assert replaced.json()["leisure"] == {"zh": "星娱乐", "en": "Xing Yule"}
    stale = await requests_app.put(path, json=OWN, headers=auth(mine) | {"If-Match": '"v1"'})
    assert stale.status_code == 412 and stale.headers["etag"] == '"v2"'
    never = await requests_app.put(
        f"/v1/service-brands/{uuid.uuid4()}", json=OWN, headers=auth(admin()) | {"If-Match": '"v1"'}
    )
    assert never.status_code == 412


async def test_only_that_communitys_staff_or_an_admin_set_its_brands(requests_app: httpx.AsyncClient) -> None:
    community = uuid.uuid4()
    path = f"/v1/service-brands/{community}"
    other = await requests_app.put(path, json=OWN, headers=auth(staff(uuid.uuid4())))
    assert other.status_code == 403 and other.json()["code"] == "FORBIDDEN"
    person = await requests_app.put(path, json=OWN, headers=auth(employee(uuid.uuid4())))
    assert person.status_code == 403
    assert (await requests_app.get(path, headers=auth(admin()))).json()["customised"] is False


async def test_bad_brand_names_are_422_pointing_at_the_scenario(requests_app: httpx.AsyncClient) -> None:
    path = f"/v1/service-brands/{uuid.uuid4()}"
    long_name = OWN | {"leisure": {"zh": "星" * 21, "en": "x"}}
    response = await requests_app.put(path, json=long_name, headers=auth(admin()))
    assert response.status_code == 422
    assert [(e["code"], e["pointer"]) for e in response.json()["errors"]] == [("STRING_TOO_LONG", "/leisure/zh")]
    missing = {key: value for key, value in OWN.items() if key != "team_building"}
    response = await requests_app.put(path, json=missing, headers=auth(admin()))
    assert [(e["code"], e["pointer"]) for e in response.json()["errors"]] == [("MISSING", "/team_building")]
    assert "星" * 21 not in response.text


async def test_four_first_settings_at_once_keep_one(requests_app: httpx.AsyncClient, database_url: str) -> None:
    community = uuid.uuid4()
    bodies = [OWN | {"leisure": {"zh": f"乐{n}", "en": f"Le {n}"}} for n in range(4)]
    answers = await asyncio.gather(
        *(requests_app.put(f"/v1/service-brands/{community}", json=body, headers=auth(admin())) for body in bodies)
    )
    assert sorted(answer.status_code for answer in answers) == [201, 409, 409, 409]
    stored = await rows(database_url, "SELECT names FROM requests.community_brands WHERE community_id = $1", community)
    winner = next(answer for answer in answers if answer.status_code == 201).json()
    assert len(stored) == 1 and json.loads(stored[0]["names"])["leisure"] == winner["leisure"]


async def test_the_starter_catalogue_applies_once_and_keeps_what_staff_edited(requests_app: httpx.AsyncClient) -> None:
    community, bank = uuid.uuid4(), uuid.uuid4()
    mine = staff(community)
    body = {"community_id": str(community), "bank_partner_id": str(bank)}
    applied = await requests_app.post("/v1/service-types/starter-catalogue", json=body, headers=auth(mine))
    assert applied.status_code == 200, applied.text
    codes = ["employment-security", "healthcare", "policy-matching", "bank-financing", "livestream-marketing",
             "skills-training", "social-activities"]  # fmt: skip
    assert applied.json() == {"community_id": str(community), "created": codes, "kept": []}
    types = await _types(requests_app, community)
    assert types["bank-financing"]["handler"] == {
        "kind": "bank",
        "partner_ids": [str(bank)],
        "share_description": False,
    }
    assert types["livestream-marketing"]["handler"]["kind"] == "community_staff"  # no MCN named: staff handle it
    assert types["policy-matching"]["deadlines"] == {
        "acknowledge": {"amount": 8, "unit": "working_hours"}, "resolve": {"amount": 10, "unit": "working_days"}
    }  # fmt: skip
    assert [attribute["code"] for attribute in types["employment-security"]["form"]] == ["topic"]

    edited = {key: value for key, value in types["healthcare"].items()
              if key not in ("id", "community_id", "code", "version", "created_at", "updated_at", "brand")}  # fmt: skip
    edited["name_zh"] = "社区健康服务"
    changed = await requests_app.put(
        f"/v1/service-types/{types['healthcare']['id']}", json=edited, headers=auth(mine) | {"If-Match": '"v1"'}
    )
    assert changed.status_code == 200, changed.text
    again = await requests_app.post("/v1/service-types/starter-catalogue", json=body, headers=auth(mine))
    assert again.json() == {"community_id": str(community), "created": [], "kept": codes}
    assert (await _types(requests_app, community))["healthcare"]["name_zh"] == "社区健康服务"

    refused = await requests_app.post(
        "/v1/service-types/starter-catalogue", json={"community_id": str(community)}, headers=auth(staff(uuid.uuid4()))
    )
    assert refused.status_code == 403


async def test_four_applications_at_once_make_seven_types(requests_app: httpx.AsyncClient, database_url: str) -> None:
    community = uuid.uuid4()
    answers = await asyncio.gather(
        *(
            requests_app.post(
                "/v1/service-types/starter-catalogue", json={"community_id": str(community)}, headers=auth(admin())
            )
            for _ in range(4)
        )
    )
    assert [answer.status_code for answer in answers] == [200, 200, 200, 200]
    assert sorted(len(answer.json()["created"]) for answer in answers) == [0, 0, 0, 7]
    stored = await rows(database_url, "SELECT code FROM requests.service_type WHERE community_id = $1", community)
    assert len(stored) == 7


async def test_listings_and_reads_show_the_communitys_brand(requests_app: httpx.AsyncClient, database_url: str) -> None:
    community = uuid.uuid4()
    await requests_app.post(
        "/v1/service-types/starter-catalogue", json={"community_id": str(community)}, headers=auth(admin())
    )
    before = await _types(requests_app, community)
    assert before["skills-training"]["brand"] == {"zh": "成长发展", "en": "Personal growth"}
    await requests_app.put(f"/v1/service-brands/{community}", json=OWN, headers=auth(admin()))
    after = await _types(requests_app, community)
    assert after["skills-training"]["brand"] == OWN["personal_growth"]
    assert after["bank-financing"]["brand"] == OWN["enterprise_service"]
    read = await requests_app.get(
        f"/v1/service-types/{after['healthcare']['id']}", headers=auth(employee(uuid.uuid4()))
    )
    assert read.json()["brand"] == OWN["life_service"]

    await seed_requests(database_url)  # Xingguang: the article's six
    xingguang = await _types(requests_app, XINGGUANG_ID)
    assert xingguang["policy-matching"]["brand"]["zh"] == "星悦企"
    assert xingguang["social-activities"]["brand"]["zh"] == "星娱乐"
    assert xingguang["skills-training"]["brand"]["zh"] == "星育才"
    brands = (await requests_app.get(f"/v1/service-brands/{XINGGUANG_ID}", headers=auth(admin()))).json()
    assert [brands[scenario]["zh"] for scenario in SCENARIOS] == [
        "星领秀",
        "星悦企",
        "星安居",
        "星娱乐",
        "星育才",
        "星力量",
    ]


async def test_a_community_registered_with_the_starter_catalogue_gets_it_from_the_feed(
    registry_app: httpx.AsyncClient, requests_app: httpx.AsyncClient, database_url: str
) -> None:
    bank = uuid.uuid4()
    code = f"SC-{uuid.uuid4().hex[:6].upper()}"
    body: dict[str, Any] = {"code": code, "name_zh": "新社区", "name_en": "New", "type": "tech_innovation",
                            "street": "长河街道", "starter_catalogue": {"bank_partner_id": str(bank)}}  # fmt: skip
    created = await registry_app.post("/v1/communities", json=body, headers=auth(admin()))
    assert created.status_code == 201, created.text
    plain = await registry_app.post(
        "/v1/communities", json=body | {"code": code + "-2", "starter_catalogue": None}, headers=auth(admin())
    )
    assert plain.status_code == 201, plain.text
    events = [
        FeedEvent.model_validate(event)
        for event in await factories.events(registry_app, "CommunityRegistered", 2)
        if event["payload"]["community_id"] in (created.json()["id"], plain.json()["id"])
    ]
    assert len(events) == 2
    engine = create_async_engine(PlatformSettings(database_url=database_url).async_database_url)
    try:
        for _ in range(2):  # the same events read twice change nothing the second time
            for event in events:
                async with create_sessionmaker(engine)() as session, session.begin():
                    await handle_registry_event(session, event)
    finally:
        await engine.dispose()
    types = await _types(requests_app, uuid.UUID(created.json()["id"]))
    assert len(types) == 7
    assert types["bank-financing"]["handler"]["partner_ids"] == [str(bank)]
    assert await _types(requests_app, uuid.UUID(plain.json()["id"])) == {}
