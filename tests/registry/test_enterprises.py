"""Enterprises: USCC validation, duplicates, CSV import, who may change what, who sees phones."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from registry.enterprises.uscc import is_valid
from registry.seed import IOT_ID, XIAOHONG_ID, XINGGUANG_ID
from shared.auth import Role
from tests.registry import factories
from tests.support.identities import admin, auth, employee, enterprise_rep, identity, staff
from tests.support.rows import rows

BODY = {"name": "杭州校验科技有限公司", "legal_representative": "张三", "industry_section": "I"}


async def test_an_invalid_uscc_gets_422_pointing_at_the_field(registry_app: httpx.AsyncClient) -> None:
    valid = factories.uscc()
    wrong_check = valid[:17] + ("0" if valid[17] != "0" else "1")
    for bad in (wrong_check, valid[:17], valid[:16] + "I" + valid[17]):
        response = await registry_app.post("/v1/enterprises", json={**BODY, "uscc": bad}, headers=auth(admin()))
        assert response.status_code == 422, response.text
        problem = response.json()
        assert response.headers["content-type"].startswith("application/problem+json")
        assert [(item["code"], item["pointer"]) for item in problem["errors"]] == [("USCC_INVALID", "/uscc")]
        assert bad not in response.text  # a 422 never echoes the input


def test_the_check_character_follows_gb_32100() -> None:
    assert is_valid("91110000802100433B")  # a published code
    assert not is_valid("91110000802100433C")
    assert is_valid("91110000802100433b".upper())


async def test_a_duplicate_uscc_gets_409_even_when_racing(registry_app: httpx.AsyncClient, database_url: str) -> None:
    code = factories.uscc()
    first = await registry_app.post("/v1/enterprises", json={**BODY, "uscc": code}, headers=auth(admin()))
    assert first.status_code == 201, first.text
    again = await registry_app.post("/v1/enterprises", json={**BODY, "uscc": code}, headers=auth(admin()))
    assert again.status_code == 409
    assert again.json()["code"] == "USCC_TAKEN"

    racing = factories.uscc()
    responses = await asyncio.gather(
        *(registry_app.post("/v1/enterprises", json={**BODY, "uscc": racing}, headers=auth(admin())) for _ in range(4))
    )
    assert sorted(response.status_code for response in responses) == [201, 409, 409, 409]
    stored = await rows(database_url, "SELECT id FROM registry.enterprise WHERE uscc = $1", racing)
    winner = next(response for response in responses if response.status_code == 201).json()
    assert [str(row["id"]) for row in stored] == [winner["id"]]


async def test_a_csv_with_three_bad_rows_imports_nothing_and_reports_them(registry_app: httpx.AsyncClient) -> None:
    taken = await factories.enterprise(registry_app)
    good = [factories.uscc() for _ in range(3)]
    bad_check = good[0][:17] + ("0" if good[0][17] != "0" else "1")
    csv = (
        "统一社会信用代码,企业名称,法定代表人,行业门类,行业代码,联系电话\n"
        f"{good[0]},杭州一号科技有限公司,张三,I,6513,13800000001\n"
        f"{bad_check},杭州二号科技有限公司,李四,I,6513,13800000002\n"  # line 3: check character
        f"{good[1]},,王五,I,6513,13800000003\n"  # line 4: no name
        f"{good[2]},杭州四号科技有限公司,赵六,I,6513,13800000004\n"
        f"{taken['uscc']},杭州五号科技有限公司,钱七,Z,6513,13800000005\n"  # line 6: taken, bad section
    )
    response = await registry_app.post(
        "/v1/enterprises/imports", content=csv.encode(), headers={**auth(admin()), "content-type": "text/csv"}
    )
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "IMPORT_REJECTED"
    assert problem["bad_rows"] == 3
    assert sorted({item["row"] for item in problem["errors"]}) == [3, 4, 6]
    reported = {(item["row"], item["field"], item["code"]) for item in problem["errors"]}
    assert (3, "uscc", "USCC_INVALID") in reported
    assert (4, "name", "MISSING") in reported
    assert (6, "uscc", "USCC_TAKEN") in reported
    assert (6, "industry_section", "STRING_PATTERN_MISMATCH") in reported

    for code in (good[0], good[2]):
        found = await registry_app.get(f"/v1/enterprises?uscc={code}", headers=auth(admin()))
        assert found.json()["items"] == []


async def test_a_clean_csv_imports_every_row_with_its_site(registry_app: httpx.AsyncClient) -> None:
    community = await factories.community(registry_app)
    building = await factories.building(registry_app, community["id"])
    codes = [factories.uscc() for _ in range(3)]
    csv = "uscc,name,legal_representative,industry_section,building_id,floor,unit,valid_from\n" + "".join(
        f"{code},杭州导入{index}号科技有限公司,张三,I,{building['id']},5,50{index},2022-01-01\n"
        for index, code in enumerate(codes)
    )
    response = await registry_app.post(
        "/v1/enterprises/imports",
        content=csv.encode(),
        headers={**auth(staff(community["id"])), "content-type": "text/csv"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["imported"] == 3
    listed = await registry_app.get(f"/v1/enterprises?building_id={building['id']}", headers=auth(admin()))
    assert sorted(item["uscc"] for item in listed.json()["items"]) == sorted(codes)
    registered = await factories.events(registry_app, "EnterpriseRegistered", 3)
    assert sorted(event["payload"]["uscc"] for event in registered) == sorted(codes)


async def test_staff_cannot_import_into_another_community(registry_app: httpx.AsyncClient) -> None:
    mine = await factories.community(registry_app)
    theirs = await factories.community(registry_app)
    building = await factories.building(registry_app, theirs["id"])
    header = "uscc,name,legal_representative,industry_section,building_id\n"
    csv = header + f"{factories.uscc()},越权公司,张三,I,{building['id']}\n"
    response = await registry_app.post(
        "/v1/enterprises/imports", content=csv.encode(), headers={**auth(staff(mine["id"])), "content-type": "text/csv"}
    )
    assert response.status_code == 422
    assert [(item["row"], item["code"]) for item in response.json()["errors"]] == [(2, "FORBIDDEN")]


async def _patch(
    client: httpx.AsyncClient, enterprise_id: object, who: dict[str, str], body: dict[str, Any]
) -> httpx.Response:
    current = await client.get(f"/v1/enterprises/{enterprise_id}", headers=auth(admin()))
    return await client.patch(
        f"/v1/enterprises/{enterprise_id}", json=body, headers={**who, "If-Match": current.headers["ETag"]}
    )


async def test_iot_staff_cannot_change_a_xingguang_enterprise(registry_app: httpx.AsyncClient, demo: None) -> None:
    refused = await _patch(registry_app, XIAOHONG_ID, auth(staff(IOT_ID)), {"contact_name": "外人"})
    assert refused.status_code == 403
    allowed = await _patch(registry_app, XIAOHONG_ID, auth(staff(XINGGUANG_ID)), {"operating_address": "江南大道 1 号"})
    assert allowed.status_code == 200, allowed.text
    assert allowed.json()["operating_address"] == "江南大道 1 号"


async def test_a_representative_updates_only_their_own_enterprise(registry_app: httpx.AsyncClient) -> None:
    community = await factories.community(registry_app)
    building = await factories.building(registry_app, community["id"])
    own = await factories.enterprise(registry_app, building["id"])
    other = await factories.enterprise(registry_app, building["id"])
    rep = auth(enterprise_rep(own["id"]))

    contact = await _patch(registry_app, own["id"], rep, {"contact_name": "新联系人", "contact_phone": "13911112222"})
    assert contact.status_code == 200, contact.text
    assert contact.json()["contact_name"] == "新联系人"

    assert (await _patch(registry_app, other["id"], rep, {"contact_name": "冒名"})).status_code == 403
    assert (await _patch(registry_app, own["id"], rep, {"name": "改名公司"})).status_code == 403

    counted = await registry_app.post(
        f"/v1/enterprises/{own['id']}/headcounts", json={"as_of": "2024-12-31", "employees": 42}, headers=rep
    )
    assert counted.status_code == 201, counted.text
    refused = await registry_app.post(
        f"/v1/enterprises/{other['id']}/headcounts", json={"as_of": "2024-12-31", "employees": 42}, headers=rep
    )
    assert refused.status_code == 403

    current = await registry_app.get(f"/v1/enterprises/{own['id']}", headers=rep)
    representative = {"name": "王五", "phone": "13900000000", "user_subject": "user-7", "valid_until": "2027-12-31"}
    replaced = await registry_app.put(
        f"/v1/enterprises/{own['id']}/representative",
        json=representative,
        headers={**rep, "If-Match": current.headers["ETag"]},
    )
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["representative"]["user_subject"] == "user-7"
    changed = await factories.events(registry_app, "RepresentativeChanged", 1)
    assert changed[-1]["payload"] == {
        "enterprise_id": own["id"],
        "phone": "13900000000",
        "user_subject": "user-7",
        "valid_until": "2027-12-31",
    }

    status = await registry_app.post(
        f"/v1/enterprises/{own['id']}/status-changes",
        json={"status": "moved_out", "effective_on": "2024-01-01"},
        headers=rep,
    )
    assert status.status_code == 403


async def test_phone_numbers_are_shown_only_to_the_community_staff(registry_app: httpx.AsyncClient) -> None:
    community = await factories.community(registry_app)
    elsewhere = await factories.community(registry_app)
    building = await factories.building(registry_app, community["id"])
    enterprise = await factories.enterprise(
        registry_app,
        building["id"],
        representative={"name": "王五", "phone": "13900000009", "authorization_ref": "SQ-2024-001"},
    )
    url = f"/v1/enterprises/{enterprise['id']}"

    for who in (admin(), staff(community["id"])):
        seen = (await registry_app.get(url, headers=auth(who))).json()
        assert seen["contact_phone"] == "13800000000"
        assert seen["representative"]["phone"] == "13900000009"
        assert seen["representative"]["authorization_ref"] == "SQ-2024-001"
        assert seen["redacted"] == []

    for who in (
        staff(elsewhere["id"]),
        employee(enterprise["id"]),
        identity(Role.grid_worker),
        identity(Role.partner),
    ):
        response = await registry_app.get(url, headers=auth(who))
        assert response.status_code == 200
        assert "13800000000" not in response.text and "13900000009" not in response.text
        assert "SQ-2024-001" not in response.text
        body = response.json()
        assert body["contact_phone"] is None and body["representative"]["name"] == "王五"
        assert body["redacted"] == [
            "/contact_phone",
            "/representative/phone",
            "/representative/user_subject",
            "/representative/authorization_ref",
        ]


async def test_creating_an_enterprise_is_idempotent(registry_app: httpx.AsyncClient) -> None:
    body = {**BODY, "uscc": factories.uscc()}
    headers = {**auth(admin()), "Idempotency-Key": "create-enterprise-1"}
    first = await registry_app.post("/v1/enterprises", json=body, headers=headers)
    again = await registry_app.post("/v1/enterprises", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]


async def test_staff_must_register_an_enterprise_into_their_own_community(registry_app: httpx.AsyncClient) -> None:
    mine = await factories.community(registry_app)
    theirs = await factories.community(registry_app)
    building = await factories.building(registry_app, theirs["id"])
    site = {"building_id": building["id"], "floor": "3", "unit": "301", "valid_from": "2024-01-01"}
    for extra in ({}, {"site": site}):
        response = await registry_app.post(
            "/v1/enterprises", json={**BODY, "uscc": factories.uscc(), **extra}, headers=auth(staff(mine["id"]))
        )
        assert response.status_code == 403
    allowed = await registry_app.post(
        "/v1/enterprises", json={**BODY, "uscc": factories.uscc(), "site": site}, headers=auth(staff(theirs["id"]))
    )
    assert allowed.status_code == 201, allowed.text
    assert allowed.json()["community_ids"] == [theirs["id"]]
