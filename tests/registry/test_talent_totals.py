"""Community statistics carry talent totals (issue 18): the latest graduates and high-level talents
on or before the date, an enterprise with sites in two communities split over its buildings as its
employees are, enterprises that did not report them counted as none."""

from __future__ import annotations

import httpx

from tests.registry import factories
from tests.support.identities import admin, auth


async def _report(client: httpx.AsyncClient, enterprise_id: str, **figures: object) -> None:
    answer = await client.post(f"/v1/enterprises/{enterprise_id}/headcounts", json=figures, headers=auth(admin()))
    assert answer.status_code == 201, answer.text


async def test_talent_totals_follow_the_latest_figures_and_the_sites(registry_app: httpx.AsyncClient) -> None:
    community, other = await factories.community(registry_app), await factories.community(registry_app)
    tower = await factories.building(registry_app, community["id"])
    elsewhere = await factories.building(registry_app, other["id"])
    split = await factories.enterprise(registry_app, tower["id"], valid_from="2021-01-01", active_from="2021-01-01")
    site = {"building_id": elsewhere["id"], "floor": "3", "unit": "301", "valid_from": "2021-01-01"}
    added = await registry_app.post(f"/v1/enterprises/{split['id']}/occupancies", json=site, headers=auth(admin()))
    assert added.status_code == 201, added.text
    whole = await factories.enterprise(registry_app, tower["id"], valid_from="2021-01-01", active_from="2021-01-01")
    silent = await factories.enterprise(registry_app, tower["id"], valid_from="2021-01-01", active_from="2021-01-01")

    await _report(registry_app, split["id"], as_of="2022-12-31", employees=100, graduates=60, high_level_talents=4)
    await _report(registry_app, split["id"], as_of="2023-12-31", employees=120, graduates=80, high_level_talents=6)
    await _report(registry_app, whole["id"], as_of="2023-06-30", employees=30, graduates=11, high_level_talents=1)
    await _report(registry_app, silent["id"], as_of="2023-06-30", employees=9)

    async def totals(as_of: str) -> tuple[int, int, int]:
        answer = await registry_app.get(f"/v1/communities/{community['id']}/stats?as_of={as_of}", headers=auth(admin()))
        assert answer.status_code == 200, answer.text
        body = answer.json()
        return body["employees"], body["graduates"], body["high_level_talents"]

    # 2024: half of split's latest (120, 80, 6) plus whole's, silent's graduates unknown = 0
    assert await totals("2024-01-01") == (60 + 30 + 9, 40 + 11, 3 + 1)
    # mid 2023: split's 2022 figures (half), whole's and silent's of 2023-06-30
    assert await totals("2023-07-01") == (50 + 30 + 9, 30 + 11, 2 + 1)
    # before any figure: nothing
    assert await totals("2022-01-01") == (0, 0, 0)
