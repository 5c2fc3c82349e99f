"""The demo's starter catalogue: the specification's service list, under the six scenarios, idempotent."""

from __future__ import annotations

import uuid

import httpx

from gateway.seed import DEMO_PARTNERS, NAMESPACE
from registry.seed import XINGGUANG_ID
from service_requests.catalogue.template import CATALOGUE
from service_requests.seed import DEMO_BANK, DEMO_MCN, catalogue_for
from service_requests.seed import XINGGUANG_ID as REQUESTS_XINGGUANG_ID
from service_requests.seed import seed as seed_requests
from tests.support.identities import admin, auth

SPECIFICATION = {
    "employment-security": ("city", "life_service"),
    "healthcare": ("city", "life_service"),
    "policy-matching": ("enterprise", "enterprise_service"),
    "bank-financing": ("enterprise", "enterprise_service"),
    "livestream-marketing": ("enterprise", "enterprise_service"),
    "skills-training": ("employee", "personal_growth"),
    "social-activities": ("employee", "leisure"),
}


def test_the_ids_the_seed_names_are_the_other_services_demo_ids() -> None:
    partners = {kind: uuid.uuid5(NAMESPACE, name) for kind, name, _ in DEMO_PARTNERS}
    assert (partners["bank"], partners["mcn"]) == (DEMO_BANK, DEMO_MCN)
    assert XINGGUANG_ID == REQUESTS_XINGGUANG_ID
    assert len(catalogue_for(XINGGUANG_ID)) == len(CATALOGUE)  # every entry passes the API's own validation


async def test_xingguang_starts_with_the_specifications_services(
    requests_app: httpx.AsyncClient, database_url: str
) -> None:
    await seed_requests(database_url)
    listed = await requests_app.get(
        "/v1/service-types", params={"community_id": str(XINGGUANG_ID), "limit": 100}, headers=auth(admin())
    )
    assert listed.status_code == 200, listed.text
    types = {item["code"]: item for item in listed.json()["items"]}
    assert {code: (t["category"], t["scenario"]) for code, t in types.items()} == SPECIFICATION
    assert types["bank-financing"]["handler"]["partner_ids"] == [str(DEMO_BANK)]
    assert types["livestream-marketing"]["handler"]["kind"] == "mcn"

    before = types["healthcare"]
    await seed_requests(database_url)  # a second run adds nothing and keeps what is there
    again = await requests_app.get(
        "/v1/service-types", params={"community_id": str(XINGGUANG_ID), "limit": 100}, headers=auth(admin())
    )
    assert [item["id"] for item in again.json()["items"]] == [item["id"] for item in listed.json()["items"]]
    assert next(item for item in again.json()["items"] if item["code"] == "healthcare") == before
