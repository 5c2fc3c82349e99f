"""Consultations: typed questions, one answer per enterprise (by its representative) or per person (raced),
never before opening or after closing, results counts only and only once closed; the job opens and closes."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

import httpx

from elections.deliberation.consultations.service import run_schedule
from shared.auth import Role
from shared.db import utcnow
from shared.uow import unit_of_work
from tests.elections.conftest import rep_of
from tests.elections.registry_data import RegistryData
from tests.support.identities import auth, identity, staff
from tests.support.rows import rows

QUESTIONS = [
    {
        "code": "site",
        "label_zh": "食堂选址",
        "label_en": "Canteen site",
        "datatype": "single_choice",
        "required": True,
        "choices": [
            {"key": "tower_a", "label_zh": "A 座", "label_en": "Tower A"},
            {"key": "complex", "label_zh": "综合体", "label_en": "The complex"},
        ],
    },
    {
        "code": "meals",
        "label_zh": "餐次",
        "label_en": "Meals",
        "datatype": "multi_choice",
        "choices": [
            {"key": "lunch", "label_zh": "午餐", "label_en": "Lunch"},
            {"key": "dinner", "label_zh": "晚餐", "label_en": "Dinner"},
        ],
    },
    {"code": "diners", "label_zh": "就餐人数", "label_en": "Diners", "datatype": "number"},
    {"code": "comment", "label_zh": "意见", "label_en": "Comment", "datatype": "text"},
]


async def consultation(
    client: httpx.AsyncClient, community_id: uuid.UUID, audience: str = "enterprises", **extra: Any
) -> dict[str, Any]:
    body = {
        "community_id": str(community_id),
        "title": "社区食堂选址征询",
        "audience": audience,
        "questions": QUESTIONS,
        "closes_at": (utcnow() + dt.timedelta(days=7)).isoformat(),
    } | extra
    response = await client.post("/v1/consultations", json=body, headers=auth(staff(community_id)))
    assert response.status_code == 201, response.text
    out: dict[str, Any] = response.json()
    return out


async def move(client: httpx.AsyncClient, consultation_id: str, community_id: uuid.UUID, to: str) -> httpx.Response:
    return await client.post(
        f"/v1/consultations/{consultation_id}/transitions", json={"to": to}, headers=auth(staff(community_id))
    )


async def test_representatives_answer_once_and_the_counts_are_published_at_the_close(
    elections: httpx.AsyncClient, registry: RegistryData
) -> None:
    community_id, roll = await registry.community(5)
    made = await consultation(elections, community_id)
    path = f"/v1/consultations/{made['id']}/answers"
    answer = {"answers": {"site": "tower_a", "meals": ["lunch"], "diners": 12}}
    draft = await elections.post(path, json=answer, headers=auth(rep_of(roll[0], community_id)))
    assert draft.status_code == 409 and draft.json()["code"] == "CONSULTATION_NOT_OPEN"
    assert (await move(elections, made["id"], community_id, "open")).json()["status"] == "open"
    choices = [("tower_a", ["lunch"], 12), ("tower_a", ["lunch", "dinner"], 30), ("complex", [], 8)]
    for enterprise, (site, meals, diners) in zip(roll, choices, strict=False):
        body = {"answers": {"site": site, "meals": meals, "diners": diners, "comment": "请尽快"}}
        sent = await elections.post(path, json=body, headers=auth(rep_of(enterprise, community_id)))
        assert sent.status_code == 201 and sent.json()["respondent"] == "enterprise", sent.text
    twice = await elections.post(path, json=answer, headers=auth(rep_of(roll[0], community_id)))
    assert twice.status_code == 409 and twice.json()["code"] == "ALREADY_ANSWERED"
    employee = identity(Role.employee, enterprise_id=roll[3].enterprise_id, community_ids=[community_id])
    wrong_audience = await elections.post(path, json=answer, headers=auth(employee))
    assert wrong_audience.status_code == 403 and wrong_audience.json()["code"] == "NOT_IN_AUDIENCE"
    bad = await elections.post(
        path, json={"answers": {"site": "moon", "diners": "many"}}, headers=auth(rep_of(roll[3], community_id))
    )
    assert bad.status_code == 422 and bad.json()["code"] == "INVALID_ANSWERS"
    assert [e["pointer"] for e in bad.json()["errors"]] == ["/answers/site", "/answers/diners"]
    missing = await elections.post(path, json={"answers": {"diners": 3}}, headers=auth(rep_of(roll[3], community_id)))
    assert missing.status_code == 422 and missing.json()["errors"][0]["pointer"] == "/answers/site"
    running = await elections.get(
        f"/v1/consultations/{made['id']}/results", headers=auth(rep_of(roll[0], community_id))
    )
    assert running.status_code == 409 and running.json()["code"] == "CONSULTATION_NOT_CLOSED"

    assert (await move(elections, made["id"], community_id, "closed")).json()["status"] == "closed"
    late = await elections.post(path, json=answer, headers=auth(rep_of(roll[4], community_id)))
    assert late.status_code == 409 and late.json()["code"] == "CONSULTATION_NOT_OPEN"
    results = await elections.get(
        f"/v1/consultations/{made['id']}/results", headers=auth(rep_of(roll[4], community_id))
    )
    body = results.json()
    assert body["answers"] == 3
    by_code = {q["code"]: q for q in body["questions"]}
    assert by_code["site"]["choices"] == {"tower_a": 2, "complex": 1}
    assert by_code["meals"]["choices"] == {"lunch": 2, "dinner": 1} and by_code["meals"]["answered"] == 3
    assert (by_code["diners"]["minimum"], by_code["diners"]["maximum"], by_code["diners"]["mean"]) == (
        8.0,
        30.0,
        50 / 3,
    )
    assert by_code["comment"] == {
        "code": "comment",
        "datatype": "text",
        "answered": 3,
        "choices": None,
        "minimum": None,
        "maximum": None,
        "mean": None,
    }
    assert "请尽快" not in results.text and str(roll[0].representative_subject) not in results.text
    reopen = await move(elections, made["id"], community_id, "open")
    assert reopen.status_code == 409 and reopen.json()["code"] == "CONSULTATION_TRANSITION_REFUSED"


async def test_employees_answer_once_each_even_racing_and_outsiders_cannot(
    elections: httpx.AsyncClient, registry: RegistryData, database_url: str
) -> None:
    community_id, roll = await registry.community(2)
    made = await consultation(elections, community_id, audience="employees")
    await move(elections, made["id"], community_id, "open")
    path = f"/v1/consultations/{made['id']}/answers"
    people = [
        identity(Role.employee, enterprise_id=roll[0].enterprise_id, community_ids=[community_id]) for _ in range(3)
    ]
    attempts = [people[n % 3] for n in range(15)]
    responses = await asyncio.gather(
        *(elections.post(path, json={"answers": {"site": "complex"}}, headers=auth(p)) for p in attempts)
    )
    assert sorted(r.status_code for r in responses) == [201] * 3 + [409] * 12
    left = await rows(
        database_url,
        "SELECT respondent_key FROM elections.consultation_answer WHERE consultation_id = $1 ORDER BY 1",
        uuid.UUID(made["id"]),
    )
    assert [r["respondent_key"] for r in left] == sorted(p.subject for p in people)
    other_id, other_roll = await registry.community(1)
    outsider = identity(Role.employee, enterprise_id=other_roll[0].enterprise_id, community_ids=[other_id])
    refused = await elections.post(path, json={"answers": {"site": "complex"}}, headers=auth(outsider))
    assert refused.status_code == 403 and refused.json()["code"] == "NOT_IN_COMMUNITY"
    hidden = await elections.get(f"/v1/consultations/{made['id']}", headers=auth(outsider))
    assert hidden.status_code == 404 and hidden.json()["code"] == "CONSULTATION_NOT_FOUND"
    listed = await elections.get("/v1/consultations", params={"status": "open"}, headers=auth(outsider))
    assert listed.json()["items"] == []
    member = auth(identity(Role.employee, enterprise_id=roll[0].enterprise_id, community_ids=[community_id]))
    other = await consultation(elections, community_id, audience="employees", title="停车位征询")
    found = await elections.get("/v1/consultations", params={"q": "食堂"}, headers=member)
    assert [c["id"] for c in found.json()["items"]] == [made["id"]]
    both = await elections.get("/v1/consultations", params={"limit": 1}, headers=member)
    assert [c["id"] for c in both.json()["items"]] == [other["id"]] and both.json()["next_cursor"]


async def test_the_job_opens_at_opens_at_and_closes_at_closes_at_once_with_their_events(
    elections: httpx.AsyncClient, registry: RegistryData
) -> None:
    community_id, _ = await registry.community(1)
    now = utcnow()
    made = await consultation(
        elections,
        community_id,
        opens_at=(now + dt.timedelta(hours=1)).isoformat(),
        closes_at=(now + dt.timedelta(hours=2)).isoformat(),
    )
    app = elections.fastapi_app  # type: ignore[attr-defined]

    async def run(at: dt.datetime) -> int:
        async with unit_of_work(app) as uow:
            return await run_schedule(uow, at)

    assert await run(now) == 0
    assert sum(await asyncio.gather(*(run(now + dt.timedelta(minutes=61)) for _ in range(3)))) == 1
    assert sum(await asyncio.gather(*(run(now + dt.timedelta(minutes=121)) for _ in range(3)))) == 1
    shown = await elections.get(f"/v1/consultations/{made['id']}", headers=auth(staff(community_id)))
    assert shown.json()["status"] == "closed"
    feed = await elections.get("/internal/events", params={"limit": 1000}, headers=auth(identity(Role.service)))
    mine = [e["type"] for e in feed.json()["items"] if e["payload"].get("consultation_id") == made["id"]]
    assert mine == ["ConsultationOpened", "ConsultationClosed"]
