"""Staff of another community are refused every staff operation of an election, and change nothing."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.elections.conftest import open_election
from tests.elections.registry_data import RegistryData
from tests.support.identities import auth, staff


async def test_staff_of_another_community_are_refused_every_staff_operation(
    elections: httpx.AsyncClient, registry: RegistryData
) -> None:
    setup = await open_election(elections, registry, roll_size=6)
    base = f"/v1/elections/{setup.election_id}"
    outsider = auth(staff(uuid.uuid4()))  # community_staff, but of some other community
    before = (await elections.get(f"{base}/record", headers=setup.staff)).json()
    writes: list[tuple[str, dict[str, Any]]] = [
        ("/v1/elections", {"community_id": str(setup.community_id), "title": "越权", "record_date": "2026-01-01"}),
        (f"{base}/transitions", {"to": "suspended", "reason": "越权暂停"}),
        (f"{base}/reruns", {}),
        (f"{base}/candidates/{setup.candidates[0]}/reviews", {"decision": "reject", "reason": "越权"}),
        (f"{base}/objections/{uuid.uuid4()}/decisions", {"decision": "upheld", "reason": "越权"}),
        (
            f"{base}/roll/amendments",
            {"action": "remove", "enterprise_id": str(setup.roll[0].enterprise_id), "reason": "越权"},
        ),
        (f"{base}/lots", {"values": [[1, 2, 3, 4, 5, 6], 7]}),
    ]
    for path, body in writes:
        headers = outsider | ({"Idempotency-Key": str(uuid.uuid4())} if path == "/v1/elections" else {})
        refused = await elections.post(path, json=body, headers=headers)
        assert refused.status_code == 403, (path, refused.text)
        assert refused.json()["code"] == "NOT_STAFF_OF_COMMUNITY", (path, refused.text)
    for path, code in (
        (f"{base}/objections", "NOT_STAFF_OF_COMMUNITY"),
        (f"{base}/roll", "NOT_STAFF_OF_COMMUNITY"),
        (f"{base}/turnout", "NOT_OBSERVER_OF_ELECTION"),
    ):
        refused = await elections.get(path, headers=outsider)
        assert refused.status_code == 403 and refused.json()["code"] == code, (path, refused.text)
    # nothing changed: same log, same status, no election created for the community
    after = (await elections.get(f"{base}/record", headers=setup.staff)).json()
    assert after["log"] == before["log"]
    assert (await elections.get(base, headers=setup.staff)).json()["status"] == "voting_open"
    listed = await elections.get("/v1/elections", params={"community_id": str(setup.community_id)}, headers=setup.staff)
    assert [e["id"] for e in listed.json()["items"]] == [str(setup.election_id)]
    # and the community's own staff may do what the outsider could not
    assert (await elections.get(f"{base}/turnout", headers=setup.staff)).status_code == 200
    suspended = await elections.post(
        f"{base}/transitions", json={"to": "suspended", "reason": "台风"}, headers=setup.staff
    )
    assert suspended.status_code == 200 and suspended.json()["status"] == "suspended"
