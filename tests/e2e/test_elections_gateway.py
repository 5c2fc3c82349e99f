"""A full election through the gateway, with the roll frozen from the registry's Xingguang demo data."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from elections.approve import signed_approval
from elections.verify import verify_record
from registry.seed import XINGGUANG_ID, seed
from shared.auth import Identity, Role
from tests.e2e.conftest import RunningPlatform
from tests.elections.test_integrity import run_verifier
from tests.support.identities import identity, staff

pytestmark = pytest.mark.e2e


def rep(item: dict[str, Any]) -> Identity:
    return Identity(
        subject=item["representative_subject"],
        roles=frozenset({Role.enterprise_rep}),
        enterprise_id=uuid.UUID(item["enterprise_id"]),
        community_ids=frozenset({XINGGUANG_ID}),
    )


async def test_full_xingguang_election_through_the_gateway(
    platform: RunningPlatform, database_url: str, tmp_path: Path
) -> None:
    await seed(database_url)
    staff_auth = platform.auth(staff(XINGGUANG_ID))
    today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    async with httpx.AsyncClient(base_url=platform.gateway_url, timeout=60) as client:

        async def go(to: str) -> None:
            moved = await client.post(f"/v1/elections/{election_id}/transitions", json={"to": to}, headers=staff_auth)
            assert moved.status_code == 200, moved.text

        created = await client.post(
            "/v1/elections",
            json={
                "community_id": str(XINGGUANG_ID),
                "title": "星光产业社区第一届治理委员会选举",
                "record_date": today.isoformat(),
                "objection_window_hours": 0,
            },
            headers=staff_auth | {"Idempotency-Key": "xg-2026"},
        )
        assert created.status_code == 201, created.text
        election_id = created.json()["id"]
        await go("nomination")
        # the roll as the registry will report it, to know who the representatives are
        roll = await _registry_roll(platform, today)
        represented = [item for item in roll if item["representative_subject"]]
        assert len(roll) > 1000
        for n in range(8):
            nominated = await client.post(
                f"/v1/elections/{election_id}/candidates",
                json={"name": f"候选人{n + 1}", "profile": "企业代表"},
                headers=platform.auth(rep(represented[n])),
            )
            assert nominated.status_code == 201, nominated.text
        await go("candidate_review")
        candidates = (await client.get(f"/v1/elections/{election_id}/candidates", headers=staff_auth)).json()["items"]
        for candidate in candidates:
            reviewed = await client.post(
                f"/v1/elections/{election_id}/candidates/{candidate['id']}/reviews",
                json={"decision": "approve", "reason": "资格审查通过"},
                headers=staff_auth,
            )
            assert reviewed.status_code == 200, reviewed.text
        for to in ("candidates_published", "roll_frozen", "voting_open"):
            await go(to)
        election = (await client.get(f"/v1/elections/{election_id}", headers=staff_auth)).json()
        assert election["roll_size"] == len(roll)
        ballot = [
            c["id"]
            for c in (await client.get(f"/v1/elections/{election_id}/candidates", headers=staff_auth)).json()["items"]
        ]
        voters = represented[: len(roll) // 2 + 1]
        semaphore = asyncio.Semaphore(32)

        async def vote(index: int, item: dict[str, Any]) -> httpx.Response:
            choices = ballot[:7] if index % 3 else ballot[1:8]
            async with semaphore:
                return await client.post(
                    f"/v1/elections/{election_id}/ballots", json={"choices": choices}, headers=platform.auth(rep(item))
                )

        receipts = await asyncio.gather(*(vote(i, item) for i, item in enumerate(voters)))
        assert {r.status_code for r in receipts} == {201}, {r.text for r in receipts if r.status_code != 201}
        tracker = receipts[0].json()["tracker"]
        await go("voting_closed")
        late = await client.post(
            f"/v1/elections/{election_id}/ballots", json={"choices": []}, headers=platform.auth(rep(represented[-1]))
        )
        assert late.status_code == 409 and late.json()["code"] == "VOTING_CLOSED"
        await go("tallied")
        result = (await client.get(f"/v1/elections/{election_id}/result", headers=staff_auth)).json()
        assert result["result"]["status"] == "complete"
        assert result["result"]["quorum_met"] is True and len(result["result"]["elected"]) == 7
        for _ in range(3):
            who = identity(Role.election_observer, election_ids=[election_id])
            body = signed_approval(Ed25519PrivateKey.generate(), str(election_id), who.subject, result["result_hash"])
            approved = await client.post(
                f"/v1/elections/{election_id}/certifications", json=body, headers=platform.auth(who)
            )
            assert approved.status_code == 200, approved.text
        await go("certified")
        await go("published")
        found = await client.get(f"/v1/elections/{election_id}/trackers/{tracker}", headers=staff_auth)
        assert found.json()["state"] == "counted"
        record = (await client.get(f"/v1/elections/{election_id}/record", headers=staff_auth)).json()
    assert verify_record(record) == []
    verified = run_verifier(record, tmp_path)
    assert verified.returncode == 0, verified.stdout + verified.stderr


async def _registry_roll(platform: RunningPlatform, as_of: dt.date) -> list[dict[str, Any]]:
    """Read the roll straight from the registry process, as the elections service does."""
    from shared.clients import service_headers

    async with httpx.AsyncClient(base_url=platform.service_url("registry"), timeout=30) as registry:
        response = await registry.get(
            f"/internal/communities/{XINGGUANG_ID}/roll",
            params={"as_of": as_of.isoformat()},
            headers=service_headers("elections-test", platform.internal_secret),
        )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items
