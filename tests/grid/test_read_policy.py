"""The circles row of docs/security.md's read policy: public amenities, not for partners."""

from __future__ import annotations

import uuid

import httpx

from shared.auth import Role
from tests.support.identities import admin, auth, employee, enterprise_rep, identity, staff


async def test_circles_are_readable_across_communities_but_not_by_partners(grid: httpx.AsyncClient) -> None:
    community_id = str(uuid.uuid4())
    readers = (
        admin(),
        staff(uuid.uuid4()),
        identity(Role.grid_worker),
        enterprise_rep(uuid.uuid4()),
        employee(uuid.uuid4()),
    )
    for who in readers:
        response = await grid.get("/v1/circles", params={"community_id": community_id}, headers=auth(who))
        assert response.status_code == 200, (who.roles, response.text)
    for who in (identity(Role.partner, partner_id=uuid.uuid4(), partner_kind="bank"), identity(Role.election_observer)):
        response = await grid.get("/v1/circles", params={"community_id": community_id}, headers=auth(who))
        assert response.status_code == 403, who.roles
    assert (await grid.get("/v1/circles", params={"community_id": community_id})).status_code == 401
