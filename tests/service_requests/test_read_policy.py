"""The service-types row of docs/security.md's read policy: a public catalogue across communities."""

from __future__ import annotations

import uuid

import httpx

from shared.auth import Role
from tests.service_requests.conftest import World, create_type
from tests.support.identities import admin, auth, employee, enterprise_rep, identity, staff


async def test_the_catalogue_is_readable_by_every_signed_in_user(requests_app: httpx.AsyncClient, world: World) -> None:
    created = await create_type(requests_app, world)
    readers = (
        admin(),
        staff(uuid.uuid4()),
        enterprise_rep(uuid.uuid4()),
        employee(uuid.uuid4()),
        identity(Role.partner, partner_id=uuid.uuid4(), partner_kind="bank"),
    )
    for who in readers:
        one = await requests_app.get(f"/v1/service-types/{created['id']}", headers=auth(who))
        assert one.status_code == 200, (who.roles, one.text)
        listed = await requests_app.get("/v1/service-types", headers=auth(who))
        assert listed.status_code == 200 and created["id"] in listed.text, who.roles
    assert (await requests_app.get(f"/v1/service-types/{created['id']}")).status_code == 401
