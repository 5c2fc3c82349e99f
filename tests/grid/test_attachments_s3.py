"""Hazard attachments with the S3 store, against moto's S3 server in its own process (tests/support/s3.py).

The client uploads with the presigned POST policy over HTTP and downloads by presigned URL; the
grid confirms by reading the object back from the bucket. moto does not enforce the policy's
conditions, so the grid's own checks are what refuse a wrong file (docs/storage.md).
"""

from __future__ import annotations

import datetime as dt
import io
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from PIL import Image

from grid.attachments.service import sweep_expired
from shared.storage import S3Store
from shared.uow import unit_of_work
from tests.grid.conftest import build_grid_app, worker_identity
from tests.grid.helpers import make_grid
from tests.grid.registry_data import RegistryData
from tests.support.identities import auth
from tests.support.photos import GPS_TAG, heic, photo_with_gps, sha256
from tests.support.rows import rows
from tests.support.s3 import s3_server

BUCKET = "grid-files"


@pytest.fixture(scope="module")
def s3_url() -> Iterator[str]:
    with s3_server() as url:
        yield url


@pytest.fixture
async def s3_grid(database_url: str, registry_service: FastAPI, s3_url: str) -> AsyncIterator[httpx.AsyncClient]:
    app = build_grid_app(
        database_url,
        httpx.ASGITransport(app=registry_service),
        storage_backend="s3",
        s3_endpoint_url=s3_url,
        s3_bucket=BUCKET,
        s3_access_key_id="test",
        s3_secret_access_key="test",
    )
    async with LifespanManager(app):
        store: S3Store = app.state.object_store
        await store.client.create_bucket(Bucket=BUCKET)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://grid.test") as client:
            client.app = app  # type: ignore[attr-defined]
            yield client


async def _keys(store: S3Store, hazard_id: str) -> list[str]:
    """The objects of one hazard (the bucket lives as long as the module's server)."""
    listed = await store.client.list_objects_v2(Bucket=BUCKET, Prefix=f"grid/hazard/{hazard_id}/")
    return sorted(item["Key"] for item in listed.get("Contents", []))


async def _hazard(grid: httpx.AsyncClient, registry: RegistryData) -> tuple[str, dict[str, str]]:
    community = await registry.community("XG")
    tower = await registry.building(community)
    mine = await make_grid(grid, community)
    worker = auth(worker_identity(mine["id"]))
    deadline = (dt.date.today() + dt.timedelta(days=30)).isoformat()  # noqa: DTZ011
    body = {"grid_id": mine["id"], "building_id": str(tower), "description": "配电箱未上锁", "deadline": deadline}
    created = await grid.post("/v1/hazards", json=body, headers=worker)
    assert created.status_code == 201, created.text
    return created.json()["id"], worker


async def _ask_and_upload(
    grid: httpx.AsyncClient, path: str, worker: dict[str, str], declared: bytes, sent: bytes, content_type: str
) -> dict[str, Any]:
    body = {"name": "现场.jpg", "content_type": content_type, "size": len(declared), "sha256": sha256(declared)}
    asked = await grid.post(path, json=body, headers=worker)
    assert asked.status_code == 201, asked.text
    form = asked.json()["upload"]
    assert form["fields"]["Content-Type"] == content_type and "policy" in form["fields"]
    async with httpx.AsyncClient() as outside:  # straight to the bucket, as wx.uploadFile would
        uploaded = await outside.post(form["url"], data=form["fields"], files={"file": ("x", sent, content_type)})
    assert uploaded.status_code in (200, 204), uploaded.text
    result: dict[str, Any] = asked.json()
    return result


async def test_a_photo_through_a_presigned_post_is_confirmed_clean_and_downloaded_by_presigned_url(
    s3_grid: httpx.AsyncClient, registry: RegistryData
) -> None:
    hazard_id, worker = await _hazard(s3_grid, registry)
    path = f"/v1/hazards/{hazard_id}/attachments"
    pending = await _ask_and_upload(s3_grid, path, worker, photo_with_gps(), photo_with_gps(), "image/jpeg")
    assert (await s3_grid.get(path, headers=worker)).json()["items"] == []
    confirmed = await s3_grid.post(pending["confirm_path"], headers=worker)
    assert confirmed.status_code == 200, confirmed.text
    iphone = await _ask_and_upload(s3_grid, path, worker, heic(), heic(), "image/heic")
    as_jpeg = await s3_grid.post(iphone["confirm_path"], headers=worker)
    assert as_jpeg.status_code == 200, as_jpeg.text
    assert (as_jpeg.json()["content_type"], as_jpeg.json()["width"]) == ("image/jpeg", 640)
    [photo, converted] = (await s3_grid.get(path, headers=worker)).json()["items"]
    async with httpx.AsyncClient() as outside:
        for item in (photo, converted):
            stored = await outside.get(item["url"])
            assert stored.status_code == 200
            shown = Image.open(io.BytesIO(stored.content))
            assert shown.format == "JPEG" and dict(shown.getexif()) == {} and not shown.getexif().get_ifd(GPS_TAG)
            small = Image.open(io.BytesIO((await outside.get(item["thumbnail_url"])).content))
            assert max(small.size) == 320
    base = f"grid/hazard/{hazard_id}"
    store: S3Store = s3_grid.app.state.object_store  # type: ignore[attr-defined]
    assert await _keys(store, hazard_id) == sorted(
        f"{base}/{item['id']}/{name}" for item in (photo, converted) for name in ("file", "thumbnail")
    )


async def test_bytes_that_are_not_the_declared_type_are_refused_and_removed_from_the_bucket(
    s3_grid: httpx.AsyncClient, registry: RegistryData
) -> None:
    hazard_id, worker = await _hazard(s3_grid, registry)
    path = f"/v1/hazards/{hazard_id}/attachments"
    script = b"<script>alert(1)</script>" * 10
    pending = await _ask_and_upload(s3_grid, path, worker, script, script, "image/png")
    store: S3Store = s3_grid.app.state.object_store  # type: ignore[attr-defined]
    assert await _keys(store, hazard_id) == [f"grid/hazard/{hazard_id}/{pending['id']}/upload"]
    refused = await s3_grid.post(pending["confirm_path"], headers=worker)
    assert (refused.status_code, refused.json()["code"]) == (422, "ATTACHMENT_TYPE_MISMATCH")
    assert await _keys(store, hazard_id) == []
    assert (await s3_grid.get(path, headers=worker)).json()["items"] == []


async def test_an_expired_upload_is_swept_from_the_bucket(
    s3_grid: httpx.AsyncClient, registry: RegistryData, database_url: str
) -> None:
    hazard_id, worker = await _hazard(s3_grid, registry)
    path = f"/v1/hazards/{hazard_id}/attachments"
    pending = await _ask_and_upload(s3_grid, path, worker, photo_with_gps(), photo_with_gps(), "image/jpeg")
    await rows(database_url, "UPDATE grid.attachment SET expires_at = now() - interval '2 minutes' RETURNING id")
    app: FastAPI = s3_grid.app  # type: ignore[attr-defined]
    async with unit_of_work(app) as uow:
        assert await sweep_expired(uow, app.state.object_store, dt.datetime.now(dt.UTC)) == 1
    assert await _keys(app.state.object_store, hazard_id) == []
    assert await rows(database_url, "SELECT id FROM grid.attachment WHERE id = $1", uuid.UUID(pending["id"])) == []
