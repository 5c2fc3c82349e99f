"""Photos and files on hazards, grid events and inspections, with the local store on the filesystem.

Upload → confirm → visible: EXIF gone, thumbnail made, history written; every bad input a 4xx with
nothing kept; the 9-per-item limit held by the database under a race; one of two confirmations wins;
removal refused on closed items; expired uploads swept with their objects.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from PIL import Image

from grid.jobs import run_jobs_once
from shared.storage import LocalStore
from tests.grid.conftest import staff_headers, worker_identity
from tests.grid.helpers import assign, make_grid
from tests.grid.registry_data import RegistryData
from tests.support.identities import auth, employee, enterprise_rep
from tests.support.photos import GPS_TAG, PDF_BYTES, photo_with_gps, png, sha256
from tests.support.rows import rows

EN = {"Accept-Language": "en"}


class Scene:
    """A hazard in a worker's grid, concerning an enterprise."""

    def __init__(self, grid: httpx.AsyncClient, hazard: dict[str, Any], worker: dict[str, str], community: uuid.UUID):
        self.grid, self.hazard, self.worker, self.community = grid, hazard, worker, community
        self.path = f"/v1/hazards/{hazard['id']}/attachments"
        self.enterprise_id = uuid.UUID(hazard["enterprise_id"])

    async def ask(self, data: bytes, headers: dict[str, str] | None = None, **body: Any) -> httpx.Response:
        request = {"name": "消防通道.jpg", "content_type": "image/jpeg", "size": len(data), "sha256": sha256(data)}
        return await self.grid.post(self.path, json=request | body, headers=(headers or self.worker) | EN)

    async def upload(self, pending: dict[str, Any], data: bytes, content_type: str = "image/jpeg") -> httpx.Response:
        form = pending["upload"]
        files = {form["file_field"]: ("photo", data, content_type)}
        return await self.grid.post(form["url"], data=form["fields"], files=files)

    async def confirm(self, pending: dict[str, Any], headers: dict[str, str] | None = None) -> httpx.Response:
        return await self.grid.post(pending["confirm_path"], headers=(headers or self.worker) | EN)

    async def attach(self, data: bytes, headers: dict[str, str] | None = None, **body: Any) -> dict[str, Any]:
        asked = await self.ask(data, headers, **body)
        assert asked.status_code == 201, asked.text
        assert (await self.upload(asked.json(), data, body.get("content_type", "image/jpeg"))).status_code == 204
        confirmed = await self.confirm(asked.json(), headers)
        assert confirmed.status_code == 200, confirmed.text
        result: dict[str, Any] = confirmed.json()
        return result

    async def listed(self, headers: dict[str, str] | None = None) -> list[dict[str, Any]]:
        answer = await self.grid.get(self.path, headers=headers or self.worker)
        assert answer.status_code == 200, answer.text
        items: list[dict[str, Any]] = answer.json()["items"]
        return items


@pytest.fixture
async def scene(grid: httpx.AsyncClient, registry: RegistryData) -> Scene:
    community = await registry.community("XG")
    tower = await registry.building(community)
    mine = await make_grid(grid, community)
    worker = auth(worker_identity(mine["id"]))
    deadline = (dt.date.today() + dt.timedelta(days=30)).isoformat()  # noqa: DTZ011
    body = {
        "grid_id": mine["id"],
        "building_id": str(tower),
        "enterprise_id": str(uuid.uuid4()),
        "description": "安全出口堆放杂物",
        "deadline": deadline,
    }
    created = await grid.post("/v1/hazards", json=body, headers=worker)
    assert created.status_code == 201, created.text
    return Scene(grid, created.json(), worker, community)


def files_under(app: FastAPI) -> list[str]:
    store: LocalStore = app.state.object_store
    return sorted(str(path.relative_to(store.root)) for path in Path(store.root).rglob("*") if path.is_file())


async def test_a_photo_is_visible_only_after_confirmation_without_exif_and_with_a_thumbnail(
    scene: Scene, grid_service: FastAPI
) -> None:
    original = photo_with_gps()
    asked = await scene.ask(original)
    assert asked.status_code == 201, asked.text
    pending = asked.json()
    assert pending["status"] == "pending" and pending["stage"] == "found"
    assert pending["upload"]["url"].startswith("http://grid.test/v1/grid-files/uploads/")
    assert asked.headers["location"] == f"{scene.path}/{pending['id']}"
    assert (await scene.upload(pending, original)).status_code == 204
    assert await scene.listed() == []  # uploaded, not yet confirmed: invisible
    confirmed = await scene.confirm(pending)
    assert confirmed.status_code == 200, confirmed.text
    body = confirmed.json()
    assert (body["content_type"], body["width"], body["height"]) == ("image/jpeg", 900, 1200)  # turned upright
    assert body["sha256"] == sha256(original) and body["uploaded_by"].startswith("test-grid_worker")
    [listed] = await scene.listed()
    assert listed["id"] == pending["id"] and listed["stage"] == "found"
    stored = await scene.grid.get(listed["url"])
    assert stored.status_code == 200 and stored.headers["content-type"] == "image/jpeg"
    assert "filename*=UTF-8''%E6%B6%88%E9%98%B2" in stored.headers["content-disposition"]
    shown = Image.open(io.BytesIO(stored.content))
    assert dict(shown.getexif()) == {} and not shown.getexif().get_ifd(GPS_TAG)
    assert len(stored.content) == listed["size"] != len(original)
    thumbnail = Image.open(io.BytesIO((await scene.grid.get(listed["thumbnail_url"])).content))
    assert thumbnail.format == "JPEG" and max(thumbnail.size) == 320
    # the upload itself is gone; the clean copy and the thumbnail remain
    base = f"grid/hazard/{scene.hazard['id']}/{pending['id']}"
    assert [path for path in files_under(grid_service) if path.startswith(base)] == [
        f"{base}/file",
        f"{base}/thumbnail",
    ]
    detail = (await scene.grid.get(f"/v1/hazards/{scene.hazard['id']}", headers=scene.worker)).json()
    assert [(h["action"], h["from_status"], h["to_status"]) for h in detail["history"]] == [
        ("report", None, "reported"),
        ("attachment_added", "reported", "reported"),
    ]
    assert pending["id"] in detail["history"][1]["note"]


async def test_a_pdf_is_kept_as_uploaded_without_a_thumbnail(scene: Scene) -> None:
    attached = await scene.attach(PDF_BYTES, name="整改报告.pdf", content_type="application/pdf")
    assert (attached["content_type"], attached["thumbnail_url"], attached["width"]) == ("application/pdf", None, None)
    assert (await scene.grid.get(attached["url"])).content == PDF_BYTES


@pytest.mark.parametrize(
    ("change", "pointer", "code"),
    [
        ({"name": "../../x"}, "/name", "PATH_LIKE_NAME"),
        ({"name": "a/b.jpg"}, "/name", "PATH_LIKE_NAME"),
        ({"name": "..\\evil.jpg"}, "/name", "PATH_LIKE_NAME"),
        ({"size": 0}, "/size", "GREATER_THAN_EQUAL"),
        ({"content_type": "image/gif"}, "/content_type", "LITERAL_ERROR"),
        ({"sha256": "abc"}, "/sha256", "STRING_PATTERN_MISMATCH"),
        ({"stage": "closed"}, "/stage", "LITERAL_ERROR"),
    ],
)
async def test_bad_requests_are_422_with_the_field_and_keep_nothing(
    scene: Scene, database_url: str, change: dict[str, Any], pointer: str, code: str
) -> None:
    answer = await scene.ask(b"x" * 10, **change)
    assert answer.status_code == 422, answer.text
    assert [(e["pointer"], e["code"]) for e in answer.json()["errors"]] == [(pointer, code)]
    assert "../" not in answer.text
    assert await rows(database_url, "SELECT id FROM grid.attachment") == []


async def test_an_oversize_file_is_refused_before_any_target(scene: Scene, database_url: str) -> None:
    answer = await scene.ask(b"x", size=10 * 1024 * 1024 + 1)
    assert answer.status_code == 422
    assert (answer.json()["code"], answer.json()["errors"][0]["pointer"]) == ("ATTACHMENT_TOO_LARGE", "/size")
    assert await rows(database_url, "SELECT id FROM grid.attachment") == []


@pytest.mark.parametrize(
    ("declared", "uploaded", "code", "pointer"),
    [
        (b"not a photo at all", b"not a photo at all", "ATTACHMENT_TYPE_MISMATCH", "/content_type"),
        (png(), png(), "ATTACHMENT_TYPE_MISMATCH", "/content_type"),  # a PNG declared as JPEG
        (b"\xff\xd8\xff" + b"\x00" * 100, b"\xff\xd8\xff" + b"\x00" * 100, "ATTACHMENT_TYPE_MISMATCH", "/content_type"),
        (photo_with_gps(), photo_with_gps(seed=7), "ATTACHMENT_CHECKSUM_MISMATCH", "/sha256"),
        (photo_with_gps(), photo_with_gps()[:-10], "ATTACHMENT_SIZE_MISMATCH", "/size"),
    ],
    ids=["text", "png-as-jpeg", "broken-jpeg", "checksum", "size"],
)
async def test_a_refused_confirmation_deletes_the_upload_and_shows_nothing(
    scene: Scene, grid_service: FastAPI, declared: bytes, uploaded: bytes, code: str, pointer: str
) -> None:
    asked = await scene.ask(declared)
    assert asked.status_code == 201, asked.text
    assert (await scene.upload(asked.json(), uploaded)).status_code == 204
    refused = await scene.confirm(asked.json())
    assert refused.status_code == 422, refused.text
    assert (refused.json()["code"], refused.json()["errors"][0]["pointer"]) == (code, pointer)
    assert await scene.listed() == []
    assert [path for path in files_under(grid_service) if scene.hazard["id"] in path] == []
    again = await scene.confirm(asked.json())  # the upload is gone: nothing to confirm
    assert (again.status_code, again.json()["code"]) == (409, "ATTACHMENT_NOT_UPLOADED")


async def test_a_confirmation_before_the_upload_is_409(scene: Scene) -> None:
    asked = await scene.ask(photo_with_gps())
    answer = await scene.confirm(asked.json())
    assert (answer.status_code, answer.json()["code"]) == (409, "ATTACHMENT_NOT_UPLOADED")


async def test_someone_elses_upload_cannot_be_confirmed(scene: Scene, registry: RegistryData) -> None:
    data = photo_with_gps()
    asked = await scene.ask(data)
    await scene.upload(asked.json(), data)
    colleague = auth(worker_identity(uuid.UUID(scene.hazard["grid_id"])))
    answer = await scene.confirm(asked.json(), colleague)
    assert (answer.status_code, answer.json()["code"]) == (403, "ATTACHMENT_NOT_YOURS")
    assert await scene.listed() == []
    assert (await scene.confirm(asked.json())).status_code == 200  # the uploader still can


async def test_an_expired_target_is_refused_at_upload_and_at_confirmation(
    scene: Scene, grid_service: FastAPI, database_url: str
) -> None:
    data = photo_with_gps()
    asked = (await scene.ask(data)).json()
    store: LocalStore = grid_service.state.object_store
    claims = store.verify(asked["upload"]["url"].rsplit("/", 1)[1], "upload")
    past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    stale = store.sign("upload", claims["k"], past, t=claims["t"], m=claims["m"])
    late = await scene.upload(
        {"upload": asked["upload"] | {"url": asked["upload"]["url"].rsplit("/", 1)[0] + "/" + stale}}, data
    )
    assert (late.status_code, late.json()["code"]) == (403, "UPLOAD_TARGET_INVALID")
    assert files_under(grid_service) == [] or all(scene.hazard["id"] not in path for path in files_under(grid_service))
    assert (await scene.upload(asked, data)).status_code == 204
    await rows(database_url, "UPDATE grid.attachment SET expires_at = now() - interval '1 second' RETURNING id")
    answer = await scene.confirm(asked)
    assert (answer.status_code, answer.json()["code"]) == (410, "ATTACHMENT_UPLOAD_EXPIRED")
    assert [path for path in files_under(grid_service) if scene.hazard["id"] in path] == []


async def test_local_uploads_refuse_forged_tokens_empty_and_oversize_files(scene: Scene) -> None:
    data = photo_with_gps()
    asked = (await scene.ask(data)).json()
    url = asked["upload"]["url"]
    forged = await scene.grid.post(url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB"), content=data)
    assert (forged.status_code, forged.json()["code"]) == (403, "UPLOAD_TARGET_INVALID")
    empty = await scene.upload(asked, b"")
    assert (empty.status_code, empty.json()["errors"][0]["code"]) == (422, "UPLOAD_SIZE")
    bigger = await scene.upload(asked, data + b"\x00")  # more than the size the target was signed for
    assert (bigger.status_code, bigger.json()["errors"][0]["code"]) == (422, "UPLOAD_SIZE")
    raw = await scene.grid.post(url, content=data, headers={"Content-Type": "application/octet-stream"})
    assert raw.status_code == 204  # the raw bytes, for clients that send no form
    assert (await scene.confirm(asked)).status_code == 200


async def test_nine_files_per_item_even_when_twelve_ask_at_once(scene: Scene, database_url: str) -> None:
    data = photo_with_gps()
    answers = await asyncio.gather(*(scene.ask(data) for _ in range(12)))
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [201] * 9 + [409] * 3, statuses
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"ATTACHMENT_LIMIT_REACHED"}
    kept = await rows(
        database_url, "SELECT slot FROM grid.attachment WHERE item_id = $1", uuid.UUID(scene.hazard["id"])
    )
    assert sorted(row["slot"] for row in kept) == list(range(1, 10))
    # removing one frees its slot
    first = next(a.json() for a in answers if a.status_code == 201)
    assert (await scene.grid.delete(f"{scene.path}/{first['id']}", headers=scene.worker)).status_code == 204
    assert (await scene.ask(data)).status_code == 201


async def test_two_confirmations_of_one_upload_one_wins(scene: Scene, database_url: str) -> None:
    data = photo_with_gps()
    asked = (await scene.ask(data)).json()
    await scene.upload(asked, data)
    answers = await asyncio.gather(scene.confirm(asked), scene.confirm(asked))
    assert sorted(answer.status_code for answer in answers) == [200, 409]
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"ATTACHMENT_ALREADY_CONFIRMED"}
    history = await rows(
        database_url,
        "SELECT action FROM grid.hazard_history WHERE hazard_id = $1 AND action = 'attachment_added'",
        uuid.UUID(scene.hazard["id"]),
    )
    assert len(history) == 1 and len(await scene.listed()) == 1


async def test_removal_is_history_and_evidence_of_a_closed_hazard_stays(scene: Scene, grid_service: FastAPI) -> None:
    first = await scene.attach(photo_with_gps())
    second = await scene.attach(photo_with_gps(seed=3))
    assert (await scene.grid.delete(f"{scene.path}/{first['id']}", headers=scene.worker)).status_code == 204
    assert [a["id"] for a in await scene.listed()] == [second["id"]]
    assert [path for path in files_under(grid_service) if first["id"] in path] == []
    officer = staff_headers(scene.community)
    transitions = f"/v1/hazards/{scene.hazard['id']}/transitions"
    for action, who in (("start_rectification", scene.worker), ("report_rectified", scene.worker), ("verify", officer)):
        assert (await scene.grid.post(transitions, json={"action": action}, headers=who)).status_code == 200
    refused = await scene.grid.delete(f"{scene.path}/{second['id']}", headers=officer | EN)
    assert (refused.status_code, refused.json()["code"]) == (409, "ATTACHMENT_ITEM_CLOSED")
    added = await scene.attach(photo_with_gps(seed=5), stage="verified")  # still added to
    assert [a["id"] for a in await scene.listed()] == [second["id"], added["id"]]
    detail = (await scene.grid.get(f"/v1/hazards/{scene.hazard['id']}", headers=scene.worker)).json()
    actions = [h["action"] for h in detail["history"]]
    assert actions == [
        "report",
        "attachment_added",
        "attachment_added",
        "attachment_removed",
        "start_rectification",
        "report_rectified",
        "verify",
        "attachment_added",
    ]


async def test_the_enterprise_concerned_adds_the_repair_photo_and_no_other_enterprise_sees_any(scene: Scene) -> None:
    found = await scene.attach(photo_with_gps())
    rep = auth(enterprise_rep(scene.enterprise_id))
    refused = await scene.ask(photo_with_gps(), rep, stage="found")
    assert (refused.status_code, refused.json()["code"]) == (403, "ATTACHMENT_STAGE_NOT_ALLOWED")
    repaired = await scene.attach(photo_with_gps(seed=9), rep, stage="rectified")
    assert [a["id"] for a in await scene.listed(rep)] == [found["id"], repaired["id"]]
    for outsider in (
        auth(enterprise_rep(uuid.uuid4())),
        auth(employee(scene.enterprise_id)),
        auth(worker_identity(uuid.uuid4())),
        staff_headers(uuid.uuid4()),
    ):
        assert (await scene.grid.get(scene.path, headers=outsider)).status_code == 403
        assert (await scene.ask(photo_with_gps(), outsider, stage="rectified")).status_code == 403
    # the representative may not remove the worker's evidence, only the community's staff or its uploader
    answer = await scene.grid.delete(f"{scene.path}/{found['id']}", headers=rep)
    assert answer.status_code == 403


async def test_expired_uploads_are_swept_with_their_objects(
    scene: Scene, grid_service: FastAPI, database_url: str
) -> None:
    data = photo_with_gps()
    kept = await scene.attach(data)
    stale = (await scene.ask(data)).json()
    await scene.upload(stale, data)
    fresh = (await scene.ask(data)).json()
    await rows(
        database_url,
        "UPDATE grid.attachment SET expires_at = now() - interval '2 minutes' WHERE id = $1",
        uuid.UUID(stale["id"]),
    )
    assert any(stale["id"] in path for path in files_under(grid_service))
    done = await run_jobs_once(grid_service)
    assert done["uploads_expired"] == 1
    left = await rows(database_url, "SELECT id::text, status FROM grid.attachment ORDER BY status")
    assert sorted((row["id"], row["status"]) for row in left) == sorted(
        [(kept["id"], "confirmed"), (fresh["id"], "pending")]
    )
    assert not any(stale["id"] in path for path in files_under(grid_service))
    assert (await run_jobs_once(grid_service))["uploads_expired"] == 0


async def test_grid_events_and_inspections_take_files_too(
    grid: httpx.AsyncClient, registry: RegistryData, grid_service: FastAPI
) -> None:
    community = await registry.community("XG")
    tower = await registry.building(community)
    mine = await make_grid(grid, community)
    assert (await assign(grid, mine["id"], tower)).status_code == 201
    worker = auth(worker_identity(mine["id"]))
    officer = staff_headers(community)
    event = await grid.post(
        "/v1/grid-events",
        json={"community_id": str(community), "grid_id": mine["id"], "category": "fire_safety", "title": "通道堵塞"},
        headers=worker,
    )
    assert event.status_code == 201, event.text
    scene = Scene(grid, {"id": event.json()["id"], "enterprise_id": str(uuid.uuid4())}, worker, community)
    scene.path = f"/v1/grid-events/{event.json()['id']}/attachments"
    reported = await scene.attach(photo_with_gps(), stage="report")
    assert reported["stage"] == "report"
    declined = await grid.post(
        f"/v1/grid-events/{event.json()['id']}/transitions", json={"action": "decline", "note": "重复"}, headers=officer
    )
    assert declined.status_code == 200, declined.text
    refused = await grid.delete(f"{scene.path}/{reported['id']}", headers=officer | EN)
    assert (refused.status_code, refused.json()["code"]) == (409, "ATTACHMENT_ITEM_CLOSED")
    history = (await grid.get(f"/v1/grid-events/{event.json()['id']}", headers=officer)).json()["history"]
    assert [h["action"] for h in history][-2:] == ["attachment_added", "decline"]
    assert history[-2]["data"] == {"attachment_id": reported["id"]}

    visit = await grid.post(
        "/v1/inspections",
        json={
            "grid_id": mine["id"],
            "building_id": str(tower),
            "visited_on": "2024-05-01",
            "answers": {},
            "findings": [],
        },
        headers=worker,
    )
    assert visit.status_code == 201, visit.text
    scene.path = f"/v1/inspections/{visit.json()['id']}/attachments"
    report = await scene.attach(PDF_BYTES, name="巡查记录.pdf", content_type="application/pdf")
    assert report["stage"] is None
    detail = (await grid.get(f"/v1/inspections/{visit.json()['id']}", headers=worker)).json()
    assert [(h["action"], h["actor"]) for h in detail["history"]] == [("attachment_added", report["uploaded_by"])]
    refused = await grid.delete(f"{scene.path}/{report['id']}", headers=worker | EN)
    assert (refused.status_code, refused.json()["code"]) == (409, "ATTACHMENT_ITEM_CLOSED")
    outsider = auth(worker_identity(uuid.uuid4()))
    assert (await grid.get(scene.path, headers=outsider)).status_code == 403
