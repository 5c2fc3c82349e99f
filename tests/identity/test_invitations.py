"""Invitation codes: the representative creates one-time expiring codes (shown once, stored as a
digest); any signed-in account redeems one and becomes an employee; used, expired, cancelled and
unknown codes are one error; two concurrent redemptions make one employee; ten wrong codes an hour."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from typing import Any

import httpx
from fastapi import FastAPI

from identity.grants.codes import ALPHABET
from shared.auth import Role
from tests.identity.conftest import signed_in
from tests.identity.grants_support import EN, person, rep, sql


async def _invite(client: httpx.AsyncClient, enterprise: uuid.UUID, **body: object) -> dict[str, object]:
    created = await client.post(
        f"/v1/accounts/enterprises/{enterprise}/invitations", json=body, headers=rep(uuid.uuid4(), enterprise)
    )
    assert created.status_code == 201, created.text
    answer: dict[str, object] = created.json()
    return answer


async def _redeem(client: httpx.AsyncClient, account_id: uuid.UUID, code: object) -> httpx.Response:
    return await client.post("/v1/auth/invitations/redeem", json={"code": code}, headers=person(account_id))


async def test_the_representative_creates_a_code_shown_once_and_stored_as_its_digest(
    identity_client: httpx.AsyncClient, database_url: str
) -> None:
    enterprise = uuid.uuid4()
    created = await identity_client.post(
        f"/v1/accounts/enterprises/{enterprise}/invitations",
        json={"expires_in_hours": 24},
        headers=rep(uuid.uuid4(), enterprise),
    )
    assert created.status_code == 201, created.text
    assert created.headers["cache-control"] == "no-store"
    body = created.json()
    code = body["code"]
    assert len(code) == 10 and set(code) <= set(ALPHABET)
    assert body["status"] == "active" and body["enterprise_id"] == str(enterprise)
    rows = await sql(database_url, "SELECT * FROM identity.invitation")
    assert [row["code_sha256"] for row in rows] == [hashlib.sha256(code.encode()).digest()]
    assert code not in repr([dict(row) for row in rows])
    hours = (rows[0]["expires_at"] - rows[0]["created_at"]).total_seconds() / 3600
    assert hours == 24

    default = await _invite(identity_client, enterprise)
    listed = await identity_client.get(
        f"/v1/accounts/enterprises/{enterprise}/invitations", headers=rep(uuid.uuid4(), enterprise)
    )
    assert listed.status_code == 200
    items = listed.json()["items"]
    assert [item["id"] for item in items] == [default["id"], body["id"]]
    assert all("code" not in item for item in items) and code not in listed.text


async def test_only_the_enterprises_own_representative_manages_its_codes(identity_client: httpx.AsyncClient) -> None:
    enterprise = uuid.uuid4()
    path = f"/v1/accounts/enterprises/{enterprise}/invitations"
    other = await identity_client.post(path, json={}, headers=rep(uuid.uuid4(), uuid.uuid4()))
    assert other.status_code == 403 and other.json()["code"] == "NOT_YOUR_ENTERPRISE"
    listed = await identity_client.get(path, headers=rep(uuid.uuid4(), uuid.uuid4()))
    assert listed.status_code == 403 and listed.json()["code"] == "NOT_YOUR_ENTERPRISE"
    for role in (Role.employee, Role.platform_admin, Role.community_staff):
        refused = await identity_client.post(
            path, json={}, headers=person(uuid.uuid4(), role, enterprise_id=enterprise)
        )
        assert refused.status_code == 403 and refused.json()["code"] == "FORBIDDEN", role
    for hours in (0, 169, None, "x"):
        invalid = await identity_client.post(
            path, json={"expires_in_hours": hours}, headers=rep(uuid.uuid4(), enterprise)
        )
        assert invalid.status_code == 422, hours


async def test_redeeming_makes_the_account_an_employee_in_its_next_access_token(
    identity_service: FastAPI, identity_client: httpx.AsyncClient
) -> None:
    enterprise = uuid.uuid4()
    code = str((await _invite(identity_client, enterprise))["code"])
    who = await signed_in(identity_service)
    redeemed = await _redeem(identity_client, who.account_id, f" {code[:5].lower()}-{code[5:]} ")
    assert redeemed.status_code == 200, redeemed.text
    body = redeemed.json()
    assert body["refresh_required"] is True and "/v1/auth/token" in body["hint"]
    [grant] = body["account"]["grants"]
    assert (grant["role"], grant["enterprise_id"], grant["source"]) == ("employee", str(enterprise), "invitation")
    refreshed = await identity_client.post("/v1/auth/token", json={"refresh_token": who.pair.refresh_token})
    assert refreshed.status_code == 200, refreshed.text
    import jwt

    claims = jwt.decode(refreshed.json()["access_token"], options={"verify_signature": False})
    assert claims["roles"] == ["account", "employee"] and claims["enterprise_id"] == str(enterprise)


async def test_used_expired_cancelled_and_unknown_codes_are_one_error(
    identity_service: FastAPI, identity_client: httpx.AsyncClient, database_url: str
) -> None:
    enterprise = uuid.uuid4()
    used, expired, cancelled = [str((await _invite(identity_client, enterprise))["code"]) for _ in range(3)]
    first = await signed_in(identity_service)
    assert (await _redeem(identity_client, first.account_id, used)).status_code == 200
    await sql(
        database_url,
        "UPDATE identity.invitation SET created_at = now() - interval '2 hours',"
        " expires_at = now() - interval '1 second' WHERE code_sha256 = $1",
        hashlib.sha256(expired.encode()).digest(),
    )
    [invitation] = await sql(
        database_url,
        "SELECT id FROM identity.invitation WHERE code_sha256 = $1",
        hashlib.sha256(cancelled.encode()).digest(),
    )
    path = f"/v1/accounts/enterprises/{enterprise}/invitations"
    assert (
        await identity_client.delete(f"{path}/{invitation['id']}", headers=rep(uuid.uuid4(), enterprise))
    ).status_code == 204
    gone = await identity_client.delete(f"{path}/{uuid.uuid4()}", headers=rep(uuid.uuid4(), enterprise))
    assert gone.status_code == 404 and gone.json()["code"] == "INVITATION_NOT_FOUND"

    second = await signed_in(identity_service)
    answers = [
        await _redeem(identity_client, second.account_id, code)
        for code in (used, expired, cancelled, "23456789AB", "not a code")
    ]
    for answer in answers:
        assert answer.status_code == 400, answer.text
        assert answer.json()["code"] == "INVITATION_INVALID"
    # nothing tells them apart: same body but the trace id
    shapes = {
        tuple(sorted((k, v) for k, v in answer.json().items() if k not in {"trace_id", "instance"}))
        for answer in answers
    }
    assert len(shapes) == 1
    for answer, code in zip(answers, (used, expired, cancelled), strict=False):
        assert code not in answer.text
    statuses = {
        item["status"]
        for item in (await identity_client.get(path, headers=rep(uuid.uuid4(), enterprise))).json()["items"]
    }
    assert statuses == {"used", "expired", "cancelled"}
    me = await identity_client.get("/v1/accounts/me", headers=person(second.account_id))
    assert me.json()["grants"] == []


async def test_two_accounts_redeeming_one_code_at_once_make_exactly_one_employee(
    identity_service: FastAPI, identity_client: httpx.AsyncClient, database_url: str
) -> None:
    for _ in range(5):
        enterprise = uuid.uuid4()
        code = (await _invite(identity_client, enterprise))["code"]
        one, two = await signed_in(identity_service), await signed_in(identity_service)
        answers = await asyncio.gather(
            _redeem(identity_client, one.account_id, code), _redeem(identity_client, two.account_id, code)
        )
        assert sorted(answer.status_code for answer in answers) == [200, 400], [answer.text for answer in answers]
        employees = await sql(
            database_url,
            "SELECT account_id FROM identity.role_grant WHERE role = 'employee' AND enterprise_id = $1",
            enterprise,
        )
        assert len(employees) == 1


async def test_ten_wrong_codes_an_hour_then_429_even_for_a_good_code(
    identity_service: FastAPI, identity_client: httpx.AsyncClient
) -> None:
    enterprise = uuid.uuid4()
    code = (await _invite(identity_client, enterprise))["code"]
    who = await signed_in(identity_service)
    # concurrently: the database serialises one account's attempts, so exactly ten are counted
    answers = await asyncio.gather(*(_redeem(identity_client, who.account_id, "ZZZZZZZZZZ") for _ in range(14)))
    assert sorted(answer.status_code for answer in answers) == [400] * 10 + [429] * 4, [a.text for a in answers]
    limited = await _redeem(identity_client, who.account_id, code)
    assert limited.status_code == 429 and limited.json()["code"] == "TOO_MANY_ATTEMPTS"
    assert 3500 <= int(limited.headers["retry-after"]) <= 3601
    # another account is not limited, and the code was not spent by the refused attempt
    other = await signed_in(identity_service)
    assert (await _redeem(identity_client, other.account_id, code)).status_code == 200


async def test_an_account_that_is_already_an_employee_gets_a_conflict_and_keeps_the_code_unused(
    identity_service: FastAPI, identity_client: httpx.AsyncClient
) -> None:
    enterprise = uuid.uuid4()
    first, second = [(await _invite(identity_client, enterprise))["code"] for _ in range(2)]
    who = await signed_in(identity_service)
    assert (await _redeem(identity_client, who.account_id, first)).status_code == 200
    again = await _redeem(identity_client, who.account_id, second)
    assert again.status_code == 409 and again.json()["code"] == "GRANT_EXISTS"
    other = await signed_in(identity_service)
    assert (await _redeem(identity_client, other.account_id, second)).status_code == 200


async def test_redeeming_needs_an_account(identity_client: httpx.AsyncClient) -> None:
    anonymous = await identity_client.post("/v1/auth/invitations/redeem", json={"code": "23456789AB"}, headers=EN)
    assert anonymous.status_code == 401
    unknown = await _redeem(identity_client, uuid.uuid4(), "23456789AB")
    assert unknown.status_code == 400  # wrong code first: no account is revealed either way


# --- join requests: the other way in, decided by the representative --------------------------


async def _ask(client: httpx.AsyncClient, account_id: uuid.UUID, enterprise: uuid.UUID) -> httpx.Response:
    return await client.post(
        "/v1/accounts/join-requests", json={"enterprise_id": str(enterprise)}, headers=person(account_id)
    )


def _decide(client: httpx.AsyncClient, enterprise: uuid.UUID, request_id: str, decision: str) -> Any:
    return client.post(
        f"/v1/accounts/enterprises/{enterprise}/join-requests/{request_id}/{decision}",
        headers=rep(uuid.uuid4(), enterprise),
    )


async def test_a_join_request_is_pending_once_and_approval_makes_an_employee(
    identity_service: FastAPI, identity_client: httpx.AsyncClient
) -> None:
    enterprise = uuid.uuid4()
    who = await signed_in(identity_service)
    asked = await _ask(identity_client, who.account_id, enterprise)
    assert asked.status_code == 201, asked.text
    assert asked.json()["status"] == "pending" and asked.json()["account_id"] == str(who.account_id)
    twice = await _ask(identity_client, who.account_id, enterprise)
    assert twice.status_code == 409 and twice.json()["code"] == "JOIN_REQUEST_EXISTS"
    assert (await _ask(identity_client, who.account_id, uuid.uuid4())).status_code == 201  # another enterprise

    path = f"/v1/accounts/enterprises/{enterprise}/join-requests"
    listed = await identity_client.get(path, params={"status": "pending"}, headers=rep(uuid.uuid4(), enterprise))
    assert [item["id"] for item in listed.json()["items"]] == [asked.json()["id"]]
    foreign = await identity_client.get(path, headers=rep(uuid.uuid4(), uuid.uuid4()))
    assert foreign.status_code == 403 and foreign.json()["code"] == "NOT_YOUR_ENTERPRISE"
    bad = await identity_client.get(path, params={"status": "maybe"}, headers=rep(uuid.uuid4(), enterprise))
    assert bad.status_code == 422
    elsewhere = await _decide(identity_client, uuid.uuid4(), asked.json()["id"], "approve")
    assert elsewhere.status_code == 404 and elsewhere.json()["code"] == "JOIN_REQUEST_NOT_FOUND"

    approved = await _decide(identity_client, enterprise, asked.json()["id"], "approve")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    me = (await identity_client.get("/v1/accounts/me", headers=person(who.account_id))).json()
    assert [(g["role"], g["enterprise_id"], g["source"]) for g in me["grants"]] == [
        ("employee", str(enterprise), "join_request")
    ]
    again = await _decide(identity_client, enterprise, asked.json()["id"], "reject")
    assert again.status_code == 404
    assert (
        await identity_client.get(path, params={"status": "pending"}, headers=rep(uuid.uuid4(), enterprise))
    ).json()["items"] == []


async def test_a_rejected_request_grants_nothing_and_may_be_asked_again(
    identity_service: FastAPI, identity_client: httpx.AsyncClient
) -> None:
    enterprise = uuid.uuid4()
    who = await signed_in(identity_service)
    asked = (await _ask(identity_client, who.account_id, enterprise)).json()
    rejected = await _decide(identity_client, enterprise, asked["id"], "reject")
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert (await identity_client.get("/v1/accounts/me", headers=person(who.account_id))).json()["grants"] == []
    assert (await _ask(identity_client, who.account_id, enterprise)).status_code == 201


async def test_two_requests_at_once_one_pending(identity_service: FastAPI, identity_client: httpx.AsyncClient) -> None:
    for _ in range(5):
        enterprise = uuid.uuid4()
        who = await signed_in(identity_service)
        answers = await asyncio.gather(*(_ask(identity_client, who.account_id, enterprise) for _ in range(2)))
        assert sorted(answer.status_code for answer in answers) == [201, 409], [a.text for a in answers]


async def test_approve_and_reject_at_once_exactly_one_wins(
    identity_service: FastAPI, identity_client: httpx.AsyncClient, database_url: str
) -> None:
    for _ in range(5):
        enterprise = uuid.uuid4()
        who = await signed_in(identity_service)
        asked = (await _ask(identity_client, who.account_id, enterprise)).json()
        approve, reject = await asyncio.gather(
            _decide(identity_client, enterprise, asked["id"], "approve"),
            _decide(identity_client, enterprise, asked["id"], "reject"),
        )
        assert sorted([approve.status_code, reject.status_code]) == [200, 404], [approve.text, reject.text]
        winner = "approved" if approve.status_code == 200 else "rejected"
        [row] = await sql(
            database_url, "SELECT status FROM identity.join_request WHERE id = $1", uuid.UUID(asked["id"])
        )
        assert row["status"] == winner
        grants = await sql(database_url, "SELECT id FROM identity.role_grant WHERE account_id = $1", who.account_id)
        assert len(grants) == (1 if winner == "approved" else 0)


def test_no_repr_shows_a_code() -> None:
    from identity.grants.schemas import InvitationCreated, InvitationRedeem

    now = "2026-12-02T08:00:00Z"
    created = InvitationCreated.model_validate(
        {
            "id": str(uuid.uuid4()),
            "enterprise_id": str(uuid.uuid4()),
            "status": "active",
            "created_at": now,
            "expires_at": now,
            "used_at": None,
            "cancelled_at": None,
            "code": "7KQ2M9XH4P",
        }
    )
    assert created.code == "7KQ2M9XH4P" and "7KQ2M9XH4P" not in repr(created) + str(created)
    assert "7KQ2M9XH4P" not in repr(InvitationRedeem(code="7KQ2M9XH4P"))
