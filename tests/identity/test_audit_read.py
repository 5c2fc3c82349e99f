"""`GET /v1/audit`: platform admins read the trail newest first, page by an opaque cursor, filter by
account; no record holds a code, password or token of the actions that wrote it."""

from __future__ import annotations

import uuid

import httpx
from fastapi import FastAPI

from shared.auth import Role
from tests.identity.conftest import signed_in
from tests.identity.grants_support import person, rep


def admin() -> dict[str, str]:
    return person(uuid.uuid4(), Role.platform_admin)


async def _all(client: httpx.AsyncClient, limit: int, **params: str) -> list[dict[str, object]]:
    items: list[dict[str, object]] = []
    cursor: str | None = None
    for _ in range(100):
        query = {"limit": str(limit), **params, **({"after": cursor} if cursor else {})}
        page = await client.get("/v1/audit", params=query, headers=admin())
        assert page.status_code == 200, page.text
        body = page.json()
        assert len(body["items"]) <= limit
        items.extend(body["items"])
        cursor = body.get("next_cursor")
        if cursor is None:
            return items
    raise AssertionError("the pages never end")


async def test_the_trail_newest_first_in_pages_and_by_account(
    identity_service: FastAPI, identity_client: httpx.AsyncClient
) -> None:
    # three grants in one transaction: three records at the same instant (the id breaks the tie)
    first = await signed_in(
        identity_service,
        (Role.employee, {"enterprise_id": uuid.uuid4()}),
        (Role.community_staff, {"community_id": uuid.uuid4()}),
        (Role.platform_admin, {}),
    )
    second = await signed_in(identity_service)
    whole = await _all(identity_client, 100)
    paged = await _all(identity_client, 2)
    assert [item["id"] for item in paged] == [item["id"] for item in whole]
    assert len({item["id"] for item in paged}) == len(paged) == 5
    times = [str(item["at"]) for item in whole]
    assert times == sorted(times, reverse=True)
    mine = await _all(identity_client, 1, account_id=str(second.account_id))
    assert {item["account_id"] for item in mine} == {str(second.account_id)}
    assert {item["action"] for item in mine} == {"login"}
    assert [item["action"] for item in await _all(identity_client, 2, account_id=str(first.account_id))] == [
        "login",
        "role_granted",
        "role_granted",
        "role_granted",
    ]


async def test_only_platform_admins_read_it_and_a_foreign_cursor_is_refused(identity_client: httpx.AsyncClient) -> None:
    for role in (Role.community_staff, Role.employee, Role.enterprise_rep, Role.grid_worker, Role.account):
        headers = person(uuid.uuid4(), *([] if role is Role.account else [role]), community_ids=[uuid.uuid4()])
        refused = await identity_client.get("/v1/audit", headers=headers)
        assert refused.status_code == 403 and refused.json()["code"] == "FORBIDDEN", role
    for cursor in ("garbage", "WyJ4Il0"):  # not base64 JSON; a one-value list
        bad = await identity_client.get("/v1/audit", params={"after": cursor}, headers=admin())
        assert bad.status_code == 400 and bad.json()["code"] == "INVALID_CURSOR"
    assert (await identity_client.get("/v1/audit", params={"limit": 0}, headers=admin())).status_code == 422


async def test_no_record_holds_a_code_or_token_of_the_actions_behind_it(
    identity_service: FastAPI, identity_client: httpx.AsyncClient
) -> None:
    enterprise = uuid.uuid4()
    secrets: list[str] = []
    who = await signed_in(identity_service, phone="+8613800138000")
    secrets += [who.pair.refresh_token, who.pair.access_token, "13800138000"]
    created = await identity_client.post(
        f"/v1/accounts/enterprises/{enterprise}/invitations", json={}, headers=rep(uuid.uuid4(), enterprise)
    )
    code = created.json()["code"]
    secrets.append(code)
    wrong = "WRONGCODE9"
    secrets.append(wrong)
    assert (
        await identity_client.post("/v1/auth/invitations/redeem", json={"code": wrong}, headers=person(who.account_id))
    ).status_code == 400
    redeemed = await identity_client.post(
        "/v1/auth/invitations/redeem", json={"code": code}, headers=person(who.account_id)
    )
    assert redeemed.status_code == 200
    refreshed = await identity_client.post("/v1/auth/token", json={"refresh_token": who.pair.refresh_token})
    secrets += [refreshed.json()["refresh_token"], refreshed.json()["access_token"]]
    # a reuse, a grant and a revocation, a join request decided
    await identity_client.post("/v1/auth/token", json={"refresh_token": who.pair.refresh_token})
    [grant] = (await identity_client.get(f"/v1/accounts/{who.account_id}", headers=admin())).json()["grants"]
    assert (
        await identity_client.delete(f"/v1/accounts/{who.account_id}/grants/{grant['id']}", headers=admin())
    ).status_code == 204
    joined = await identity_client.post(
        "/v1/accounts/join-requests", json={"enterprise_id": str(enterprise)}, headers=person(who.account_id)
    )
    assert joined.status_code == 201, joined.text
    approved = await identity_client.post(
        f"/v1/accounts/enterprises/{enterprise}/join-requests/{joined.json()['id']}/approve",
        headers=rep(uuid.uuid4(), enterprise),
    )
    assert approved.status_code == 200, approved.text

    records = await _all(identity_client, 100)
    actions = {record["action"] for record in records}
    assert {
        "login",
        "invitation_created",
        "invitation_redeem_failed",
        "invitation_redeemed",
        "role_granted",
        "refresh_token_reused",
        "role_revoked",
        "join_requested",
        "join_request_approved",
    } <= actions
    text = httpx.Response(200, json=records).text
    for secret in secrets:
        assert secret not in text and secret.lower() not in text.lower()
