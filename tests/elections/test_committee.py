"""The committee formed from a certified election: seats, representatives from the registry, term, refusals."""

from __future__ import annotations

import datetime as dt
import uuid

import httpx
from fastapi import FastAPI

from elections.deliberation.committee.service import end_terms
from shared.auth import Role
from shared.uow import unit_of_work
from tests.elections.conftest import open_election, poll_registry
from tests.elections.deliberation import certified, form
from tests.elections.registry_data import RegistryData
from tests.support.identities import auth, identity, staff


async def test_the_committee_seats_the_elected_candidates_enterprises_with_a_term(
    elections: httpx.AsyncClient, registry: RegistryData
) -> None:
    formed = await form(elections, registry, support_threshold=3)
    committee = formed.committee
    assert committee["seats"] == 7 and committee["quorum"] == 4 and committee["status"] == "active"
    assert [m["seat_no"] for m in committee["members"]] == [1, 2, 3, 4, 5, 6, 7]
    # the seven elected candidates, each seated for the enterprise that nominated it (candidate n by roll[n])
    names = sorted(m["name"] for m in committee["members"])
    assert names == [f"候选人{n:02d}" for n in range(8) if f"候选人{n:02d}" in names] and len(names) == 7
    roll = {e.enterprise_id: e for e in formed.setup.roll}
    for member in committee["members"]:
        enterprise = roll[uuid.UUID(member["enterprise_id"])]
        assert member["enterprise_name"] == enterprise.name
        assert member["name"] == f"候选人{formed.setup.roll.index(enterprise):02d}"
        assert "representative_subject" not in member
    starts = dt.date.fromisoformat(committee["term_starts_on"])
    assert committee["term_ends_on"] == starts.replace(year=starts.year + 3).isoformat()
    shown = await elections.get(f"/v1/committees/{formed.id}", headers=formed.rep(formed.outsiders[0]))
    assert shown.status_code == 200 and shown.json()["members"] == committee["members"]
    again = await elections.post(
        "/v1/committees", json={"election_id": str(formed.setup.election_id)}, headers=formed.setup.staff
    )
    assert again.status_code == 409 and again.json()["code"] == "COMMITTEE_EXISTS"


async def test_only_a_certified_election_forms_a_committee_and_only_its_staff_form_it(
    elections: httpx.AsyncClient, registry: RegistryData
) -> None:
    setup = await open_election(elections, registry, roll_size=7, candidates=8)
    early = await elections.post("/v1/committees", json={"election_id": str(setup.election_id)}, headers=setup.staff)
    assert early.status_code == 409 and early.json()["code"] == "ELECTION_NOT_CERTIFIED"
    other = auth(staff(uuid.uuid4()))
    refused = await elections.post("/v1/committees", json={"election_id": str(setup.election_id)}, headers=other)
    assert refused.status_code == 403 and refused.json()["code"] == "NOT_STAFF_OF_COMMUNITY"
    unknown = await elections.post("/v1/committees", json={"election_id": str(uuid.uuid4())}, headers=setup.staff)
    assert unknown.status_code == 404 and unknown.json()["code"] == "ELECTION_NOT_FOUND"


async def test_a_new_representative_takes_the_seat_and_the_old_one_loses_the_vote(
    elections: httpx.AsyncClient, registry: RegistryData, registry_service: FastAPI
) -> None:
    formed = await form(elections, registry)
    seat = formed.committee["members"][0]
    enterprise = next(e for e in formed.setup.roll if str(e.enterprise_id) == seat["enterprise_id"])
    new = await registry.replace_representative(enterprise)
    await poll_registry(elections, registry_service)
    meeting = await elections.post(
        "/v1/meetings",
        json={
            "committee_id": formed.id,
            "title": "议事会",
            "scheduled_at": "2026-12-20T06:00:00Z",
            "location": "议事厅",
            "agenda": [{"title": "年度计划"}],
        },
        headers=formed.setup.staff,
    )
    assert meeting.status_code == 201, meeting.text
    item = meeting.json()["items"][0]["id"]
    path = f"/v1/meetings/{meeting.json()['id']}/items/{item}/votes"
    old = await elections.post(path, json={"choice": "for"}, headers=formed.rep(enterprise))
    assert old.status_code == 403 and old.json()["code"] == "NOT_COMMITTEE_MEMBER"
    voted = await elections.post(path, json={"choice": "for"}, headers=formed.rep(new))
    assert voted.status_code == 201, voted.text
    assert [(v["seat_no"], v["choice"]) for v in voted.json()["items"][0]["votes"]] == [(seat["seat_no"], "for")]


async def test_a_second_committee_ends_the_first_and_a_term_ends_once(
    elections: httpx.AsyncClient, registry: RegistryData
) -> None:
    setup = await certified(elections, registry)
    first = await elections.post(
        "/v1/committees",
        json={"election_id": str(setup.election_id), "term_starts_on": "2020-01-01"},
        headers=setup.staff,
    )
    assert first.status_code == 201 and first.json()["term_ends_on"] == "2023-01-01"
    app = elections.fastapi_app  # type: ignore[attr-defined]
    async with unit_of_work(app) as uow:
        assert await end_terms(uow, dt.date(2026, 12, 3)) >= 1
    async with unit_of_work(app) as uow:
        assert await end_terms(uow, dt.date(2026, 12, 3)) == 0
    shown = await elections.get(f"/v1/committees/{first.json()['id']}", headers=setup.staff)
    assert shown.json()["status"] == "ended" and shown.json()["ended_on"] == "2026-12-03"
    listed = await elections.get(
        "/v1/committees", params={"community_id": str(setup.community_id)}, headers=auth(identity(Role.platform_admin))
    )
    assert [c["id"] for c in listed.json()["items"]] == [first.json()["id"]]
