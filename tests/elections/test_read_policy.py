"""The elections rows of docs/security.md's read policy, one caller of each kind per row."""

from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

import httpx

from shared.auth import Role
from tests.elections.conftest import observer
from tests.elections.registry_data import RegistryData
from tests.support.identities import admin, auth, employee, enterprise_rep, identity, staff


async def _draft(elections: httpx.AsyncClient, registry: RegistryData) -> tuple[uuid.UUID, uuid.UUID]:
    community_id, _ = await registry.community(3)
    created = await elections.post(
        "/v1/elections",
        json={
            "community_id": str(community_id),
            "title": "治理委员会选举",
            "record_date": dt.datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat(),
            "rules": {"seats": 7},
        },
        headers=auth(staff(community_id)),
    )
    assert created.status_code == 201, created.text
    return uuid.UUID(created.json()["id"]), community_id


async def test_elections_and_candidates_are_public_announcements_but_not_for_partners(
    elections: httpx.AsyncClient, registry: RegistryData
) -> None:
    election_id, _ = await _draft(elections, registry)
    readers = (
        admin(),
        staff(uuid.uuid4()),
        enterprise_rep(uuid.uuid4()),
        employee(uuid.uuid4()),
        observer(uuid.uuid4()),
    )
    for who in readers:
        for path in ("", "/candidates"):
            response = await elections.get(f"/v1/elections/{election_id}{path}", headers=auth(who))
            assert response.status_code == 200, (who.roles, path, response.text)
    for who in (identity(Role.partner, partner_id=uuid.uuid4(), partner_kind="bank"), identity(Role.grid_worker)):
        for path in ("", "/candidates"):
            assert (await elections.get(f"/v1/elections/{election_id}{path}", headers=auth(who))).status_code == 403
    assert (await elections.get(f"/v1/elections/{election_id}")).status_code == 401


async def test_the_roll_objections_and_turnout_are_the_communitys_and_its_observers(
    elections: httpx.AsyncClient, registry: RegistryData
) -> None:
    election_id, community_id = await _draft(elections, registry)
    for path in ("/roll", "/objections", "/turnout"):
        url = f"/v1/elections/{election_id}{path}"
        for who in (admin(), staff(community_id), observer(election_id)):
            assert (await elections.get(url, headers=auth(who))).status_code == 200, (who.roles, path)
        for who in (staff(uuid.uuid4()), observer(uuid.uuid4()), enterprise_rep(uuid.uuid4()), identity(Role.partner)):
            assert (await elections.get(url, headers=auth(who))).status_code == 403, (who.roles, path)


async def test_the_election_record_is_public_by_design_partners_included(
    elections: httpx.AsyncClient, registry: RegistryData
) -> None:
    election_id, _ = await _draft(elections, registry)
    partner = identity(Role.partner, partner_id=uuid.uuid4(), partner_kind="mcn")
    for who in (partner, staff(uuid.uuid4()), employee(uuid.uuid4()), identity(Role.grid_worker)):
        record = await elections.get(f"/v1/elections/{election_id}/record", headers=auth(who))
        assert record.status_code == 200, (who.roles, record.text)
        assert "representative_subject" not in record.text and "phone" not in record.text
    assert (await elections.get(f"/v1/elections/{election_id}/record")).status_code == 401
