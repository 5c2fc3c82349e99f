"""Open311 through the real gateway: reads need no key; `api_key` is a partner credential that
the gateway turns into the partner identity; filing obeys the REST route's requester roles."""

from __future__ import annotations

import uuid

from shared.auth import Role
from tests.e2e.conftest import RunningPlatform
from tests.service_requests.conftest import type_body
from tests.support.identities import admin, identity, staff

FORM = {"content-type": "application/x-www-form-urlencoded"}


async def test_open311_reads_need_no_key_and_posts_need_a_requester(platform: RunningPlatform) -> None:
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
            "/v1/service-types",
            json=type_body(community_id, category="city", scenario="life_service"),
            headers=platform.auth(staff(community_id)),
        )
        assert service_type.status_code == 201, service_type.text
        form = {
            "service_code": service_type.json()["id"],
            "lat": "30.2084",
            "long": "120.2119",
            "description": "张三 13800000000 江陵路路灯不亮",
            "attribute[amount]": "12",
        }

        # GeoReport v2 reads: no key, as every Open311 client expects
        services = await client.get("/open311/v2/services.json", params={"jurisdiction_id": str(community_id)})
        assert [entry["service_code"] for entry in services.json()] == [service_type.json()["id"]]
        assert (await client.get("/open311/v2/discovery.xml")).status_code == 200
        with_key = await client.get("/open311/v2/services.json", params={"api_key": key})
        assert with_key.status_code == 200

        # a POST without a key, with an invalid one, or as a partner (not a requester on the REST route)
        missing = await client.post("/open311/v2/requests.json", data=form, headers=FORM)
        assert missing.status_code == 403 and missing.json()[0]["code"] == 403
        forged = await client.post(
            "/open311/v2/requests.json", data=form | {"api_key": key[:-4] + "AAAA"}, headers=FORM
        )
        assert forged.status_code == 403 and forged.json()[0]["code"] == 403
        as_partner = await client.post("/open311/v2/requests.json", data=form | {"api_key": key}, headers=FORM)
        assert as_partner.status_code == 403 and as_partner.json()[0]["code"] == 403
        rest = await client.post(
            "/v1/service-requests",
            json={"type_id": service_type.json()["id"], "description": "x", "answers": {"amount": 1}},
            headers={"Authorization": f"Bearer {key}"},
        )
        assert rest.status_code == 403

        employee = identity(Role.employee, enterprise_id=uuid.uuid4(), community_ids=[community_id])
        filed = await client.post("/open311/v2/requests.json", data=form, headers={**FORM, **platform.auth(employee)})
        assert filed.status_code == 201, filed.text
        receipt = filed.json()[0]["service_request_id"]

        public = await client.get(f"/open311/v2/requests/{receipt}.json")
        assert public.status_code == 200, public.text
        assert public.json()[0]["status"] == "open" and public.json()[0]["description"] is None
        assert "13800000000" not in public.text
        seen = await client.get(f"/v1/service-requests/{receipt}", headers=platform.auth(staff(community_id)))
        assert seen.status_code == 200
        assert "api_key" not in seen.text and key not in seen.text


async def test_discovery_through_the_gateway_names_the_gateway(platform: RunningPlatform) -> None:
    async with platform.client() as client:
        discovery = await client.get("/open311/v2/discovery.json")
    assert discovery.status_code == 200, discovery.text
    # Not the service's own loopback address, which clients cannot use.
    assert discovery.json()["endpoints"][0]["url"] == platform.gateway_url + "/open311/v2"
