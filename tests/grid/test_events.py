"""Grid events: the whole loop with a send-back, extensions, supervision when overdue, role checks."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from typing import Any

import asyncpg
import httpx

from tests.grid.conftest import staff_headers, worker_identity
from tests.grid.helpers import admin_headers, make_grid, make_worker
from tests.grid.registry_data import RegistryData
from tests.support.database import asyncpg_dsn
from tests.support.identities import auth, enterprise_rep


def _in(hours: float) -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(hours=hours)).isoformat()


async def _move_deadline(event_id: str, hours_ago: float) -> None:
    """Time travel for the test: put the event's deadline in the past."""
    connection = await asyncpg.connect(asyncpg_dsn(os.environ["TEST_DATABASE_URL"]))
    try:
        await connection.execute(
            "UPDATE grid.grid_event SET deadline = now() - make_interval(secs => $2) WHERE id = $1",
            uuid.UUID(event_id),
            hours_ago * 3600,
        )
    finally:
        await connection.close()


async def _setup(grid: httpx.AsyncClient, registry: RegistryData) -> tuple[uuid.UUID, dict[str, Any], dict[str, Any]]:
    community = await registry.community("XG")
    target = await make_grid(grid, community)
    worker = await make_worker(grid, community, subject=f"worker-{uuid.uuid4().hex[:6]}")
    return community, target, worker


async def test_an_event_runs_the_whole_loop_including_a_send_back(
    grid: httpx.AsyncClient, registry: RegistryData
) -> None:
    community, target, worker = await _setup(grid, registry)
    officer = staff_headers(community)
    handler = auth(worker_identity(target["id"], subject=worker["user_subject"]))
    reported = await grid.post(
        "/v1/grid-events",
        json={
            "community_id": str(community),
            "grid_id": target["id"],
            "category": "fire_safety",
            "title": "消防栓漏水",
        },
        headers=handler,
    )
    assert reported.status_code == 201, reported.text
    path = f"/v1/grid-events/{reported.json()['id']}/transitions"

    async def act(headers: dict[str, str], action: str, **extra: Any) -> httpx.Response:
        return await grid.post(path, json={"action": action, **extra}, headers=headers)

    assert (await act(handler, "accept")).status_code == 200
    assert (await act(officer, "dispatch")).status_code == 422  # no handler, no deadline
    dispatch = {"handler": {"type": "grid_worker", "worker_id": worker["id"]}, "deadline": _in(24)}
    assert (await act(handler, "dispatch", **dispatch)).status_code == 403  # dispatching is for staff
    assert (await act(officer, "dispatch", **dispatch)).json()["status"] == "dispatched"
    assert (await act(handler, "start_handling")).status_code == 200
    assert (await act(handler, "handle", note="已更换阀门")).status_code == 200
    assert (await act(handler, "feedback")).status_code == 200
    assert (await act(officer, "send_back", note="仍有渗水")).json()["status"] == "handling"
    assert (await act(handler, "close", evaluation={"rating": 5})).status_code == 403
    assert (await act(handler, "handle")).status_code == 200
    assert (await act(handler, "feedback")).status_code == 200
    assert (await act(officer, "verify")).status_code == 200
    assert (await act(officer, "close")).status_code == 422  # an evaluation is required
    closed = await act(officer, "close", evaluation={"rating": 4, "comment": "及时"})
    assert closed.status_code == 200
    body = closed.json()
    assert (body["status"], body["evaluation_rating"]) == ("closed", 4)
    assert [h["action"] for h in body["history"]] == [
        "report",
        "accept",
        "dispatch",
        "start_handling",
        "handle",
        "feedback",
        "send_back",
        "handle",
        "feedback",
        "verify",
        "close",
    ]
    assert (await act(officer, "accept")).status_code == 409  # closed is terminal


async def test_only_the_handler_handles_and_escalated_events_leave_the_grid(
    grid: httpx.AsyncClient, registry: RegistryData
) -> None:
    community, target, worker = await _setup(grid, registry)
    other = await make_worker(grid, community, "李强", subject="other-worker")
    officer = staff_headers(community)
    created = await grid.post(
        "/v1/grid-events",
        json={"community_id": str(community), "grid_id": target["id"], "category": "order", "title": "占道"},
        headers=officer,
    )
    path = f"/v1/grid-events/{created.json()['id']}/transitions"
    colleague = auth(worker_identity(target["id"], subject=other["user_subject"]))
    await grid.post(path, json={"action": "accept"}, headers=officer)
    dispatch = {"action": "dispatch", "handler": {"type": "grid_worker", "worker_id": worker["id"]}, "deadline": _in(4)}
    await grid.post(path, json=dispatch, headers=officer)
    assert (await grid.post(path, json={"action": "start_handling"}, headers=colleague)).status_code == 403
    assert (await grid.post(path, json={"action": "escalate"}, headers=colleague)).json()["escalated"] is True
    assert (await grid.post(path, json={"action": "escalate"}, headers=colleague)).status_code == 403

    outsider = auth(worker_identity(uuid.uuid4()))
    assert (await grid.get(f"/v1/grid-events/{created.json()['id']}", headers=outsider)).status_code == 403
    elsewhere = staff_headers(await registry.community("IOT"))
    assert (await grid.post(path, json={"action": "decline"}, headers=elsewhere)).status_code == 403


async def test_overdue_events_are_supervised_and_extensions_are_decided(
    grid: httpx.AsyncClient, registry: RegistryData
) -> None:
    community, target, worker = await _setup(grid, registry)
    officer = staff_headers(community)
    handler = auth(worker_identity(target["id"], subject=worker["user_subject"]))
    created = await grid.post(
        "/v1/grid-events",
        json={"community_id": str(community), "grid_id": target["id"], "category": "health", "title": "垃圾堆积"},
        headers=officer,
    )
    event_id = created.json()["id"]
    path = f"/v1/grid-events/{event_id}/transitions"
    await grid.post(path, json={"action": "accept"}, headers=officer)
    dispatch = {"action": "dispatch", "handler": {"type": "grid_worker", "worker_id": worker["id"]}, "deadline": _in(2)}
    await grid.post(path, json=dispatch, headers=officer)

    await _move_deadline(event_id, hours_ago=1)
    assert (await grid.post("/v1/grid-events/supervision-sweep", headers=admin_headers())).json() == {"raised": 1}
    yellow = (await grid.get(f"/v1/grid-events/{event_id}", headers=officer)).json()
    assert (yellow["supervision_level"], yellow["overdue"]) == ("yellow", True)
    overdue = await grid.get(
        "/v1/grid-events", params={"community_id": str(community), "overdue": "true"}, headers=officer
    )
    assert [e["id"] for e in overdue.json()["items"]] == [event_id]

    await _move_deadline(event_id, hours_ago=49)
    assert (await grid.post("/v1/grid-events/supervision-sweep", headers=admin_headers())).json() == {"raised": 1}
    assert (await grid.post("/v1/grid-events/supervision-sweep", headers=admin_headers())).json() == {"raised": 0}

    asked = await grid.post(path, json={"action": "request_extension", "requested_deadline": _in(48)}, headers=handler)
    assert asked.status_code == 200 and asked.json()["extension_requested_until"] is not None
    granted = await grid.post(path, json={"action": "decide_extension", "approve": True}, headers=officer)
    assert granted.status_code == 200
    after = granted.json()
    assert (after["supervision_level"], after["overdue"], after["extension_requested_until"]) == ("normal", False, None)
    levels = [h["data"].get("to_level") for h in after["history"] if h["action"] == "supervise"]
    assert levels == ["yellow", "red"]
    again = await grid.post(path, json={"action": "decide_extension", "approve": False}, headers=officer)
    assert again.status_code == 409 and again.json()["code"] == "NO_PENDING_EXTENSION"


async def test_enterprises_report_in_their_community_and_the_table_is_published(
    grid: httpx.AsyncClient, registry: RegistryData
) -> None:
    community = await registry.community("XG")
    rep = enterprise_rep(uuid.uuid4()).model_copy(update={"community_ids": frozenset({community})})
    body = {"community_id": str(community), "category": "service", "title": "电梯故障", "source_channel": "hotline"}
    reported = await grid.post("/v1/grid-events", json=body, headers=auth(rep))
    assert reported.status_code == 201 and reported.json()["source_channel"] == "enterprise"
    assert (await grid.get(f"/v1/grid-events/{reported.json()['id']}", headers=auth(rep))).status_code == 200
    stranger = enterprise_rep(uuid.uuid4())
    assert (await grid.post("/v1/grid-events", json=body, headers=auth(stranger))).status_code == 403

    table = (await grid.get("/v1/grid-events/transitions", headers=auth(rep))).json()
    assert table["actions"]["send_back"] == {
        "from": ["handled", "fed_back"],
        "to": "handling",
        "roles": ["platform_admin", "community_staff"],
        "grid_worker_only_as_handler": False,
        "description": table["actions"]["send_back"]["description"],
    }
    assert table["terminal"] == ["declined", "closed"]
