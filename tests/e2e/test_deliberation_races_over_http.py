"""The deliberation invariants raced over real HTTP through the gateway, between processes: one support per
enterprise and per person, one answer per enterprise; the rows left are checked."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import pytest

from shared.auth import Role
from tests.e2e.conftest import RunningPlatform
from tests.elections.conftest import rep_of
from tests.elections.registry_data import RegistryData
from tests.support.identities import identity, staff
from tests.support.rows import rows

pytestmark = pytest.mark.e2e


async def test_supports_and_answers_racing_through_the_gateway_are_one_each(
    platform: RunningPlatform, database_url: str
) -> None:
    async with platform.client(timeout=60) as client:
        community_id, roll = await RegistryData(client, platform.auth).community(2)
        rep = platform.auth(rep_of(roll[0], community_id))
        person = identity(Role.employee, enterprise_id=roll[1].enterprise_id, community_ids=[community_id])
        proposal = await client.post(
            "/v1/proposals",
            json={"community_id": str(community_id), "title": "增设停车区", "body": "午间占道", "category": "traffic"},
            headers=platform.auth(person),
        )
        assert proposal.status_code == 201, proposal.text
        path = f"/v1/proposals/{proposal.json()['id']}/supports"
        supports = await asyncio.gather(
            *(client.post(path, headers=rep if n % 2 else platform.auth(person)) for n in range(16))
        )
        assert sorted(r.status_code for r in supports) == [201] * 2 + [409] * 14
        question = {"code": "site", "label_zh": "选址", "label_en": "Site", "datatype": "single_choice"}
        survey = {
            "community_id": str(community_id),
            "title": "选址征询",
            "audience": "enterprises",
            "questions": [question | {"choices": [{"key": "a", "label_zh": "甲", "label_en": "A"}]}],
            "closes_at": (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat(),
        }
        staff_auth = platform.auth(staff(community_id))
        made = await client.post("/v1/consultations", json=survey, headers=staff_auth)
        assert made.status_code == 201, made.text
        consultation = made.json()["id"]
        opened = await client.post(
            f"/v1/consultations/{consultation}/transitions", json={"to": "open"}, headers=staff_auth
        )
        assert opened.status_code == 200, opened.text
        answers = await asyncio.gather(
            *(
                client.post(f"/v1/consultations/{consultation}/answers", json={"answers": {"site": "a"}}, headers=rep)
                for _ in range(16)
            )
        )
        assert sorted(r.status_code for r in answers) == [201] + [409] * 15
        assert {r.json()["code"] for r in answers if r.status_code == 409} == {"ALREADY_ANSWERED"}
    supported = await rows(
        database_url,
        "SELECT supporter_kind, supporter_key FROM elections.proposal_support WHERE proposal_id = $1 ORDER BY 1",
        uuid.UUID(proposal.json()["id"]),
    )
    assert [(r["supporter_kind"], r["supporter_key"]) for r in supported] == [
        ("enterprise", str(roll[0].enterprise_id)),
        ("person", person.subject),
    ]
    answered = await rows(
        database_url,
        "SELECT respondent_key FROM elections.consultation_answer WHERE consultation_id = $1",
        uuid.UUID(consultation),
    )
    assert answered == [{"respondent_key": str(roll[0].enterprise_id)}]
