"""Issue 18, "Brands and a starter catalogue", through the real gateway and processes of the
session's platform: a community created with the starter catalogue gets it from the registry's
feed, its staff name the six scenarios and every listing shows them; and the brand walk of
docs/service-requests.md, run verbatim."""

from __future__ import annotations

import asyncio
import sys
import time
import uuid
from typing import Any

import pytest

from tests.e2e.conftest import RunningPlatform
from tests.e2e.test_readme_tour import readme_block, run_script
from tests.support.identities import admin, employee, staff

pytestmark = pytest.mark.e2e
SCENARIOS = ("party_building", "enterprise_service", "life_service", "leisure", "personal_growth", "team_building")


async def test_a_new_community_gets_the_catalogue_and_its_own_brands(platform: RunningPlatform) -> None:
    code = f"CAT-{uuid.uuid4().hex[:6].upper()}"
    body: dict[str, Any] = {"code": code, "name_zh": code, "name_en": code, "type": "business_building"}
    body |= {"street": "长河街道", "starter_catalogue": {}}
    async with platform.client() as client:
        created = await client.post("/v1/communities", json=body, headers=platform.auth(admin()))
        assert created.status_code == 201, created.text
        community = created.json()["id"]
        mine = platform.auth(staff(uuid.UUID(community)))
        params = {"community_id": community, "limit": 100}
        deadline = time.monotonic() + 20
        while True:
            listed = await client.get("/v1/service-types", params=params, headers=mine)
            assert listed.status_code == 200, listed.text
            if len(listed.json()["items"]) == 7:
                break
            assert time.monotonic() < deadline, f"the catalogue did not arrive: {listed.json()}"
            await asyncio.sleep(0.2)
        by_code = {item["code"]: item for item in listed.json()["items"]}
        assert by_code["bank-financing"]["handler"]["kind"] == "community_staff"  # no bank named
        assert by_code["skills-training"]["brand"] == {"zh": "成长发展", "en": "Personal growth"}

        names = {scenario: {"zh": f"晨{index}", "en": f"Chen {index}"} for index, scenario in enumerate(SCENARIOS)}
        outsider = await client.put(
            f"/v1/service-brands/{community}", json=names, headers=platform.auth(staff(uuid.uuid4()))
        )
        assert outsider.status_code == 403
        put = await client.put(f"/v1/service-brands/{community}", json=names, headers=mine)
        assert put.status_code == 201, put.text
        person = platform.auth(employee(uuid.uuid4()))
        read = await client.get(f"/v1/service-types/{by_code['skills-training']['id']}", headers=person)
        assert read.json()["brand"] == names["personal_growth"]
        brands = await client.get(f"/v1/service-brands/{community}", headers=person)
        assert brands.headers["etag"] == '"v1"' and brands.json()["customised"] is True


async def test_the_brand_walk_in_the_docs_runs_verbatim(platform: RunningPlatform) -> None:
    walk = readme_block("# Brand walk", "docs/service-requests.md").replace(
        "http://127.0.0.1:8000", platform.gateway_url
    )
    walk = walk.replace(
        'TOKEN=".venv/bin/python -m gateway.cli token"',
        f'TOKEN=".venv/bin/python -m gateway.cli token --key-dir {platform.private_key.parent}"',
    ).replace(".venv/bin/python", sys.executable)
    returncode, output = await run_script(walk)
    assert returncode == 0, output
    assert output.splitlines() == ["7", "false", "企业服务", "1", "晨悦企", "0", "7"], output
