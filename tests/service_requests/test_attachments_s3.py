"""Files of service requests with the S3 store, against moto's S3 server in its own process.

The requester uploads a licence with the presigned POST policy, confirms, and the routed bank
downloads it by presigned URL; a file of a field that is not shareable is not listed to it.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from shared.auth import Identity
from shared.storage import S3Store
from tests.service_requests.conftest import World, create_type, submit
from tests.service_requests.test_attachments import SHAREABLE_FORM
from tests.support.identities import auth
from tests.support.photos import PDF_BYTES, sha256
from tests.support.s3 import s3_server

BUCKET = "request-files"


@pytest.fixture(scope="module")
def s3_url() -> Iterator[str]:
    with s3_server() as url:
        yield url


@pytest.fixture
async def s3_requests(database_url: str, s3_url: str) -> AsyncIterator[httpx.AsyncClient]:
    from service_requests.app import create_app
    from service_requests.settings import Settings

    settings = Settings(
        database_url=database_url,
        environment="test",
        webhook_dispatcher_enabled=False,
        job_interval_seconds=0,
        storage_backend="s3",
        s3_endpoint_url=s3_url,
        s3_bucket=BUCKET,
        s3_access_key_id="test",
        s3_secret_access_key="test",
    )
    app = create_app(settings)
    async with LifespanManager(app):
        store: S3Store = app.state.object_store
        await store.client.create_bucket(Bucket=BUCKET)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://service.test") as client:
            yield client


async def _attach(client: httpx.AsyncClient, request_id: str, who: Identity, data: bytes, field: str) -> dict[str, Any]:
    body = {"name": f"{field}.pdf", "content_type": "application/pdf", "size": len(data), "sha256": sha256(data)}
    asked = await client.post(
        f"/v1/service-requests/{request_id}/attachments", json=body | {"field": field}, headers=auth(who)
    )
    assert asked.status_code == 201, asked.text
    form = asked.json()["upload"]
    assert "policy" in form["fields"]
    async with httpx.AsyncClient() as outside:
        sent = await outside.post(form["url"], data=form["fields"], files={"file": ("f.pdf", data, "application/pdf")})
    assert sent.status_code in (200, 204), sent.text
    confirmed = await client.post(asked.json()["confirm_path"], headers=auth(who))
    assert confirmed.status_code == 200, confirmed.text
    result: dict[str, Any] = confirmed.json()
    return result


async def test_the_bank_downloads_the_shared_licence_from_the_bucket(
    s3_requests: httpx.AsyncClient, world: World
) -> None:
    bank_id = uuid.uuid4()
    routed_type = await create_type(
        s3_requests,
        world,
        handler={"kind": "bank", "partner_ids": [str(bank_id)]},
        requester_roles=["enterprise_rep"],
        form=SHAREABLE_FORM,
    )
    rep = world.rep()
    request_id = (await submit(s3_requests, rep, routed_type["id"], share_consent=True)).json()["id"]
    licence_pdf = PDF_BYTES + b"% licence\n"
    licence = await _attach(s3_requests, request_id, rep, licence_pdf, "licence")
    await _attach(s3_requests, request_id, rep, PDF_BYTES + b"% accounts\n", "accounts")
    bank_view = await s3_requests.get(
        f"/v1/service-requests/{request_id}/attachments", headers=auth(world.partner(bank_id))
    )
    [shared] = bank_view.json()["items"]
    assert (shared["id"], shared["field"]) == (licence["id"], "licence")  # the accounts file is not listed
    async with httpx.AsyncClient() as outside:
        downloaded = await outside.get(shared["url"])
    assert downloaded.status_code == 200 and downloaded.content == licence_pdf
