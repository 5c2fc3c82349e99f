"""Open311 clients pass the partner key as `api_key`; the gateway turns it into the partner identity."""

from __future__ import annotations

import uuid

from tests.e2e.conftest import RunningPlatform
from tests.service_requests.conftest import type_body
from tests.support.identities import admin, staff

FORM = {"content-type": "application/x-www-form-urlencoded"}


async def test_api_key_in_the_form_or_query_submits_as_the_partner(platform: RunningPlatform) -> None:
    community_id = uuid.uuid4()
    async with platform.client() as client:
        partner = await client.post(
            "/v1/partners",
            json={"kind": "bank", "name": f"银行{uuid.uuid4().hex[:6]}", "contact": "ops@bank.example"},
            headers=platform.auth(admin()),
        )
        issued = await client.post(f"/v1/partners/{partner.json()['id']}/api-keys", headers=platform.auth(admin()))
        key = issued.json()["api_key"]
        service_type = await client.post(
            "/v1/service-types", json=type_body(community_id), headers=platform.auth(staff(community_id))
        )
        assert service_type.status_code == 201, service_type.text
        form = {
            "service_code": service_type.json()["id"],
            "lat": "30.2084",
            "long": "120.2119",
            "description": "设备采购贷款咨询",
            "attribute[amount]": "12",
        }

        in_form = await client.post("/open311/v2/requests.json", data=form | {"api_key": key}, headers=FORM)
        assert in_form.status_code == 201, in_form.text
        in_query = await client.post("/open311/v2/requests.json", params={"api_key": key}, data=form, headers=FORM)
        assert in_query.status_code == 201, in_query.text

        services = await client.get("/open311/v2/services.json", params={"api_key": key})
        assert services.status_code == 200

        missing = await client.post("/open311/v2/requests.json", data=form, headers=FORM)
        assert missing.status_code == 401
        forged = await client.post(
            "/open311/v2/requests.json", data=form | {"api_key": key[:-4] + "AAAA"}, headers=FORM
        )
        assert forged.status_code == 401

        receipt = in_form.json()[0]["service_request_id"]
        seen = await client.get(f"/v1/service-requests/{receipt}", headers=platform.auth(staff(community_id)))
        assert seen.status_code == 200
        assert "api_key" not in seen.text and key not in seen.text


async def test_discovery_through_the_gateway_names_the_gateway(platform: RunningPlatform) -> None:
    async with platform.client() as client:
        discovery = await client.get("/open311/v2/discovery.json", headers=platform.auth(staff(uuid.uuid4())))
    assert discovery.status_code == 200, discovery.text
    # Not the service's own loopback address, which clients cannot use.
    assert discovery.json()["endpoints"][0]["url"] == platform.gateway_url + "/open311/v2"
