"""`GET /v1/communities/{id}` is one autocommitted statement; it must answer exactly as the ORM did."""

from __future__ import annotations

import uuid

import httpx

from shared.auth import Role
from tests.registry import factories
from tests.support.identities import admin, auth, identity

EMPLOYEE = auth(identity(Role.employee))
EVERY_FIELD = {
    "area_km2": 0.96,
    "boundary": {
        "east": "江陵路",
        "west": "江虹路",
        "south": "滨盛路—江晖路",
        "north": "钱塘江",
        "polygon": {
            "type": "Polygon",
            "coordinates": [[[120.2, 30.2], [120.21, 30.2], [120.21, 30.21], [120.2, 30.2]]],
        },
    },
    "established_on": "2021-06-18",
    "generation": "2.0",
    "governance_bodies": [
        {"kind": "party_branch", "name": "星光产业社区党支部", "contact": "0571-00000000"},
        {"kind": "governance_committee", "name": "星光产业社区治理委员会", "contact": None},
    ],
}


async def test_the_read_returns_the_document_the_write_returned(registry_app: httpx.AsyncClient) -> None:
    created = await factories.community(registry_app, **EVERY_FIELD)

    read = await registry_app.get(f"/v1/communities/{created['id']}", headers=EMPLOYEE)

    assert read.status_code == 200
    assert read.json() == created
    assert read.headers["ETag"] == '"v1"'
    assert read.headers["content-type"] == "application/json"


async def test_the_read_follows_an_update(registry_app: httpx.AsyncClient) -> None:
    created = await factories.community(registry_app, **EVERY_FIELD)
    updated = await registry_app.patch(
        f"/v1/communities/{created['id']}",
        json={"name_en": "Renamed", "boundary": None},
        headers={**auth(admin()), "If-Match": '"v1"'},
    )
    assert updated.status_code == 200, updated.text

    read = await registry_app.get(f"/v1/communities/{created['id']}", headers=EMPLOYEE)

    assert read.json() == updated.json()
    assert read.json()["name_en"] == "Renamed" and read.json()["boundary"] is None
    assert read.headers["ETag"] == '"v2"'


async def test_a_missing_or_malformed_id_is_a_problem(registry_app: httpx.AsyncClient) -> None:
    missing = await registry_app.get(f"/v1/communities/{uuid.uuid4()}", headers=EMPLOYEE)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    malformed = await registry_app.get("/v1/communities/not-a-uuid", headers=EMPLOYEE)
    assert malformed.status_code == 422
    anonymous = await registry_app.get(f"/v1/communities/{uuid.uuid4()}")
    assert anonymous.status_code == 401
