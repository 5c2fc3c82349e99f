"""What a partner sees of and does with the requests routed to it (issue 7, section 1)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import asyncpg
import httpx

from shared.auth import Identity
from tests.service_requests.conftest import World, act, create_type, feed_events, submit, type_body
from tests.support.database import asyncpg_dsn
from tests.support.identities import auth

PARTNER_VIEW_FIELDS = {
    "id", "type_id", "type_version", "type_code", "type_name_zh", "type_name_en", "category", "scenario",
    "community_id", "enterprise_id", "status", "description", "answers", "acknowledge_due_at", "resolve_due_at",
    "acknowledged_at", "resolved_at", "closed_at", "overdue", "provisional", "outcome", "version", "created_at",
    "updated_at", "allowed_actions", "routed_partner_id",
}  # fmt: skip
APPROVED = {
    "kind": "financing",
    "decision": "approved",
    "amount_cny": "500000.00",
    "annual_rate_percent": "3.45",
    "term_months": 12,
}
REFUSED = {"kind": "financing", "decision": "refused", "refusal_reason": "近一年流水不足"}
CAMPAIGN = {"kind": "mcn_campaign", "campaign_name": "双十二直播专场", "campaign_date": "2026-12-05", "channel": "抖音"}


def _form(*, purpose_shareable: bool) -> list[dict[str, Any]]:
    form: list[dict[str, Any]] = type_body(uuid.uuid4())["form"]
    form[0]["shareable"] = True  # amount
    form[1]["shareable"] = purpose_shareable
    return form


async def _bank_type(client: httpx.AsyncClient, world: World, *partners: uuid.UUID, **extra: Any) -> dict[str, Any]:
    handler = {"kind": "bank", "partner_ids": [str(partner) for partner in partners], **extra.pop("handler", {})}
    return await create_type(client, world, handler=handler, form=_form(purpose_shareable=False), **extra)


async def _file(client: httpx.AsyncClient, world: World, type_id: str, **extra: Any) -> dict[str, Any]:
    body = {
        "type_id": type_id,
        "description": "需要流动资金贷款,法人张三 13800000000",
        "answers": {"amount": 300, "purpose": "working_capital"},
        "location": {"building_id": str(uuid.uuid4()), "floor": 12, "address": "江陵路 88 号"},
        "attachments": [{"ref": "files/licence.pdf", "name": "营业执照"}],
        "share_consent": True,
        **extra,
    }
    response = await client.post("/v1/service-requests", json=body, headers=auth(world.rep()))
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def _work_until_in_progress(client: httpx.AsyncClient, world: World, bank: Identity, request_id: str) -> int:
    accepted = await act(client, bank, request_id, "accept", 1)
    assert accepted.json()["allowed_actions"] == ["decline", "reject", "start"]
    started = await act(client, bank, request_id, "start", 2)
    assert started.status_code == 200, started.text
    version: int = started.json()["version"]
    return version


async def test_a_partner_sees_only_what_the_filed_type_version_shares(requests_app: httpx.AsyncClient) -> None:
    world, bank_id = World(), uuid.uuid4()
    bank = world.partner(bank_id)
    service_type = await _bank_type(requests_app, world, bank_id)
    old = await _file(requests_app, world, service_type["id"])

    seen = await requests_app.get(f"/v1/service-requests/{old['id']}", headers=auth(bank))
    assert seen.status_code == 200, seen.text
    assert seen.headers["ETag"] == '"v1"'
    view = seen.json()
    assert set(view) == PARTNER_VIEW_FIELDS
    assert view["answers"] == {"amount": 300}
    assert view["description"] is None
    assert view["allowed_actions"] == ["accept", "decline", "reject"]
    listed = (await requests_app.get("/v1/service-requests", headers=auth(bank))).json()["items"]
    assert listed == [view]

    # the type now shares more; the old request keeps the snapshot it was filed under
    wider = type_body(world.community_id, form=_form(purpose_shareable=True))
    wider["handler"] = {"kind": "bank", "partner_ids": [str(bank_id)], "share_description": True}
    replaced = await requests_app.put(
        f"/v1/service-types/{service_type['id']}", json=wider, headers={**auth(world.staff()), "If-Match": '"v1"'}
    )
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["handler"]["share_description"] is True
    again = (await requests_app.get(f"/v1/service-requests/{old['id']}", headers=auth(bank))).json()
    assert (again["answers"], again["description"]) == ({"amount": 300}, None)

    new = await _file(requests_app, world, service_type["id"])
    shared = (await requests_app.get(f"/v1/service-requests/{new['id']}", headers=auth(bank))).json()
    assert shared["answers"] == {"amount": 300, "purpose": "working_capital"}
    assert shared["description"] == new["description"]
    assert "requester_subject" not in shared and "location" not in shared

    staff_view = (await requests_app.get(f"/v1/service-requests/{old['id']}", headers=auth(world.staff()))).json()
    assert staff_view["requester_subject"].startswith("test-enterprise_rep-")
    assert staff_view["answers"] == {"amount": 300, "purpose": "working_capital"}
    assert staff_view["location"]["address"] == "江陵路 88 号"
    assert staff_view["share_consent_at"] is not None


async def test_the_partner_timeline_hides_notes_other_subjects_and_the_rating_comment(
    requests_app: httpx.AsyncClient,
) -> None:
    world, bank_id = World(), uuid.uuid4()
    bank = world.partner(bank_id)
    service_type = await _bank_type(requests_app, world, bank_id)
    request_id = (await _file(requests_app, world, service_type["id"]))["id"]
    staff = world.staff()
    comments = f"/v1/service-requests/{request_id}/comments"
    assert (await requests_app.post(comments, json={"body": "已转银行"}, headers=auth(staff))).status_code == 201
    note = await requests_app.post(
        comments, json={"body": "内部:该企业有欠税记录", "internal": True}, headers=auth(staff)
    )
    assert note.status_code == 201
    own_note = await requests_app.post(
        comments, json={"body": "x", "internal": True}, headers={**auth(bank), "If-Match": '"v1"'}
    )
    assert own_note.status_code == 403

    version = await _work_until_in_progress(requests_app, world, bank, request_id)
    resolved = await act(requests_app, bank, request_id, "resolve", version, reason="已放款", outcome=APPROVED)
    assert resolved.status_code == 200, resolved.text
    rated = await requests_app.post(
        f"/v1/service-requests/{request_id}/rating", json={"score": 2, "comment": "利率太高"}, headers=auth(world.rep())
    )
    assert rated.json()["status"] == "reopened"

    items = (await requests_app.get(f"/v1/service-requests/{request_id}/timeline", headers=auth(bank))).json()["items"]
    assert all(not item["internal"] for item in items)
    assert "欠税" not in str(items) and "利率太高" not in str(items)
    assert {item["actor_subject"] for item in items} == {None, bank.subject}
    assert [item["action"] for item in items if item["actor_subject"] == bank.subject] == ["accept", "start", "resolve"]
    assert [item["actor_role"] for item in items if item["kind"] == "rating"] == ["enterprise_rep"]
    [resolution] = [item for item in items if item["action"] == "resolve"]
    assert resolution["data"] == {"outcome": {**APPROVED, "refusal_reason": None}}

    as_staff = (await requests_app.get(f"/v1/service-requests/{request_id}/timeline", headers=auth(staff))).json()
    assert "欠税" in str(as_staff) and "利率太高" in str(as_staff)


async def test_consent_is_required_for_every_partner_routed_submission(requests_app: httpx.AsyncClient) -> None:
    world, bank_id = World(), uuid.uuid4()
    service_type = await _bank_type(requests_app, world, bank_id)
    for extra in ({}, {"partner_id": str(bank_id)}, {"share_consent": False}):
        refused = await submit(requests_app, world.rep(), service_type["id"], **extra)
        assert refused.status_code == 422, refused.text
        assert refused.json()["code"] == "SHARE_CONSENT_REQUIRED"
        assert refused.json()["errors"] == [
            {"detail": "must be true: this service is handled by a partner", "pointer": "/share_consent"}
        ]

    routed = await submit(requests_app, world.rep(), service_type["id"], share_consent=True)
    assert routed.status_code == 201, routed.text
    assert routed.json()["routed_partner_id"] == str(bank_id)
    assert routed.json()["share_consent_at"] == routed.json()["created_at"]

    community_type = await create_type(requests_app, world)
    plain = await submit(requests_app, world.rep(), community_type["id"])
    assert plain.status_code == 201 and plain.json()["share_consent_at"] is None

    events = {
        event["aggregate_id"]: event["payload"] for event in await feed_events(requests_app, "RequestSubmitted", 2)
    }
    assert events[routed.json()["id"]]["share_consent"] is True
    assert events[routed.json()["id"]]["share_consent_at"] == routed.json()["created_at"]
    assert events[plain.json()["id"]]["share_consent_at"] is None


async def test_staff_reroute_a_declined_request_to_another_partner_of_the_type(
    partner_requests_app: httpx.AsyncClient,
) -> None:
    client, world = partner_requests_app, World()
    first_id, second_id = uuid.uuid4(), uuid.uuid4()
    first, second, staff = world.partner(first_id), world.partner(second_id), world.staff()
    endpoint = await client.post("/v1/webhook-endpoints", json={"url": "http://127.0.0.1:9/hook"}, headers=auth(second))
    assert endpoint.status_code == 201, endpoint.text
    service_type = await _bank_type(client, world, first_id, second_id)
    request_id = (await _file(client, world, service_type["id"]))["id"]

    staff_view = (await client.get(f"/v1/service-requests/{request_id}", headers=auth(staff))).json()
    assert staff_view["allowed_actions"] == ["accept", "route", "reject"]
    declined = await act(client, first, request_id, "decline", 1, reason="超出授信范围")
    assert declined.status_code == 200, declined.text

    missing = await act(client, staff, request_id, "route", 2)
    assert (missing.status_code, missing.json()["errors"][0]["pointer"]) == (422, "/partner_id")
    unknown = await act(client, staff, request_id, "route", 2, partner_id=str(uuid.uuid4()))
    assert (unknown.status_code, unknown.json()["code"]) == (422, "PARTNER_NOT_OFFERED")
    assert (await act(client, first, request_id, "route", 2, partner_id=str(second_id))).status_code == 403

    routed = await act(client, staff, request_id, "route", 2, partner_id=str(second_id))
    assert routed.status_code == 200, routed.text
    moved = routed.json()
    assert (moved["status"], moved["routed_partner_id"], moved["handler_kind"]) == ("submitted", str(second_id), "bank")
    assert (await client.get(f"/v1/service-requests/{request_id}", headers=auth(first))).status_code == 403
    assert (await client.get(f"/v1/service-requests/{request_id}", headers=auth(second))).status_code == 200
    assert (await act(client, second, request_id, "accept", moved["version"])).status_code == 200

    messages = await client.get(f"/v1/webhook-endpoints/{endpoint.json()['id']}/messages", headers=auth(second))
    assert sorted(message["event_type"] for message in messages.json()) == [
        "RequestRouted",
        "RequestTransitioned",
        "RequestTransitioned",
    ]
    timeline = (await client.get(f"/v1/service-requests/{request_id}/timeline", headers=auth(staff))).json()["items"]
    assert [item["data"] for item in timeline if item["action"] == "route"] == [{"partner_id": str(second_id)}]

    community_type = await create_type(client, world)
    plain = (await submit(client, world.rep(), community_type["id"])).json()
    assert "route" not in plain["allowed_actions"]
    nowhere = await act(client, staff, plain["id"], "route", 1, partner_id=str(second_id))
    assert (nowhere.status_code, nowhere.json()["errors"][0]["pointer"]) == (422, "/partner_id")


async def test_a_partner_resolves_with_an_outcome_of_its_kind(requests_app: httpx.AsyncClient) -> None:
    world, bank_id = World(), uuid.uuid4()
    bank = world.partner(bank_id)
    service_type = await _bank_type(requests_app, world, bank_id)
    request_id = (await _file(requests_app, world, service_type["id"]))["id"]

    early = await act(requests_app, bank, request_id, "accept", 1, outcome=APPROVED)
    assert (early.status_code, early.json()["code"]) == (422, "OUTCOME_NOT_ALLOWED")
    assert early.json()["errors"][0]["pointer"] == "/outcome"
    version = await _work_until_in_progress(requests_app, world, bank, request_id)

    without = await act(requests_app, bank, request_id, "resolve", version, reason="已办结")
    assert (without.status_code, without.json()["code"]) == (422, "OUTCOME_REQUIRED")
    assert without.json()["errors"][0]["pointer"] == "/outcome"
    wrong_kind = await act(requests_app, bank, request_id, "resolve", version, reason="x", outcome=CAMPAIGN)
    assert (wrong_kind.status_code, wrong_kind.json()["code"]) == (422, "OUTCOME_KIND_MISMATCH")
    invalid = (
        {**APPROVED, "amount_cny": "0"},
        {**APPROVED, "amount_cny": "1.234"},
        {**APPROVED, "annual_rate_percent": "100"},
        {**APPROVED, "annual_rate_percent": "3.45678"},
        {**APPROVED, "term_months": 361},
        {key: value for key, value in APPROVED.items() if key != "term_months"},
        {**APPROVED, "refusal_reason": "x"},
        {**REFUSED, "amount_cny": "10.00"},
        {"kind": "financing", "decision": "refused"},
        {"kind": "financing", "decision": "maybe"},
        {"kind": "loan", "decision": "approved"},
        {**CAMPAIGN, "campaign_date": "12/05"},
    )
    for outcome in invalid:
        refused = await act(requests_app, bank, request_id, "resolve", version, reason="x", outcome=outcome)
        assert refused.status_code == 422, outcome
        assert all(item["pointer"].startswith("/outcome") for item in refused.json()["errors"]), refused.text

    resolved = await act(
        requests_app, bank, request_id, "resolve", version, reason="已审批", outcome={**APPROVED, "amount_cny": 500000}
    )
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["outcome"] == {**APPROVED, "refusal_reason": None}
    staff_view = (await requests_app.get(f"/v1/service-requests/{request_id}", headers=auth(world.staff()))).json()
    assert staff_view["outcome"] == {**APPROVED, "refusal_reason": None}
    [event] = [
        event
        for event in await feed_events(requests_app, "RequestTransitioned", 4)
        if event["payload"]["action"] == "resolve"
    ]
    assert event["payload"]["outcome"] == {**APPROVED, "refusal_reason": None}


async def test_refusals_campaigns_and_staff_resolutions(requests_app: httpx.AsyncClient) -> None:
    world, bank_id, agency_id = World(), uuid.uuid4(), uuid.uuid4()
    bank_type = await _bank_type(requests_app, world, bank_id)
    refused_id = (await _file(requests_app, world, bank_type["id"]))["id"]
    bank = world.partner(bank_id)
    version = await _work_until_in_progress(requests_app, world, bank, refused_id)
    refusal = await act(requests_app, bank, refused_id, "resolve", version, reason="未通过", outcome=REFUSED)
    assert refusal.status_code == 200, refusal.text
    assert refusal.json()["outcome"] == {
        **REFUSED,
        "amount_cny": None,
        "annual_rate_percent": None,
        "term_months": None,
    }

    mcn_type = await create_type(
        requests_app,
        world,
        handler={"kind": "mcn", "partner_ids": [str(agency_id)]},
        form=_form(purpose_shareable=False),
    )
    campaign_id = (await _file(requests_app, world, mcn_type["id"]))["id"]
    agency = world.partner(agency_id, kind="mcn")
    version = await _work_until_in_progress(requests_app, world, agency, campaign_id)
    financing = await act(requests_app, agency, campaign_id, "resolve", version, reason="x", outcome=APPROVED)
    assert financing.json()["code"] == "OUTCOME_KIND_MISMATCH"
    campaign = await act(requests_app, agency, campaign_id, "resolve", version, reason="已排期", outcome=CAMPAIGN)
    assert campaign.status_code == 200, campaign.text
    assert campaign.json()["outcome"] == CAMPAIGN
    no_channel = {key: value for key, value in CAMPAIGN.items() if key != "channel"}
    closing = await act(requests_app, world.rep(), campaign_id, "close", campaign.json()["version"], outcome=no_channel)
    assert (closing.status_code, closing.json()["code"]) == (422, "OUTCOME_NOT_ALLOWED")

    staff = world.staff()
    community_type = await create_type(requests_app, world)
    plain_id = (await submit(requests_app, world.rep(), community_type["id"])).json()["id"]
    for action, number in (("accept", 1), ("assign", 2), ("start", 3)):
        assert (await act(requests_app, staff, plain_id, action, number)).status_code == 200
    by_staff = await act(requests_app, staff, plain_id, "resolve", 4, reason="已办结")
    assert by_staff.status_code == 200 and by_staff.json()["outcome"] is None


async def test_idempotency_key_replays_transitions_and_comments_byte_for_byte(requests_app: httpx.AsyncClient) -> None:
    world, bank_id = World(), uuid.uuid4()
    bank = world.partner(bank_id)
    service_type = await _bank_type(requests_app, world, bank_id)
    request_id = (await _file(requests_app, world, service_type["id"]))["id"]
    transitions = f"/v1/service-requests/{request_id}/transitions"
    headers = {**auth(bank), "If-Match": '"v1"', "Idempotency-Key": "accept-1"}

    first = await requests_app.post(transitions, json={"action": "accept"}, headers=headers)
    again = await requests_app.post(transitions, json={"action": "accept"}, headers=headers)
    assert first.status_code == again.status_code == 200, first.text
    assert again.content == first.content
    assert again.headers["Idempotent-Replayed"] == "true" and again.headers["ETag"] == '"v2"'
    other_body = await requests_app.post(transitions, json={"action": "reject", "reason": "x"}, headers=headers)
    assert (other_body.status_code, other_body.json()["code"]) == (422, "IDEMPOTENCY_KEY_REUSED")

    comments = f"/v1/service-requests/{request_id}/comments"
    keyed = {**auth(bank), "If-Match": '"v2"', "Idempotency-Key": "comment-1"}
    said = await requests_app.post(comments, json={"body": "请补充近三个月流水"}, headers=keyed)
    repeated = await requests_app.post(comments, json={"body": "请补充近三个月流水"}, headers=keyed)
    assert said.status_code == repeated.status_code == 201, said.text
    assert repeated.content == said.content and repeated.headers["Idempotent-Replayed"] == "true"
    items = (await requests_app.get(f"/v1/service-requests/{request_id}/timeline", headers=auth(bank))).json()["items"]
    assert [item["action"] for item in items if item["kind"] == "transition"] == ["submit", "accept"]
    assert [item["body"] for item in items if item["kind"] == "comment"] == ["请补充近三个月流水"]


async def test_partner_comments_need_the_current_etag(requests_app: httpx.AsyncClient) -> None:
    world, bank_id = World(), uuid.uuid4()
    bank = world.partner(bank_id)
    service_type = await _bank_type(requests_app, world, bank_id)
    request_id = (await _file(requests_app, world, service_type["id"]))["id"]
    comments = f"/v1/service-requests/{request_id}/comments"
    body = {"body": "已收到,正在审核"}

    missing = await requests_app.post(comments, json=body, headers=auth(bank))
    assert (missing.status_code, missing.json()["code"]) == (428, "IF_MATCH_REQUIRED")
    assert (await act(requests_app, bank, request_id, "accept", 1)).status_code == 200
    stale = await requests_app.post(comments, json=body, headers={**auth(bank), "If-Match": '"v1"'})
    assert (stale.status_code, stale.headers["ETag"]) == (412, '"v2"')
    fresh = await requests_app.post(comments, json=body, headers={**auth(bank), "If-Match": '"v2"'})
    assert fresh.status_code == 201, fresh.text
    assert fresh.json()["actor_subject"] == bank.subject

    by_staff = await requests_app.post(comments, json={"body": "好的"}, headers=auth(world.staff()))
    by_requester = await requests_app.post(comments, json={"body": "谢谢"}, headers=auth(world.rep()))
    assert (by_staff.status_code, by_requester.status_code) == (201, 201)


async def test_webhooks_carry_the_outcome_never_the_rating_comment_and_legacy_requests_stay_unrouted(
    partner_requests_app: httpx.AsyncClient, database_url: str
) -> None:
    client, world, bank_id = partner_requests_app, World(), uuid.uuid4()
    bank = world.partner(bank_id)
    endpoint = await client.post("/v1/webhook-endpoints", json={"url": "http://127.0.0.1:9/hook"}, headers=auth(bank))
    assert endpoint.status_code == 201, endpoint.text
    service_type = await _bank_type(client, world, bank_id)
    request_id = (await _file(client, world, service_type["id"]))["id"]
    version = await _work_until_in_progress(client, world, bank, request_id)
    assert (
        await act(client, bank, request_id, "resolve", version, reason="已放款", outcome=APPROVED)
    ).status_code == 200
    rated = await client.post(
        f"/v1/service-requests/{request_id}/rating", json={"score": 1, "comment": "利率太高"}, headers=auth(world.rep())
    )
    assert rated.json()["status"] == "reopened" and rated.json()["outcome"] is None

    legacy_id = (await _file(client, world, service_type["id"]))["id"]
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        bodies = await connection.fetch(
            "SELECT m.payload FROM requests.webhook_message m WHERE m.endpoint_id = $1 ORDER BY m.created_at",
            uuid.UUID(endpoint.json()["id"]),
        )
        # a request filed before consent was recorded (share_consent_at null) cannot be routed again
        await connection.execute(
            "UPDATE requests.service_request SET share_consent_at = NULL WHERE id = $1", uuid.UUID(legacy_id)
        )
    finally:
        await connection.close()
    data = [json.loads(body["payload"])["data"] for body in bodies if json.loads(body["payload"])["data"].get("action")]
    by_action = {item["action"]: item for item in data}
    assert by_action["resolve"]["outcome"] == {**APPROVED, "refusal_reason": None}
    assert by_action["reopen"]["reason"] is None and by_action["reopen"]["outcome"] is None
    assert "利率太高" not in str(data)

    declined = await act(client, bank, legacy_id, "decline", 1, reason="不做")
    assert declined.status_code == 200, declined.text
    staff_view = (await client.get(f"/v1/service-requests/{legacy_id}", headers=auth(world.staff()))).json()
    assert "route" not in staff_view["allowed_actions"]
    refused = await act(client, world.staff(), legacy_id, "route", 2, partner_id=str(bank_id))
    assert (refused.status_code, refused.json()["code"]) == (422, "SHARE_CONSENT_REQUIRED")
    assert refused.json()["errors"][0]["pointer"] == "/partner_id"
