"""Open311 GeoReport v2: the documents, formats and errors the specification defines."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ElementTree

import httpx

from tests.service_requests.conftest import World, create_type, submit
from tests.support.identities import auth

# Fields the GeoReport v2 specification lists for each document.
SERVICE_FIELDS = {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
ATTRIBUTE_FIELDS = {"variable", "code", "datatype", "required", "datatype_description", "order", "description"}
DATATYPES = {"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"}
REQUEST_FIELDS = {
    "service_request_id", "status", "status_notes", "service_name", "service_code", "description",
    "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
    "address", "address_id", "zipcode", "lat", "long", "media_url",
}  # fmt: skip
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _xml(response: httpx.Response) -> ElementTree.Element:
    assert response.headers["content-type"].startswith("text/xml")
    return ElementTree.fromstring(response.content)


def _check_errors(response: httpx.Response, status: int) -> None:
    assert response.status_code == status
    if response.request.url.path.endswith(".xml"):
        root = _xml(response)
        assert root.tag == "errors"
        assert [error.findtext("code") for error in root.findall("error")] == [str(status)]
        assert root.find("error/description") is not None
    else:
        body = response.json()
        assert isinstance(body, list) and body[0]["code"] == status and body[0]["description"]


async def test_discovery_and_services_in_both_formats(requests_app: httpx.AsyncClient, world: World) -> None:
    service_type = await create_type(requests_app, world)
    who = auth(world.employee())

    discovery = (await requests_app.get("/open311/v2/discovery.json", headers=who)).json()
    assert discovery["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert discovery["endpoints"][0]["url"] == "http://service.test/open311/v2"  # called directly
    behind_gateway = who | {"X-Forwarded-Host": "api.binjiang.example", "X-Forwarded-Proto": "https"}
    forwarded = (await requests_app.get("/open311/v2/discovery.json", headers=behind_gateway)).json()
    assert forwarded["endpoints"][0]["url"] == "https://api.binjiang.example/open311/v2"
    assert set(discovery["endpoints"][0]["formats"]) == {"text/xml", "application/json"}
    root = _xml(await requests_app.get("/open311/v2/discovery.xml", headers=who))
    assert root.tag == "discovery" and root.findtext("endpoints/endpoint/type") == "production"

    services = (await requests_app.get("/open311/v2/services.json", headers=who)).json()
    assert [entry["service_code"] for entry in services] == [service_type["id"]]
    assert set(services[0]) == SERVICE_FIELDS
    assert services[0]["metadata"] is True and services[0]["type"] == "realtime"
    root = _xml(await requests_app.get("/open311/v2/services.xml", headers=who))
    assert root.tag == "services"
    assert [node.findtext("service_code") for node in root.findall("service")] == [service_type["id"]]
    assert root.findtext("service/metadata") == "true"

    elsewhere = await requests_app.get(
        "/open311/v2/services.json", params={"jurisdiction_id": str(uuid.uuid4())}, headers=who
    )
    assert elsewhere.json() == []


async def test_a_service_definition_in_both_formats(requests_app: httpx.AsyncClient, world: World) -> None:
    service_type = await create_type(requests_app, world)
    who = auth(world.employee())
    definition = (await requests_app.get(f"/open311/v2/services/{service_type['id']}.json", headers=who)).json()
    assert definition["service_code"] == service_type["id"]
    for attribute in definition["attributes"]:
        assert ATTRIBUTE_FIELDS <= set(attribute)
        assert attribute["datatype"] in DATATYPES
    purpose = definition["attributes"][1]
    assert purpose["datatype"] == "singlevaluelist"
    assert purpose["values"] == [{"key": "working_capital", "name": "流动资金"}, {"key": "equipment", "name": "设备"}]

    root = _xml(await requests_app.get(f"/open311/v2/services/{service_type['id']}.xml", headers=who))
    assert root.tag == "service_definition"
    assert [node.findtext("code") for node in root.findall("attributes/attribute")] == ["amount", "purpose"]
    assert root.findtext("attributes/attribute/required") == "true"
    assert [node.findtext("key") for node in root.findall("attributes/attribute/values/value")] == [
        "working_capital",
        "equipment",
    ]

    _check_errors(await requests_app.get(f"/open311/v2/services/{uuid.uuid4()}.json", headers=who), 404)
    _check_errors(await requests_app.get("/open311/v2/services/not-a-code.xml", headers=who), 404)
    unknown_format = await requests_app.get("/open311/v2/services.yaml", headers=who)
    assert unknown_format.status_code == 404


async def test_post_needs_a_partner_api_key(requests_app: httpx.AsyncClient, world: World) -> None:
    service_type = await create_type(requests_app, world)
    form = {
        "service_code": service_type["id"],
        "lat": "30.2084",
        "long": "120.2119",
        "description": "江陵路路灯不亮",
        "attribute[amount]": "12",
        "attribute[purpose]": "equipment",
    }
    for path in ("/open311/v2/requests.json", "/open311/v2/requests.xml"):
        refused = await requests_app.post(path, data=form, headers={**auth(world.employee()), **FORM})
        _check_errors(refused, 403)

    partner = world.partner(uuid.uuid4())
    created = await requests_app.post("/open311/v2/requests.json", data=form, headers={**auth(partner), **FORM})
    assert created.status_code == 201, created.text
    [receipt] = created.json()
    assert set(receipt) == {"service_request_id", "service_notice", "account_id"}

    as_xml = await requests_app.post("/open311/v2/requests.xml", data=form, headers={**auth(partner), **FORM})
    assert as_xml.status_code == 201
    assert _xml(as_xml).find("request/service_request_id") is not None

    no_location = {key: value for key, value in form.items() if key not in ("lat", "long")}
    _check_errors(
        await requests_app.post("/open311/v2/requests.json", data=no_location, headers={**auth(partner), **FORM}), 400
    )
    bad_answer = {**form, "attribute[amount]": "many"}
    _check_errors(
        await requests_app.post("/open311/v2/requests.xml", data=bad_answer, headers={**auth(partner), **FORM}), 422
    )

    staff_view = (
        await requests_app.get(f"/v1/service-requests/{receipt['service_request_id']}", headers=auth(world.staff()))
    ).json()
    assert staff_view["answers"] == {"amount": 12, "purpose": "equipment"}
    assert staff_view["location"]["lat"] == 30.2084
    assert staff_view["enterprise_id"] is None


async def test_get_requests_by_id_and_by_filters(requests_app: httpx.AsyncClient, world: World) -> None:
    service_type = await create_type(requests_app, world)
    requester = world.employee()
    first = (await submit(requests_app, requester, service_type["id"], description="第一件")).json()
    second = (await submit(requests_app, requester, service_type["id"], description="第二件")).json()
    staff = world.staff()
    await requests_app.post(
        f"/v1/service-requests/{second['id']}/transitions",
        json={"action": "reject", "reason": "重复提交"},
        headers={**auth(staff), "If-Match": '"v1"'},
    )
    who = auth(requester)

    one = (await requests_app.get(f"/open311/v2/requests/{first['id']}.json", headers=who)).json()
    assert len(one) == 1 and set(one[0]) == REQUEST_FIELDS
    assert one[0]["status"] == "open"
    assert one[0]["expected_datetime"].endswith("+08:00")
    root = _xml(await requests_app.get(f"/open311/v2/requests/{second['id']}.xml", headers=who))
    assert root.tag == "service_requests"
    assert root.findtext("request/status") == "closed"
    assert root.findtext("request/status_notes") == "rejected: 重复提交"

    listed = (await requests_app.get("/open311/v2/requests.json", headers=who)).json()
    assert [entry["service_request_id"] for entry in listed] == [second["id"], first["id"]]
    open_only = (await requests_app.get("/open311/v2/requests.json", params={"status": "open"}, headers=who)).json()
    assert [entry["service_request_id"] for entry in open_only] == [first["id"]]
    # service_request_id overrides every other filter
    by_id = await requests_app.get(
        "/open311/v2/requests.json", params={"service_request_id": second["id"], "status": "open"}, headers=who
    )
    assert [entry["service_request_id"] for entry in by_id.json()] == [second["id"]]
    old_window = await requests_app.get(
        "/open311/v2/requests.json",
        params={"start_date": "2020-01-01T00:00:00+08:00", "end_date": "2020-02-01T00:00:00+08:00"},
        headers=who,
    )
    assert old_window.json() == []

    stranger = auth(world.employee(world.other_enterprise_id))
    _check_errors(await requests_app.get(f"/open311/v2/requests/{first['id']}.json", headers=stranger), 404)
    assert (await requests_app.get("/open311/v2/requests.json", headers=stranger)).json() == []
    _check_errors(await requests_app.get("/open311/v2/requests.json", params={"status": "lost"}, headers=who), 400)
    _check_errors(
        await requests_app.get("/open311/v2/requests.xml", params={"start_date": "yesterday"}, headers=who), 400
    )


async def test_anonymous_callers_get_an_open311_error(requests_app: httpx.AsyncClient) -> None:
    _check_errors(await requests_app.get("/open311/v2/services.json"), 401)
    _check_errors(await requests_app.get("/open311/v2/services.xml"), 401)


async def test_partner_routed_services_need_consent_and_partners_read_them_redacted(
    requests_app: httpx.AsyncClient, world: World
) -> None:
    bank_id = uuid.uuid4()
    bank_type = await create_type(requests_app, world, handler={"kind": "bank", "partner_ids": [str(bank_id)]})
    form = {"service_code": bank_type["id"], "address_string": "江陵路 88 号", "attribute[amount]": "12"}
    filer = world.partner(uuid.uuid4())
    # GeoReport v2 has no consent field: a bank/mcn service cannot be filed through Open311
    for path in ("/open311/v2/requests.json", "/open311/v2/requests.xml"):
        _check_errors(await requests_app.post(path, data=form, headers={**auth(filer), **FORM}), 422)

    routed = await submit(
        requests_app,
        world.rep(),
        bank_type["id"],
        description="法人张三 13800000000",
        location={"address": "江陵路 88 号", "lat": 30.2, "lon": 120.2},
        share_consent=True,
    )
    assert routed.status_code == 201, routed.text
    bank = auth(world.partner(bank_id))
    [entry] = (await requests_app.get(f"/open311/v2/requests/{routed.json()['id']}.json", headers=bank)).json()
    assert entry["status"] == "open"
    assert [entry[field] for field in ("description", "address", "lat", "long", "media_url")] == [None] * 5
    [full] = (
        await requests_app.get(f"/open311/v2/requests/{routed.json()['id']}.json", headers=auth(world.staff()))
    ).json()
    assert (full["description"], full["address"]) == ("法人张三 13800000000", "江陵路 88 号")
