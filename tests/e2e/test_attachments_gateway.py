"""Issue 19's acceptance, through the gateway against the real grid process and its local store.

A grid worker attaches two photos of a hazard (2 MB each: more than the 1 MiB body limit, sent to
the signed upload path the gateway lets through); EXIF is gone and thumbnails are made. The
enterprise's representative adds the rectification photo, the worker looks at all three and adds
the verification photo, the community closes the hazard; an employee or the representative of
another enterprise cannot list or fetch any of them, and a forged link is refused.
"""

from __future__ import annotations

import datetime as dt
import io
import uuid
from typing import Any

import httpx
import pytest
from PIL import Image

from shared.auth import Role
from tests.e2e.conftest import RunningPlatform
from tests.support.identities import admin, identity
from tests.support.photos import GPS_TAG, noisy_photo, sha256

pytestmark = pytest.mark.e2e


async def _attach(
    client: httpx.AsyncClient, path: str, headers: dict[str, str], data: bytes, name: str, stage: str
) -> dict[str, Any]:
    body = {"name": name, "content_type": "image/jpeg", "size": len(data), "sha256": sha256(data), "stage": stage}
    asked = await client.post(path, json=body, headers=headers)
    assert asked.status_code == 201, asked.text
    form = asked.json()["upload"]
    assert form["url"].startswith(str(client.base_url).rstrip("/") + "/v1/grid-files/uploads/")
    uploaded = await client.post(
        form["url"], data=form["fields"], files={form["file_field"]: (name, data, "image/jpeg")}
    )
    assert uploaded.status_code == 204, uploaded.text  # no Authorization: the signed path is the credential
    confirmed = await client.post(asked.json()["confirm_path"], headers=headers)
    assert confirmed.status_code == 200, confirmed.text
    result: dict[str, Any] = confirmed.json()
    return result


async def test_hazard_evidence_through_the_gateway(platform: RunningPlatform) -> None:
    p = platform
    root = p.auth(admin())
    async with p.client(timeout=60) as client:

        async def ok(method: str, path: str, headers: dict[str, str], status: int = 200, **kw: Any) -> Any:
            response = await client.request(method, path, headers=headers, **kw)
            assert response.status_code == status, f"{method} {path}: {response.status_code} {response.text}"
            return response.json() if response.content else None

        community_body = {"code": "E2E-FILES", "name_zh": "星光", "name_en": "XG", "type": "business_building"}
        community = (await ok("POST", "/v1/communities", root, 201, json=community_body | {"street": "长河街道"}))["id"]
        building = {
            "name": "星耀城 1 幢",
            "kind": "office_tower",
            "address": "江南大道",
            "location": {"lat": 30.2040, "lon": 120.2060},
            "floors": 30,
            "community_id": community,
            "valid_from": "2023-05-12",
        }
        tower = (await ok("POST", "/v1/buildings", root, 201, json=building))["id"]
        officer = p.auth(identity(Role.community_staff, community_ids=[community]))
        grid = await ok(
            "POST",
            "/v1/grids",
            officer,
            201,
            json={"community_id": community, "name": "网格", "valid_from": "2023-05-12"},
        )
        worker = p.auth(identity(Role.grid_worker, grid_ids=[grid["id"]]))
        enterprise = uuid.uuid4()
        deadline = (dt.date.today() + dt.timedelta(days=14)).isoformat()  # noqa: DTZ011
        hazard_body = {
            "grid_id": grid["id"],
            "building_id": tower,
            "enterprise_id": str(enterprise),
            "description": "安全出口堆放杂物",
            "deadline": deadline,
        }
        hazard = await ok("POST", "/v1/hazards", worker, 201, json=hazard_body)
        path = f"/v1/hazards/{hazard['id']}/attachments"

        photos = [noisy_photo(2.0, seed=1), noisy_photo(2.0, seed=2)]
        assert all(len(photo) > 1024 * 1024 for photo in photos)  # beyond the API's body limit
        too_big = await client.post("/v1/hazards", content=b"{" + b" " * len(photos[0]) + b"}", headers=worker)
        assert too_big.status_code == 413  # the ordinary API keeps its limit
        found = [await _attach(client, path, worker, photo, f"现场{i}.jpg", "found") for i, photo in enumerate(photos)]
        for attached in found:
            image = await client.get(attached["url"])
            assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
            shown = Image.open(io.BytesIO(image.content))
            assert dict(shown.getexif()) == {} and not shown.getexif().get_ifd(GPS_TAG)  # the GPS position is gone
            thumbnail = Image.open(io.BytesIO((await client.get(attached["thumbnail_url"])).content))
            assert max(thumbnail.size) == 320

        rep = p.auth(identity(Role.enterprise_rep, enterprise_id=enterprise))
        transitions = f"/v1/hazards/{hazard['id']}/transitions"
        await ok("POST", transitions, worker, json={"action": "start_rectification"})
        repaired = await _attach(client, path, rep, noisy_photo(0.5, seed=3), "整改后.jpg", "rectified")
        await ok("POST", transitions, worker, json={"action": "report_rectified"})

        # the worker compares the photos and adds the verification photo; the community closes the hazard
        seen = await ok("GET", path, worker)
        assert [(a["id"], a["stage"]) for a in seen["items"]] == [
            (found[0]["id"], "found"),
            (found[1]["id"], "found"),
            (repaired["id"], "rectified"),
        ]
        for attached in seen["items"]:
            assert (await client.get(attached["url"])).status_code == 200
        checked = await _attach(client, path, worker, noisy_photo(0.5, seed=4), "复核.jpg", "verified")
        closed = await ok("POST", transitions, officer, json={"action": "verify"})
        assert closed["status"] == "verified"
        assert [h["action"] for h in closed["history"]].count("attachment_added") == 4
        refused = await client.delete(f"{path}/{checked['id']}", headers=officer)
        assert (refused.status_code, refused.json()["code"]) == (409, "ATTACHMENT_ITEM_CLOSED")

        for outsider in (
            p.auth(identity(Role.employee, enterprise_id=uuid.uuid4())),
            p.auth(identity(Role.enterprise_rep, enterprise_id=uuid.uuid4())),
            p.auth(identity(Role.employee, enterprise_id=enterprise)),
        ):
            assert (await client.get(path, headers=outsider)).status_code == 403
            for attached in seen["items"]:
                confirm = f"{path}/{attached['id']}/confirm"
                assert (await client.post(confirm, headers=outsider)).status_code == 403
        link = seen["items"][0]["url"]
        forged = await client.get(link[:-4] + ("AAAA" if not link.endswith("AAAA") else "BBBB"))
        assert (forged.status_code, forged.json()["code"]) == (403, "UPLOAD_TARGET_INVALID")
        oversize = await client.post(link.replace("/downloads/", "/uploads/"), content=b"\0" * (11 * 1024 * 1024))
        assert oversize.status_code == 413  # the signed-upload limit holds at the gateway


async def test_a_request_file_larger_than_the_body_limit_through_the_gateway(platform: RunningPlatform) -> None:
    p = platform
    community = uuid.uuid4()
    enterprise = uuid.uuid4()
    staff = p.auth(identity(Role.community_staff, community_ids=[community]))
    requester = p.auth(identity(Role.employee, enterprise_id=enterprise, community_ids=[community]))
    service_type = {
        "community_id": str(community),
        "code": f"licence-{uuid.uuid4().hex[:6]}",
        "name_zh": "营业执照变更",
        "name_en": "Licence change",
        "category": "enterprise",
        "scenario": "enterprise_service",
        "requester_roles": ["employee"],
        "form": [{"code": "licence", "label_zh": "执照", "label_en": "Licence", "datatype": "string", "order": 1}],
        "handler": {"kind": "community_staff"},
        "deadlines": {
            "acknowledge": {"amount": 4, "unit": "working_hours"},
            "resolve": {"amount": 5, "unit": "working_days"},
        },
    }
    async with p.client(timeout=60) as client:
        created = await client.post("/v1/service-types", json=service_type, headers=staff)
        assert created.status_code == 201, created.text
        body = {"type_id": created.json()["id"], "description": "变更经营范围", "answers": {}}
        filed = await client.post("/v1/service-requests", json=body, headers=requester)
        assert filed.status_code == 201, filed.text
        path = f"/v1/service-requests/{filed.json()['id']}/attachments"
        scan = b"%PDF-1.7\n" + bytes(range(256)) * 6000 + b"\n%%EOF\n"  # 1.5 MB
        asked = await client.post(
            path,
            json={
                "name": "执照.pdf",
                "content_type": "application/pdf",
                "size": len(scan),
                "sha256": sha256(scan),
                "field": "licence",
            },
            headers=requester,
        )
        assert asked.status_code == 201, asked.text
        form = asked.json()["upload"]
        assert form["url"].startswith(str(client.base_url).rstrip("/") + "/v1/request-files/uploads/")
        sent = await client.post(form["url"], files={"file": ("执照.pdf", scan, "application/pdf")})
        assert sent.status_code == 204, sent.text
        confirmed = await client.post(asked.json()["confirm_path"], headers=requester)
        assert confirmed.status_code == 200, confirmed.text
        listed = (await client.get(path, headers=staff)).json()["items"]
        assert [item["field"] for item in listed] == ["licence"]
        downloaded = await client.get(listed[0]["url"])
        assert downloaded.status_code == 200 and downloaded.content == scan
        stranger = p.auth(identity(Role.employee, enterprise_id=uuid.uuid4(), community_ids=[community]))
        assert (await client.get(path, headers=stranger)).status_code == 403
