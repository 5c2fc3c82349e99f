"""What an enterprise's status history and headcount figures return."""

from __future__ import annotations

import httpx

from shared.auth import Role
from tests.registry import factories
from tests.support.identities import admin, auth, identity

ADMIN = auth(admin())
EMPLOYEE = auth(identity(Role.employee))


async def test_the_status_history_lists_every_period_oldest_first(registry_app: httpx.AsyncClient) -> None:
    community = await factories.community(registry_app)
    building = await factories.building(registry_app, community["id"])
    enterprise = await factories.enterprise(
        registry_app, building["id"], valid_from="2021-01-01", active_from="2021-01-01"
    )
    for status, effective_on in (("moved_out", "2023-03-01"), ("active", "2024-01-15")):
        changed = await registry_app.post(
            f"/v1/enterprises/{enterprise['id']}/status-changes",
            json={"status": status, "effective_on": effective_on},
            headers=ADMIN,
        )
        assert changed.status_code in (200, 201), changed.text

    history = await registry_app.get(f"/v1/enterprises/{enterprise['id']}/status-history", headers=EMPLOYEE)

    assert history.status_code == 200
    items = history.json()["items"]
    assert history.json()["enterprise_id"] == enterprise["id"]
    assert [(p["status"], p["valid_to"]) for p in items] == [
        ("active", "2023-03-01"),
        ("moved_out", "2024-01-15"),
        ("active", None),
    ]
    assert [p["valid_from"] for p in items] == ["2021-01-01", "2023-03-01", "2024-01-15"]
    unknown = await registry_app.get(f"/v1/enterprises/{community['id']}/status-history", headers=EMPLOYEE)
    assert unknown.status_code == 404


async def test_headcounts_are_listed_newest_first_with_every_figure(registry_app: httpx.AsyncClient) -> None:
    enterprise = await factories.enterprise(registry_app)
    figures = [
        {"as_of": "2024-12-31", "employees": 120, "average_age": 29.5, "graduates": 80, "high_level_talents": 3},
        {"as_of": "2025-12-31", "employees": 150, "average_age": None, "graduates": None, "high_level_talents": None},
    ]
    for figure in figures:
        added = await registry_app.post(f"/v1/enterprises/{enterprise['id']}/headcounts", json=figure, headers=ADMIN)
        assert added.status_code == 201, added.text

    listed = await registry_app.get(f"/v1/enterprises/{enterprise['id']}/headcounts", headers=EMPLOYEE)

    assert listed.status_code == 200
    assert listed.json()["items"] == [figure | {"enterprise_id": enterprise["id"]} for figure in reversed(figures)]
