"""Files of service requests, with the local store on the filesystem.

The requester attaches a business licence to a form field and a photo to none; staff see both; the
bank the request is routed to (with consent) sees, adds and is told of only files of shareable
fields; outsiders see nothing; the 9-per-request limit holds under a race; a closed request's files
stay; the shared confirmation refuses bad bytes here too.
"""

from __future__ import annotations

import asyncio
import io
import uuid
from typing import Any

import httpx
from PIL import Image

from shared.auth import Identity
from tests.service_requests.conftest import World, act, create_type, submit
from tests.support.identities import auth
from tests.support.photos import GPS_TAG, PDF_BYTES, photo_with_gps, sha256
from tests.support.rows import rows

EN = {"Accept-Language": "en"}
SHAREABLE_FORM = [
    {"code": "amount", "label_zh": "金额", "label_en": "Amount", "datatype": "number", "order": 1, "shareable": True},
    {
        "code": "licence",
        "label_zh": "营业执照",
        "label_en": "Licence",
        "datatype": "string",
        "order": 2,
        "shareable": True,
    },
    {"code": "accounts", "label_zh": "内部账目", "label_en": "Accounts", "datatype": "string", "order": 3},
]


async def _ask(client: httpx.AsyncClient, request_id: str, who: Identity, data: bytes, **body: Any) -> httpx.Response:
    request = {"name": "营业执照.pdf", "content_type": "application/pdf", "size": len(data), "sha256": sha256(data)}
    return await client.post(
        f"/v1/service-requests/{request_id}/attachments", json=request | body, headers=auth(who) | EN
    )


async def _attach(
    client: httpx.AsyncClient, request_id: str, who: Identity, data: bytes, **body: Any
) -> dict[str, Any]:
    asked = await _ask(client, request_id, who, data, **body)
    assert asked.status_code == 201, asked.text
    form = asked.json()["upload"]
    content_type = body.get("content_type", "application/pdf")
    sent = await client.post(form["url"], data=form["fields"], files={"file": ("f", data, content_type)})
    assert sent.status_code == 204, sent.text
    confirmed = await client.post(asked.json()["confirm_path"], headers=auth(who) | EN)
    assert confirmed.status_code == 200, confirmed.text
    result: dict[str, Any] = confirmed.json()
    return result


async def _listed(client: httpx.AsyncClient, request_id: str, who: Identity) -> list[str | None]:
    answer = await client.get(f"/v1/service-requests/{request_id}/attachments", headers=auth(who))
    assert answer.status_code == 200, answer.text
    return [item["field"] for item in answer.json()["items"]]


async def test_the_partner_sees_only_files_of_shareable_fields(requests_app: httpx.AsyncClient, world: World) -> None:
    bank_id = uuid.uuid4()
    routed_type = await create_type(
        requests_app,
        world,
        handler={"kind": "bank", "partner_ids": [str(bank_id)]},
        requester_roles=["enterprise_rep"],
        form=SHAREABLE_FORM,
    )
    rep = world.rep()
    routed = (await submit(requests_app, rep, routed_type["id"], share_consent=True)).json()
    request_id = routed["id"]
    licence = await _attach(requests_app, request_id, rep, PDF_BYTES, field="licence")
    assert (licence["field"], licence["content_type"]) == ("licence", "application/pdf")
    await _attach(requests_app, request_id, rep, PDF_BYTES, name="账目.pdf", field="accounts")
    photo = photo_with_gps()
    snapshot = await _attach(requests_app, request_id, rep, photo, name="门头.jpg", content_type="image/jpeg")
    shown = Image.open(io.BytesIO((await requests_app.get(snapshot["url"])).content))
    assert dict(shown.getexif()) == {} and not shown.getexif().get_ifd(GPS_TAG)

    assert await _listed(requests_app, request_id, rep) == ["licence", "accounts", None]
    assert await _listed(requests_app, request_id, world.staff()) == ["licence", "accounts", None]
    bank = world.partner(bank_id)
    assert await _listed(requests_app, request_id, bank) == ["licence"]
    hidden = await requests_app.post(
        f"/v1/service-requests/{request_id}/attachments/{snapshot['id']}/confirm", headers=auth(bank) | EN
    )
    assert hidden.status_code == 404  # a file it may not see does not exist for it
    refused = await _ask(requests_app, request_id, bank, PDF_BYTES, field="accounts")
    assert (refused.status_code, refused.json()["code"]) == (403, "ATTACHMENT_NOT_SHARED")
    assert (await _ask(requests_app, request_id, bank, PDF_BYTES)).status_code == 403  # no field: not shareable
    await _attach(requests_app, request_id, bank, PDF_BYTES, name="授信意见.pdf", field="amount")
    assert await _listed(requests_app, request_id, bank) == ["licence", "amount"]

    timeline = await requests_app.get(f"/v1/service-requests/{request_id}/timeline", headers=auth(bank))
    told = [entry["data"].get("field") for entry in timeline.json()["items"] if entry["kind"] == "attachment"]
    assert told == ["licence", "amount"]
    full = await requests_app.get(f"/v1/service-requests/{request_id}/timeline", headers=auth(rep))
    entries = [entry for entry in full.json()["items"] if entry["kind"] == "attachment"]
    assert [(e["action"], e["data"]["field"]) for e in entries] == [
        ("attachment_added", "licence"),
        ("attachment_added", "accounts"),
        ("attachment_added", None),
        ("attachment_added", "amount"),
    ]

    for outsider in (world.partner(uuid.uuid4()), world.employee(world.other_enterprise_id), world.other_staff()):
        answer = await requests_app.get(f"/v1/service-requests/{request_id}/attachments", headers=auth(outsider))
        assert answer.status_code == 403, answer.text
    unknown = await _ask(requests_app, request_id, rep, PDF_BYTES, field="nope")
    assert (unknown.status_code, unknown.json()["code"]) == (422, "ATTACHMENT_FIELD_UNKNOWN")


async def test_a_partner_without_consent_on_record_sees_no_file(requests_app: httpx.AsyncClient, world: World) -> None:
    bank_id = uuid.uuid4()
    plain = await create_type(requests_app, world, form=SHAREABLE_FORM)
    request_id = (await submit(requests_app, world.rep(), plain["id"])).json()["id"]
    await _attach(requests_app, request_id, world.rep(), PDF_BYTES, field="licence")
    bank = world.partner(bank_id)  # not routed: not a participant at all
    assert (
        await requests_app.get(f"/v1/service-requests/{request_id}/attachments", headers=auth(bank))
    ).status_code == 403


async def test_nine_files_per_request_even_when_twelve_ask_at_once(
    requests_app: httpx.AsyncClient, world: World, database_url: str
) -> None:
    service_type = await create_type(requests_app, world)
    employee = world.employee()
    request_id = (await submit(requests_app, employee, service_type["id"])).json()["id"]
    answers = await asyncio.gather(*(_ask(requests_app, request_id, employee, PDF_BYTES) for _ in range(12)))
    assert sorted(answer.status_code for answer in answers) == [201] * 9 + [409] * 3
    kept = await rows(database_url, "SELECT slot FROM requests.attachment WHERE request_id = $1", uuid.UUID(request_id))
    assert sorted(row["slot"] for row in kept) == list(range(1, 10))


async def test_a_closed_requests_files_stay_and_bad_bytes_are_refused(
    requests_app: httpx.AsyncClient, world: World
) -> None:
    service_type = await create_type(requests_app, world)
    employee = world.employee()
    request_id = (await submit(requests_app, employee, service_type["id"])).json()["id"]
    fake = b"%PDX-1.4 not a pdf"
    asked = (await _ask(requests_app, request_id, employee, fake)).json()
    await requests_app.post(asked["upload"]["url"], content=fake)
    refused = await requests_app.post(asked["confirm_path"], headers=auth(employee) | EN)
    assert (refused.status_code, refused.json()["code"]) == (422, "ATTACHMENT_TYPE_MISMATCH")
    kept = await _attach(requests_app, request_id, employee, PDF_BYTES)
    removable = await _attach(requests_app, request_id, employee, PDF_BYTES, name="第二份.pdf")
    path = f"/v1/service-requests/{request_id}/attachments"
    not_mine = await requests_app.delete(f"{path}/{kept['id']}", headers=auth(world.employee()))
    assert not_mine.status_code == 403  # a colleague is neither the uploader nor staff
    assert (await requests_app.delete(f"{path}/{removable['id']}", headers=auth(employee))).status_code == 204
    cancelled = await act(requests_app, employee, request_id, "cancel", 1)
    assert cancelled.status_code == 200, cancelled.text
    closed = await requests_app.delete(f"{path}/{kept['id']}", headers=auth(world.staff()) | EN)
    assert (closed.status_code, closed.json()["code"]) == (409, "ATTACHMENT_ITEM_CLOSED")
    added = await _attach(requests_app, request_id, employee, PDF_BYTES, name="补充.pdf")  # still added to
    assert [item["id"] for item in (await requests_app.get(path, headers=auth(employee))).json()["items"]] == [
        kept["id"],
        added["id"],
    ]
    timeline = (await requests_app.get(f"/v1/service-requests/{request_id}/timeline", headers=auth(employee))).json()
    assert [e["action"] for e in timeline["items"] if e["kind"] == "attachment"] == [
        "attachment_added",
        "attachment_added",
        "attachment_removed",
        "attachment_added",
    ]
