"""`POST /internal/recipients`: who a notification goes to, from accounts and live grants, page by page."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event

from tests.identity.grants_support import sql
from tests.identity.notices_support import SERVICE, account, grant, in_community, wechat_identity

PATH = "/internal/recipients"


async def everyone(client: httpx.AsyncClient, selector: dict[str, Any], limit: int = 1000) -> list[dict[str, Any]]:
    """Every page of the selector's recipients, checking each `next` against its page."""
    items: list[dict[str, Any]] = []
    after = None
    while True:
        answer = await client.post(PATH, json={"selector": selector, "after": after, "limit": limit}, headers=SERVICE)
        assert answer.status_code == 200, answer.text
        page = answer.json()
        items += page["items"]
        if page["next"] is None:
            return items
        assert page["next"] == page["items"][-1]["subject"] and len(page["items"]) == limit
        after = page["next"]


def subjects(items: list[dict[str, Any]]) -> list[str]:
    return [item["subject"] for item in items]


async def test_employees_come_over_three_pages_in_account_order_live_grants_only(
    identity_client: httpx.AsyncClient, database_url: str
) -> None:
    enterprise, other = uuid.uuid4(), uuid.uuid4()
    wanted = []
    for state in ("live", "live", "live", "live", "expiring"):
        person = await account(database_url)
        await grant(database_url, person, "employee", state=state, enterprise_id=enterprise)
        wanted.append(str(person))
    for state in ("revoked", "expired"):
        await grant(database_url, await account(database_url), "employee", state=state, enterprise_id=enterprise)
    disabled = await account(database_url, status="disabled")
    await grant(database_url, disabled, "employee", enterprise_id=enterprise)
    await grant(database_url, await account(database_url), "employee", enterprise_id=other)
    await grant(database_url, await account(database_url), "enterprise_rep", enterprise_id=enterprise)

    selector = {"kind": "employees", "enterprise_ids": [str(enterprise)]}
    pages = []
    after = None
    for _ in range(3):
        answer = await identity_client.post(
            PATH, json={"selector": selector, "after": after, "limit": 2}, headers=SERVICE
        )
        assert answer.status_code == 200, answer.text
        pages.append(answer.json())
        after = pages[-1]["next"]
    assert [len(page["items"]) for page in pages] == [2, 2, 1]
    assert pages[2]["next"] is None
    assert [item["subject"] for page in pages for item in page["items"]] == sorted(wanted, key=uuid.UUID)


async def test_an_employee_of_two_selected_enterprises_comes_once(
    identity_client: httpx.AsyncClient, database_url: str
) -> None:
    first, second = uuid.uuid4(), uuid.uuid4()
    both = await account(database_url)
    await grant(database_url, both, "employee", enterprise_id=first)
    await grant(database_url, both, "employee", enterprise_id=second)
    items = await everyone(identity_client, {"kind": "employees", "enterprise_ids": [str(first), str(second)]}, 1)
    assert subjects(items) == [str(both)]


async def test_pages_over_several_scopes_merge_in_account_order(
    identity_client: httpx.AsyncClient, database_url: str
) -> None:
    first, second, shared = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    community, other_community = uuid.uuid4(), uuid.uuid4()
    await in_community(database_url, first, community)
    await in_community(database_url, second, community)
    await in_community(database_url, shared, community)
    await in_community(database_url, shared, other_community)  # one enterprise in both communities
    wanted = []
    for n in range(7):
        person = await account(database_url)
        await grant(database_url, person, "employee", enterprise_id=(first, second, shared)[n % 3])
        wanted.append(str(person))
    for enterprise in (first, second):  # disabled accounts early in each scope must not shorten a page
        disabled = await account(database_url, status="disabled")
        await grant(database_url, disabled, "employee", enterprise_id=enterprise)
    by_enterprise = {"kind": "employees", "enterprise_ids": [str(first), str(second), str(shared)]}
    by_community = {"kind": "community_employees", "community_ids": [str(community), str(other_community)]}
    for selector in (by_enterprise, by_community):
        assert subjects(await everyone(identity_client, selector, 2)) == sorted(wanted, key=uuid.UUID)


async def test_each_selector_finds_its_holders(identity_client: httpx.AsyncClient, database_url: str) -> None:
    community, elsewhere, enterprise, far_enterprise, grid = (uuid.uuid4() for _ in range(5))
    await in_community(database_url, enterprise, community)
    await in_community(database_url, far_enterprise, elsewhere)
    people: dict[str, uuid.UUID] = {}
    for name, role, scope in [
        ("rep", "enterprise_rep", {"enterprise_id": enterprise}),
        ("far_rep", "enterprise_rep", {"enterprise_id": far_enterprise}),
        ("employee", "employee", {"enterprise_id": enterprise}),
        ("staff", "community_staff", {"community_id": community}),
        ("other_staff", "community_staff", {"community_id": elsewhere}),
        ("worker", "grid_worker", {"grid_id": grid}),
        ("revoked_worker", "grid_worker", {"grid_id": grid}),
    ]:
        people[name] = await account(database_url)
        await grant(
            database_url, people[name], role, state="revoked" if name.startswith("revoked") else "live", **scope
        )

    async def found(selector: dict[str, Any]) -> list[str]:
        return subjects(await everyone(identity_client, selector))

    def named(*names: str) -> list[str]:
        return sorted((str(people[name]) for name in names), key=uuid.UUID)

    assert await found({"kind": "enterprise_reps", "enterprise_ids": [str(enterprise)]}) == named("rep")
    assert await found({"kind": "community_reps", "community_ids": [str(community)]}) == named("rep")
    assert await found({"kind": "community_staff", "community_ids": [str(community)]}) == named("staff")
    assert await found({"kind": "community_employees", "community_ids": [str(community)]}) == named("employee")
    assert await found({"kind": "employees", "enterprise_ids": [str(enterprise)]}) == named("employee")
    assert await found({"kind": "grid_workers", "grid_ids": [str(grid)]}) == named("worker")
    assert await found({"kind": "community_reps", "community_ids": [str(uuid.uuid4())]}) == []


async def test_subjects_keep_the_active_accounts_with_their_channels(
    identity_client: httpx.AsyncClient, database_url: str
) -> None:
    with_phone = await account(database_url, phone="+8613800000001")
    with_wechat = await account(database_url)
    await wechat_identity(database_url, with_wechat, "o-notices-1")
    other_app = await account(database_url)
    await wechat_identity(database_url, other_app, "o-notices-2", appid="wx-another-app")
    disabled = await account(database_url, phone="+8613800000002", status="disabled")
    selector = {
        "kind": "subjects",
        "subjects": [str(s) for s in (with_phone, with_wechat, other_app, disabled, uuid.uuid4())] + ["not-a-uuid"],
    }
    items = await everyone(identity_client, selector)
    assert {item["subject"]: (item["wechat"], item["sms"]) for item in items} == {
        str(with_phone): (False, True),
        str(with_wechat): (True, False),
        str(other_app): (False, False),
    }
    assert subjects(items) == sorted(subjects(items), key=uuid.UUID)
    none = await identity_client.post(
        PATH, json={"selector": {"kind": "subjects", "subjects": ["svc-x"]}}, headers=SERVICE
    )
    assert none.status_code == 200 and none.json() == {"items": [], "next": None}


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"selector": {"kind": "everyone"}}, "/selector"),
        ({"selector": {"kind": "employees", "enterprise_ids": []}}, "/selector/employees/enterprise_ids"),
        ({"selector": {"kind": "grid_workers", "grid_ids": ["x"]}}, "/selector/grid_workers/grid_ids/0"),
        ({"selector": {"kind": "subjects", "subjects": ["a"] * 5001}}, "/selector/subjects/subjects"),
        ({"selector": {"kind": "subjects", "subjects": ["a"]}, "limit": 5001}, "/limit"),
        ({"selector": {"kind": "subjects", "subjects": ["a"]}, "limit": 0}, "/limit"),
        ({"selector": {"kind": "subjects", "subjects": ["a"]}, "after": "zz"}, "/after"),
        ({"selector": {"kind": "employees", "enterprise_ids": [str(uuid.uuid4())], "grid_ids": []}}, "/selector"),
    ],
)
async def test_a_bad_query_is_a_422_naming_the_field(
    identity_client: httpx.AsyncClient, body: dict[str, Any], pointer: str
) -> None:
    answer = await identity_client.post(PATH, json=body, headers=SERVICE)
    assert answer.status_code == 422, answer.text
    problem = answer.json()
    assert problem["code"] == "VALIDATION_FAILED"
    assert any(item["pointer"].startswith(pointer) for item in problem["errors"]), problem["errors"]


async def test_fifty_thousand_employees_page_through_the_index_one_query_a_page(
    identity_client: httpx.AsyncClient, identity_service: FastAPI, database_url: str
) -> None:
    enterprise = uuid.uuid4()
    await sql(
        database_url,
        "WITH made AS (INSERT INTO identity.account (id) SELECT gen_random_uuid() FROM generate_series(1, 50000)"
        " RETURNING id) INSERT INTO identity.role_grant (id, account_id, role, enterprise_id, source, granted_by)"
        " SELECT gen_random_uuid(), id, 'employee', $1, 'api', 'test' FROM made",
        enterprise,
    )
    await sql(  # and as many in 500 other enterprises
        database_url,
        "WITH made AS (INSERT INTO identity.account (id) SELECT gen_random_uuid() FROM generate_series(1, 50000)"
        " RETURNING id) INSERT INTO identity.role_grant (id, account_id, role, enterprise_id, source, granted_by)"
        " SELECT gen_random_uuid(), id, 'employee', ('00000000-0000-0000-0000-' || lpad((random() * 500)::int::text,"
        " 12, '0'))::uuid, 'api', 'test' FROM made",
    )
    await sql(database_url, "ANALYZE identity.account")
    await sql(database_url, "ANALYZE identity.role_grant")
    statements: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if "role_grant" in statement and "account.status" in statement:
            statements.append((statement, parameters))

    engine = identity_service.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", capture)
    try:
        started = time.monotonic()
        items = await everyone(identity_client, {"kind": "employees", "enterprise_ids": [str(enterprise)]}, 5000)
        elapsed = time.monotonic() - started
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    assert len(items) == len(set(subjects(items))) == 50000
    assert len(statements) == 10  # one query a page
    for statement, parameters in statements:
        async with identity_service.state.engine.connect() as connection:
            plan = "\n".join((await connection.exec_driver_sql("EXPLAIN " + statement, parameters)).scalars())
        assert "ix_role_grant_live_enterprise" in plan and "Seq Scan" not in plan, plan
    assert elapsed < 30, f"50,000 recipients took {elapsed:.1f} s"
