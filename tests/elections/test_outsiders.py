"""The committee's routes as the outsider of each role they list (the ownership sweep's stand-in: forming a
committee needs a certified election, which tests/contract/test_ownership.py does not build)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from shared.auth import Identity, Role
from tests.elections.deliberation import form
from tests.elections.registry_data import RegistryData
from tests.elections.test_meetings import meeting
from tests.support.identities import auth, identity, staff

MEMBERS = (Role.community_staff, Role.enterprise_rep, Role.employee)
STAFF = (Role.community_staff,)


def outsider(role: Role, community_id: uuid.UUID, enterprise_id: uuid.UUID) -> Identity:
    if role is Role.community_staff:
        return staff(community_id)
    return identity(role, enterprise_id=enterprise_id, community_ids=[community_id])


async def test_every_committee_meeting_and_action_route_refuses_the_outsiders(
    elections: httpx.AsyncClient, registry: RegistryData
) -> None:
    formed = await form(elections, registry)
    held = await meeting(elections, formed, [{"title": "甲"}])
    for seat in (1, 2, 3, 4):
        vote = {"choice": "for"}
        path = f"/v1/meetings/{held['id']}/items/{held['items'][0]['id']}/votes"
        assert (await elections.post(path, json=vote, headers=auth(formed.members[seat]))).status_code == 201
    decision = {"outcome": "adopted", "reason": "r", "owner": "物业", "due_on": "2027-01-31"}
    decided = await elections.post(
        f"/v1/meetings/{held['id']}/items/{held['items'][0]['id']}/decisions", json=decision, headers=formed.setup.staff
    )
    action_id = decided.json()["items"][0]["action_id"]
    other_id, other_roll = await registry.community(1)
    item = held["items"][0]["id"]
    routes: list[tuple[str, str, tuple[Role, ...], dict[str, Any] | None, str]] = [
        ("GET", f"/v1/committees/{formed.id}", MEMBERS, None, "COMMITTEE_NOT_FOUND"),
        ("GET", f"/v1/committees/{formed.id}/actions", MEMBERS, None, "COMMITTEE_NOT_FOUND"),
        (
            "POST",
            f"/v1/committees/{formed.id}/actions/{action_id}/updates",
            STAFF,
            {"note": "n", "progress": 10, "status": "in_progress"},
            "COMMITTEE_NOT_FOUND",
        ),
        ("GET", f"/v1/meetings/{held['id']}", MEMBERS, None, "MEETING_NOT_FOUND"),
        ("POST", f"/v1/meetings/{held['id']}/attendance", STAFF, {"seats": [5]}, "MEETING_NOT_FOUND"),
        (
            "POST",
            f"/v1/meetings/{held['id']}/items/{item}/votes",
            (Role.enterprise_rep,),
            {"choice": "for"},
            "MEETING_NOT_FOUND",
        ),
        ("POST", f"/v1/meetings/{held['id']}/items/{item}/decisions", STAFF, decision, "MEETING_NOT_FOUND"),
        ("PUT", f"/v1/meetings/{held['id']}/minutes", STAFF, {"minutes": "x"}, "MEETING_NOT_FOUND"),
        ("POST", f"/v1/meetings/{held['id']}/minutes/approvals", STAFF, None, "MEETING_NOT_FOUND"),
    ]
    for method, path, roles, body, code in routes:
        for role in roles:
            who = outsider(role, other_id, other_roll[0].enterprise_id)
            headers = auth(who) | ({"If-Match": f'"v{decided.json()["version"]}"'} if method == "PUT" else {})
            answer = await elections.request(method, path, json=body, headers=headers)
            assert (answer.status_code, answer.json()["code"]) == (404, code), (method, path, role, answer.text)
    # and nothing changed: the meeting and the action are as A's staff left them
    shown = await elections.get(f"/v1/meetings/{held['id']}", headers=formed.setup.staff)
    assert shown.json()["present_seats"] == [1, 2, 3, 4] and shown.json()["minutes"] == ""
    (action,) = (await elections.get(f"/v1/committees/{formed.id}/actions", headers=formed.setup.staff)).json()["items"]
    assert action["updates"] == [] and action["status"] == "open"
