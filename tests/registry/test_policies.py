"""Policy matching (政策资源对接): rules validated and explained, one query per policy, the
representative's inbox and one answer, take-up, and who sees which matches."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

import httpx

from shared.dates import business_today
from tests.registry import factories
from tests.support.identities import admin, auth, employee, enterprise_rep, staff
from tests.support.rows import rows

POLICY = {
    "title": "高新技术企业培育补助",
    "issuer": "滨江区科技局",
    "summary": "首次认定给予补助。",
    "valid_from": "2026-01-01",
}


async def _headcount(client: httpx.AsyncClient, enterprise_id: str, employees: int, **figures: Any) -> None:
    body = {"as_of": "2025-06-30", "employees": employees, **figures}
    response = await client.post(f"/v1/enterprises/{enterprise_id}/headcounts", json=body, headers=auth(admin()))
    assert response.status_code == 201, response.text


async def _world(client: httpx.AsyncClient) -> dict[str, Any]:
    """Two communities; in A a tower and a park, in B a tower. Five enterprises with known facts."""
    community_a = await factories.community(client)
    community_b = await factories.community(client)
    tower_a = await factories.building(client, community_a["id"], kind="office_tower")
    park_a = await factories.building(client, community_a["id"], kind="industrial_park")
    tower_b = await factories.building(client, community_b["id"], kind="office_tower")
    this_year = business_today().year
    young = f"{this_year - 2}-01-01"  # two whole years old (or one, before 1 January's anniversary: never)
    old = f"{this_year - 12}-01-01"
    software = await factories.enterprise(client, tower_a["id"], industry_section="I", industry_code="6513",
                                          active_from=young)  # fmt: skip
    media = await factories.enterprise(client, park_a["id"], industry_section="R", industry_code="8710",
                                       active_from=old)  # fmt: skip
    big_software = await factories.enterprise(client, tower_a["id"], industry_section="I", industry_code="6420",
                                              active_from=old)  # fmt: skip
    unreported = await factories.enterprise(client, tower_a["id"], industry_section="I", active_from=young)
    elsewhere = await factories.enterprise(client, tower_b["id"], industry_section="I", industry_code="6513",
                                           active_from=young)  # fmt: skip
    await _headcount(client, software["id"], 25, graduates=20, high_level_talents=2)
    await _headcount(client, media["id"], 8, graduates=3, high_level_talents=0)
    await _headcount(client, big_software["id"], 900, graduates=700, high_level_talents=12)
    await _headcount(client, elsewhere["id"], 30, graduates=25, high_level_talents=1)
    return {
        "a": community_a["id"], "b": community_b["id"], "software": software["id"], "media": media["id"],
        "big_software": big_software["id"], "unreported": unreported["id"], "elsewhere": elsewhere["id"],
    }  # fmt: skip


async def _publish(client: httpx.AsyncClient, who: Any, **fields: Any) -> httpx.Response:
    return await client.post("/v1/policies", json={**POLICY, **fields}, headers=auth(who))


async def _matches(client: httpx.AsyncClient, policy_id: str, who: Any, **params: Any) -> list[dict[str, Any]]:
    response = await client.get(f"/v1/policies/{policy_id}/matches", params=params, headers=auth(who))
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_a_community_policy_matches_by_every_rule_and_says_why(registry_app: httpx.AsyncClient) -> None:
    world = await _world(registry_app)
    rules = [
        {"field": "industry_section", "any_of": ["I"]},
        {"field": "headcount", "min": 10, "max": 500},
        {"field": "years_since_founding", "max": 5},
        {"field": "building_kind", "any_of": ["office_tower"]},
        {"field": "industry_code", "any_of": ["65"]},
        {"field": "graduates", "min": 10},
    ]
    response = await _publish(registry_app, staff(uuid.UUID(world["a"])), community_id=world["a"], rules=rules)
    assert response.status_code == 201, response.text
    policy = response.json()
    assert policy["matched"] == 1
    assert policy["rules"] == rules
    assert response.headers["location"] == f"/v1/policies/{policy['id']}"
    # `elsewhere` fits every rule but is in community B; `unreported` has no figures; the others fail one
    (match,) = await _matches(registry_app, policy["id"], staff(uuid.UUID(world["a"])))
    assert match["enterprise_id"] == world["software"]
    assert match["answer"] is None
    assert match["reasons"] == [
        {"rule": 0, "field": "industry_section", "value": "I"},
        {"rule": 1, "field": "headcount", "value": 25},
        {"rule": 2, "field": "years_since_founding", "value": 2},
        {"rule": 3, "field": "building_kind", "value": ["office_tower"]},
        {"rule": 4, "field": "industry_code", "value": "6513"},
        {"rule": 5, "field": "graduates", "value": 20},
    ]


async def test_a_district_policy_spans_communities_and_each_staff_sees_only_their_own(
    registry_app: httpx.AsyncClient,
) -> None:
    world = await _world(registry_app)
    rules = [{"field": "high_level_talents", "min": 1}]
    refused = await _publish(registry_app, staff(uuid.UUID(world["a"])), rules=rules)
    assert refused.status_code == 403, refused.text
    response = await _publish(registry_app, admin(), rules=rules)
    assert response.status_code == 201, response.text
    policy = response.json()
    assert policy["community_id"] is None and policy["matched"] == 3
    everyone = {item["enterprise_id"] for item in await _matches(registry_app, policy["id"], admin())}
    assert everyone == {world["software"], world["big_software"], world["elsewhere"]}
    in_a = {item["enterprise_id"] for item in await _matches(registry_app, policy["id"], staff(uuid.UUID(world["a"])))}
    assert in_a == {world["software"], world["big_software"]}
    in_b = {item["enterprise_id"] for item in await _matches(registry_app, policy["id"], staff(uuid.UUID(world["b"])))}
    assert in_b == {world["elsewhere"]}
    take_up = await registry_app.get(f"/v1/policies/{policy['id']}/take-up", headers=auth(staff(uuid.UUID(world["b"]))))
    assert take_up.json() == {
        "policy_id": policy["id"], "matched": 1, "applied": 0, "not_relevant": 0, "unanswered": 1, "take_up_rate": None
    } | {"take_up_rate": 0.0}  # fmt: skip


async def test_staff_of_another_community_see_none_of_a_community_policys_matches(
    registry_app: httpx.AsyncClient,
) -> None:
    world = await _world(registry_app)
    created = await _publish(registry_app, staff(uuid.UUID(world["a"])), community_id=world["a"], rules=[])
    assert created.status_code == 201 and created.json()["matched"] == 4  # every active enterprise of A
    policy_id = created.json()["id"]
    other = staff(uuid.UUID(world["b"]))
    for path in (f"/v1/policies/{policy_id}/matches", f"/v1/policies/{policy_id}/take-up"):
        response = await registry_app.get(path, headers=auth(other))
        assert response.status_code == 403, response.text
        assert response.json()["code"] == "FORBIDDEN"
    # nor may they publish for A
    response = await _publish(registry_app, other, community_id=world["a"], rules=[])
    assert response.status_code == 403


async def test_bad_rules_are_422_with_a_pointer_to_the_rule_and_never_stored(
    registry_app: httpx.AsyncClient, database_url: str
) -> None:
    world = await _world(registry_app)
    cases = [
        ([{"field": "turnover", "min": 1}], "ENUM", "/rules/0/field"),
        ([{"field": "industry_section", "any_of": ["I"]}, {"field": "headcount", "min": 50, "max": 10}],
         "RANGE_IMPOSSIBLE", "/rules/1"),
        ([{"field": "headcount"}], "RANGE_UNBOUNDED", "/rules/0"),
        ([{"field": "headcount", "min": -1}], "GREATER_THAN_EQUAL", "/rules/0/min"),
        ([{"field": "industry_section", "any_of": ["Z"]}], "RULE_VALUE_INVALID", "/rules/0"),
        ([{"field": "building_kind", "any_of": ["castle"]}], "RULE_VALUE_INVALID", "/rules/0"),
        ([{"field": "community", "any_of": ["not-an-id"]}], "RULE_VALUE_INVALID", "/rules/0"),
        ([{"field": "headcount", "any_of": ["I"]}], "RULE_NEEDS_RANGE", "/rules/0"),
        ([{"field": "industry_code", "max": 3}], "RULE_NEEDS_ANY_OF", "/rules/0"),
        ([{"field": "headcount", "min": 1, "less": 3}], "EXTRA_FORBIDDEN", "/rules/0/less"),
    ]  # fmt: skip
    for rules, code, pointer in cases:
        response = await _publish(registry_app, admin(), community_id=world["a"], rules=rules)
        assert response.status_code == 422, response.text
        assert [(item["code"], item["pointer"]) for item in response.json()["errors"]] == [(code, pointer)], rules
        assert "turnover" not in response.text and "castle" not in response.text  # input never echoed
    reversed_dates = await _publish(registry_app, admin(), rules=[], valid_from="2026-06-01", valid_to="2026-01-01")
    assert reversed_dates.status_code == 422
    assert reversed_dates.json()["errors"][0]["code"] == "ENDS_BEFORE_START"
    assert await rows(database_url, "SELECT id FROM registry.policy") == []


async def test_the_representative_sees_policies_for_them_and_answers_once(
    registry_app: httpx.AsyncClient,
) -> None:
    world = await _world(registry_app)
    first = (await _publish(registry_app, admin(), title="一", rules=[{"field": "headcount", "min": 20}])).json()
    second = (
        await _publish(registry_app, admin(), title="二", rules=[{"field": "industry_section", "any_of": ["I"]}])
    ).json()
    await _publish(registry_app, admin(), title="三", rules=[{"field": "industry_section", "any_of": ["R"]}])
    rep = enterprise_rep(uuid.UUID(world["software"]))
    inbox = await registry_app.get(
        f"/v1/enterprises/{world['software']}/policies", params={"limit": 1}, headers=auth(rep)
    )
    assert inbox.status_code == 200, inbox.text
    page = inbox.json()
    assert [item["policy"]["title"] for item in page["items"]] == ["二"]
    assert page["items"][0]["reasons"] == [{"rule": 0, "field": "industry_section", "value": "I"}]
    rest = await registry_app.get(
        f"/v1/enterprises/{world['software']}/policies", params={"cursor": page["next_cursor"]}, headers=auth(rep)
    )
    assert [item["policy"]["title"] for item in rest.json()["items"]] == ["一"]
    assert "next_cursor" not in rest.json() or rest.json()["next_cursor"] is None

    path = f"/v1/enterprises/{world['software']}/policies/{first['id']}/answer"
    answered = await registry_app.post(path, json={"answer": "applied"}, headers=auth(rep))
    assert answered.status_code == 201, answered.text
    assert answered.json()["answer"] == "applied"
    again = await registry_app.post(path, json={"answer": "applied"}, headers=auth(rep))
    assert again.status_code == 200 and again.json() == answered.json()
    other = await registry_app.post(path, json={"answer": "not_relevant"}, headers=auth(rep))
    assert other.status_code == 409 and other.json()["code"] == "POLICY_ALREADY_ANSWERED"
    # a policy that was not offered to it
    media_rep = enterprise_rep(uuid.UUID(world["media"]))
    not_offered = await registry_app.post(
        f"/v1/enterprises/{world['media']}/policies/{second['id']}/answer", json={"answer": "applied"},
        headers=auth(media_rep),
    )  # fmt: skip
    assert not_offered.status_code == 404 and not_offered.json()["code"] == "POLICY_NOT_OFFERED"
    take_up = await registry_app.get(f"/v1/policies/{first['id']}/take-up", headers=auth(admin()))
    assert take_up.json() == {
        "policy_id": first["id"], "matched": 3, "applied": 1, "not_relevant": 0, "unanswered": 2,
        "take_up_rate": round(1 / 3, 4),
    }  # fmt: skip
    applied = await _matches(registry_app, first["id"], admin(), answer="applied")
    assert [item["enterprise_id"] for item in applied] == [world["software"]]


async def test_only_the_enterprises_own_representative_reads_or_answers(registry_app: httpx.AsyncClient) -> None:
    world = await _world(registry_app)
    policy = (await _publish(registry_app, admin(), rules=[])).json()
    for who in (enterprise_rep(uuid.UUID(world["media"])), employee(uuid.UUID(world["software"]))):
        inbox = await registry_app.get(f"/v1/enterprises/{world['software']}/policies", headers=auth(who))
        assert inbox.status_code == 403, inbox.text
        answer = await registry_app.post(
            f"/v1/enterprises/{world['software']}/policies/{policy['id']}/answer", json={"answer": "applied"},
            headers=auth(who),
        )  # fmt: skip
        assert answer.status_code == 403


async def test_five_answers_at_once_leave_one(registry_app: httpx.AsyncClient, database_url: str) -> None:
    world = await _world(registry_app)
    policy = (await _publish(registry_app, admin(), rules=[])).json()
    rep = enterprise_rep(uuid.UUID(world["software"]))
    path = f"/v1/enterprises/{world['software']}/policies/{policy['id']}/answer"
    answers = ["applied", "not_relevant", "applied", "not_relevant", "applied"]
    responses = await asyncio.gather(
        *(registry_app.post(path, json={"answer": answer}, headers=auth(rep)) for answer in answers)
    )
    stored = await rows(
        database_url, "SELECT answer FROM registry.policy_answer WHERE policy_id = $1", uuid.UUID(policy["id"])
    )
    assert len(stored) == 1
    winner = stored[0]["answer"]
    by_answer = {(answer, response.status_code) for answer, response in zip(answers, responses, strict=True)}
    assert sum(response.status_code == 201 for response in responses) == 1
    loser = "not_relevant" if winner == "applied" else "applied"
    assert (loser, 409) in by_answer and (loser, 201) not in by_answer and (loser, 200) not in by_answer


async def test_matching_is_one_statement_and_writes_offers_to_the_feed(registry_app: httpx.AsyncClient) -> None:
    world = await _world(registry_app)
    policy = (await _publish(registry_app, admin(), rules=[{"field": "industry_section", "any_of": ["I"]}])).json()
    (event,) = [
        event
        for event in await factories.events(registry_app, "PolicyOffered", 1)
        if event["payload"]["policy_id"] == policy["id"]
    ]
    assert sorted(event["payload"]["enterprise_ids"]) == sorted(
        [world["software"], world["big_software"], world["unreported"], world["elsewhere"]]
    )
    assert event["payload"]["title"] == POLICY["title"] and event["payload"]["issuer"] == POLICY["issuer"]


async def test_a_moved_out_enterprise_is_not_offered(registry_app: httpx.AsyncClient) -> None:
    world = await _world(registry_app)
    today = business_today()
    moved = await registry_app.post(
        f"/v1/enterprises/{world['media']}/status-changes",
        json={"status": "moved_out", "effective_on": (today - dt.timedelta(days=1)).isoformat()},
        headers=auth(admin()),
    )
    assert moved.status_code == 201, moved.text
    policy = (await _publish(registry_app, admin(), community_id=world["a"], rules=[])).json()
    ids = {item["enterprise_id"] for item in await _matches(registry_app, policy["id"], admin())}
    assert ids == {world["software"], world["big_software"], world["unreported"]}


async def test_matching_again_offers_the_newcomers_once_and_keeps_the_answers(registry_app: httpx.AsyncClient) -> None:
    world = await _world(registry_app)
    a_staff = staff(uuid.UUID(world["a"]))
    rules = [{"field": "headcount", "min": 20}]
    policy = (await _publish(registry_app, a_staff, community_id=world["a"], rules=rules)).json()
    assert policy["matched"] == 2  # software (25) and big_software (900)
    rep = enterprise_rep(uuid.UUID(world["software"]))
    path = f"/v1/enterprises/{world['software']}/policies/{policy['id']}/answer"
    assert (await registry_app.post(path, json={"answer": "applied"}, headers=auth(rep))).status_code == 201
    await _headcount(registry_app, world["unreported"], 40)  # it reports its figures now
    again = await registry_app.post(f"/v1/policies/{policy['id']}/matching", headers=auth(a_staff))
    assert again.status_code == 200, again.text
    assert again.json() == {
        "policy_id": policy["id"], "newly_offered": 1, "matched": 3, "matched_on": business_today().isoformat()
    }  # fmt: skip
    once_more = await registry_app.post(f"/v1/policies/{policy['id']}/matching", headers=auth(a_staff))
    assert once_more.json()["newly_offered"] == 0 and once_more.json()["matched"] == 3
    offers = [
        event["payload"]["enterprise_ids"]
        for event in await factories.events(registry_app, "PolicyOffered", 2)
        if event["payload"]["policy_id"] == policy["id"]
    ]
    assert offers == [sorted([world["software"], world["big_software"]]), [world["unreported"]]]
    matches = await _matches(registry_app, policy["id"], a_staff, answer="applied")
    assert [item["enterprise_id"] for item in matches] == [world["software"]]
    for who in (staff(uuid.UUID(world["b"])),):
        refused = await registry_app.post(f"/v1/policies/{policy['id']}/matching", headers=auth(who))
        assert refused.status_code == 403
    district = (await _publish(registry_app, admin(), rules=rules)).json()
    refused = await registry_app.post(f"/v1/policies/{district['id']}/matching", headers=auth(a_staff))
    assert refused.status_code == 403


def test_the_rule_fields_are_the_list_and_range_facts_together() -> None:
    from registry.policies.states import ListField, RangeField, RuleField

    assert {field.value for field in RuleField} == {field.value for field in (*ListField, *RangeField)}
    assert {field.value for field in ListField}.isdisjoint(field.value for field in RangeField)
