"""The service catalogue: per-community types with forms, handlers, deadlines and versions."""

from __future__ import annotations

import httpx

from tests.service_requests.conftest import World, create_type, submit, type_body
from tests.support.identities import auth


async def test_staff_create_a_type_and_everyone_in_the_community_reads_it(
    requests_app: httpx.AsyncClient, world: World
) -> None:
    created = await create_type(requests_app, world)
    assert created["version"] == 1
    assert [attribute["code"] for attribute in created["form"]] == ["amount", "purpose"]

    read = await requests_app.get(f"/v1/service-types/{created['id']}", headers=auth(world.employee()))
    assert read.status_code == 200
    assert read.headers["ETag"] == '"v1"'
    assert read.json()["deadlines"]["resolve"] == {"amount": 5, "unit": "working_days"}

    listed = await requests_app.get(
        "/v1/service-types", params={"community_id": str(world.community_id)}, headers=auth(world.rep())
    )
    assert [item["id"] for item in listed.json()["items"]] == [created["id"]]


async def test_staff_of_another_community_cannot_add_or_change_types(
    requests_app: httpx.AsyncClient, world: World
) -> None:
    refused = await requests_app.post(
        "/v1/service-types", json=type_body(world.community_id), headers=auth(world.other_staff())
    )
    assert refused.status_code == 403

    created = await create_type(requests_app, world)
    body = type_body(world.community_id)
    del body["community_id"], body["code"]
    change = await requests_app.put(
        f"/v1/service-types/{created['id']}", json=body, headers={**auth(world.other_staff()), "If-Match": '"v1"'}
    )
    assert change.status_code == 403


async def test_duplicate_code_in_one_community_is_a_conflict(requests_app: httpx.AsyncClient, world: World) -> None:
    created = await create_type(requests_app, world)
    again = await requests_app.post(
        "/v1/service-types", json=type_body(world.community_id, code=created["code"]), headers=auth(world.staff())
    )
    assert again.status_code == 409


async def test_a_form_with_choices_on_a_number_is_rejected(requests_app: httpx.AsyncClient, world: World) -> None:
    bad_form = [
        {
            "code": "amount",
            "label_zh": "金额",
            "label_en": "Amount",
            "datatype": "number",
            "order": 1,
            "choices": [{"key": "a", "label_zh": "a", "label_en": "a"}],
        }
    ]
    response = await requests_app.post(
        "/v1/service-types", json=type_body(world.community_id, form=bad_form), headers=auth(world.staff())
    )
    assert response.status_code == 422


async def test_changing_a_type_never_changes_requests_already_submitted(
    requests_app: httpx.AsyncClient, world: World
) -> None:
    created = await create_type(requests_app, world)
    filed = await submit(requests_app, world.employee(), created["id"])
    assert filed.status_code == 201, filed.text

    body = type_body(world.community_id, name_zh="新名称", name_en="New name")
    del body["community_id"], body["code"]
    body["deadlines"] = {
        "acknowledge": {"amount": 1, "unit": "working_days"},
        "resolve": {"amount": 30, "unit": "working_days"},
    }
    missing = await requests_app.put(f"/v1/service-types/{created['id']}", json=body, headers=auth(world.staff()))
    assert missing.status_code == 428
    changed = await requests_app.put(
        f"/v1/service-types/{created['id']}", json=body, headers={**auth(world.staff()), "If-Match": '"v1"'}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["version"] == 2
    stale = await requests_app.put(
        f"/v1/service-types/{created['id']}", json=body, headers={**auth(world.staff()), "If-Match": '"v1"'}
    )
    assert stale.status_code == 412

    old = (await requests_app.get(f"/v1/service-requests/{filed.json()['id']}", headers=auth(world.staff()))).json()
    assert old["type_version"] == 1
    assert old["type_name_en"] == "Financing consultation"
    assert old["resolve_due_at"] == filed.json()["resolve_due_at"]
    newer = await submit(requests_app, world.employee(), created["id"])
    assert newer.json()["type_version"] == 2
    assert newer.json()["type_name_en"] == "New name"


async def test_the_workflow_is_exported_as_the_transition_table(requests_app: httpx.AsyncClient, world: World) -> None:
    created = await create_type(requests_app, world)
    response = await requests_app.get(f"/v1/service-types/{created['id']}/workflow", headers=auth(world.employee()))
    assert response.status_code == 200
    workflow = response.json()
    assert workflow["initial"] == "submitted"
    assert set(workflow["terminal"]) == {"closed", "rejected", "cancelled"}
    assert workflow["pauses_clock"] == ["waiting_for_requester"]
    by_action = {row["action"]: row for row in workflow["transitions"]}
    assert by_action["accept"]["from"] == ["submitted"] and by_action["accept"]["to"] == "accepted"
    assert by_action["cancel"]["roles"] == ["requester"]
    assert by_action["reopen"]["to"] == "reopened"
