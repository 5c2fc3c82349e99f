"""Open311 GeoReport v2: the documents, formats and errors the specification defines."""

from __future__ import annotations

import datetime as dt
import uuid
import xml.etree.ElementTree as ElementTree

import httpx
import pytest

from shared.auth import Role
from tests.service_requests.conftest import World, create_type, submit
from tests.support.identities import admin, auth, identity

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
        codes = [error.findtext("code") for error in root.findall("error")]
        assert codes and set(codes) == {str(status)}
        assert root.find("error/description") is not None
    else:
        body = response.json()
        assert isinstance(body, list) and body
        assert all(error["code"] == status and error["description"] for error in body)


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


async def test_post_files_for_the_requester_roles_of_the_rest_route_only(
    requests_app: httpx.AsyncClient, world: World
) -> None:
    service_type = await create_type(requests_app, world)
    form = {
        "service_code": service_type["id"],
        "lat": "30.2084",
        "long": "120.2119",
        "description": "江陵路路灯不亮",
        "attribute[amount]": "12",
        "attribute[purpose]": "equipment",
    }
    # no credentials (a missing api_key), and every role `POST /v1/service-requests` refuses
    for path in ("/open311/v2/requests.json", "/open311/v2/requests.xml"):
        _check_errors(await requests_app.post(path, data=form, headers=FORM), 403)
        for caller in (world.partner(uuid.uuid4()), world.staff(), admin()):
            refused = await requests_app.post(path, data=form, headers={**auth(caller), **FORM})
            _check_errors(refused, 403)
            rest = await requests_app.post(
                "/v1/service-requests",
                json={"type_id": service_type["id"], "description": "x", "answers": {"amount": 1}},
                headers=auth(caller),
            )
            assert rest.status_code == 403
    # the same community and type rules as the REST route
    outsider = identity(Role.employee, enterprise_id=uuid.uuid4(), community_ids=[world.other_community_id])
    _check_errors(
        await requests_app.post("/open311/v2/requests.json", data=form, headers={**auth(outsider), **FORM}), 403
    )
    reps_only = await create_type(requests_app, world, requester_roles=["enterprise_rep"])
    _check_errors(
        await requests_app.post(
            "/open311/v2/requests.json",
            data={**form, "service_code": reps_only["id"]},
            headers={**auth(world.employee()), **FORM},
        ),
        403,
    )

    employee = world.employee()
    created = await requests_app.post("/open311/v2/requests.json", data=form, headers={**auth(employee), **FORM})
    assert created.status_code == 201, created.text
    [receipt] = created.json()
    assert set(receipt) == {"service_request_id", "service_notice", "account_id"}

    as_xml = await requests_app.post("/open311/v2/requests.xml", data=form, headers={**auth(world.rep()), **FORM})
    assert as_xml.status_code == 201
    assert _xml(as_xml).find("request/service_request_id") is not None

    no_location = {key: value for key, value in form.items() if key not in ("lat", "long")}
    _check_errors(
        await requests_app.post("/open311/v2/requests.json", data=no_location, headers={**auth(employee), **FORM}), 400
    )
    bad_answer = {**form, "attribute[amount]": "many"}
    refused = await requests_app.post("/open311/v2/requests.json", data=bad_answer, headers={**auth(employee), **FORM})
    _check_errors(refused, 422)
    assert "attribute[amount]: must be a number" in [error["description"] for error in refused.json()]

    staff_view = (
        await requests_app.get(f"/v1/service-requests/{receipt['service_request_id']}", headers=auth(world.staff()))
    ).json()
    assert staff_view["answers"] == {"amount": 12, "purpose": "equipment"}
    assert staff_view["location"]["lat"] == 30.2084
    assert staff_view["enterprise_id"] == str(world.enterprise_id)


@pytest.mark.parametrize(
    ("written", "day"),
    [
        ("1997-07-16", "1997-07-16"),
        ("1997-07-16T19:20+01:00", "1997-07-17"),  # 02:20 on the 17th in Shanghai
        ("1997-07-16T19:20:30+01:00", "1997-07-17"),
        ("1997-07-16T19:20:30.45+01:00", "1997-07-17"),
        ("1997-07-16T19:20:30.45Z", "1997-07-17"),
        ("1997-07-16T10:20:30.45-04:00", "1997-07-16"),
        ("1997-07-16T23:59+08:00", "1997-07-16"),
    ],
)
async def test_datetime_attributes_take_w3c_datetimes(
    requests_app: httpx.AsyncClient, world: World, written: str, day: str
) -> None:
    when = {"code": "visit", "label_zh": "上门时间", "label_en": "Visit", "datatype": "date", "order": 1}
    service_type = await create_type(requests_app, world, form=[when])
    [attribute] = (await requests_app.get(f"/open311/v2/services/{service_type['id']}.json")).json()["attributes"]
    assert attribute["datatype"] == "datetime"
    form = {"service_code": service_type["id"], "address_string": "江陵路 88 号", "attribute[visit]": written}
    created = await requests_app.post("/open311/v2/requests.json", data=form, headers={**auth(world.rep()), **FORM})
    assert created.status_code == 201, created.text
    request_id = created.json()[0]["service_request_id"]
    stored = (await requests_app.get(f"/v1/service-requests/{request_id}", headers=auth(world.staff()))).json()
    assert stored["answers"] == {"visit": day}


@pytest.mark.parametrize(
    "written",
    ["1997", "1997-07", "1997-07-16T19:20", "1997-07-16T19:20:30", "1997-07-16 19:20Z", "1997-02-30", "19970716"],
)
async def test_datetime_attributes_refuse_what_is_not_a_w3c_day(
    requests_app: httpx.AsyncClient, world: World, written: str
) -> None:
    when = {"code": "visit", "label_zh": "上门时间", "label_en": "Visit", "datatype": "date", "order": 1}
    service_type = await create_type(requests_app, world, form=[when])
    form = {"service_code": service_type["id"], "address_string": "江陵路 88 号", "attribute[visit]": written}
    refused = await requests_app.post("/open311/v2/requests.json", data=form, headers={**auth(world.rep()), **FORM})
    _check_errors(refused, 422)


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


async def test_reads_need_no_credentials_and_show_anonymous_callers_the_public_view(
    requests_app: httpx.AsyncClient, world: World
) -> None:
    city_type = await create_type(requests_app, world, category="city", scenario="life_service")
    enterprise_type = await create_type(requests_app, world)
    requester = world.employee()
    city = (await submit(requests_app, requester, city_type["id"], description="张三 13800000000 门口路灯坏了")).json()
    private = (await submit(requests_app, requester, enterprise_type["id"])).json()

    assert (await requests_app.get("/open311/v2/discovery.json")).status_code == 200
    services = await requests_app.get("/open311/v2/services.json", params={"jurisdiction_id": str(world.community_id)})
    assert {entry["service_code"] for entry in services.json()} == {city_type["id"], enterprise_type["id"]}
    assert _xml(await requests_app.get("/open311/v2/services.xml")).tag == "services"
    definition = await requests_app.get(f"/open311/v2/services/{city_type['id']}.xml")
    assert _xml(definition).findtext("service_code") == city_type["id"]

    both = ",".join([city["id"], private["id"]])
    listed = (await requests_app.get("/open311/v2/requests.json", params={"service_request_id": both})).json()
    assert [entry["service_request_id"] for entry in listed] == [city["id"]]  # enterprise services are private
    [entry] = listed
    assert set(entry) == REQUEST_FIELDS
    assert (entry["status"], entry["service_code"]) == ("open", city_type["id"])
    hidden = ("description", "address", "address_id", "lat", "long", "media_url")
    assert [entry[field] for field in hidden] == [None] * len(hidden)
    assert "13800000000" not in (await requests_app.get(f"/open311/v2/requests/{city['id']}.xml")).text
    by_type = await requests_app.get("/open311/v2/requests.json", params={"service_code": city_type["id"]})
    assert [entry["service_request_id"] for entry in by_type.json()] == [city["id"]]
    _check_errors(await requests_app.get(f"/open311/v2/requests/{private['id']}.json"), 404)
    # a token that does not verify is refused, in the specification's format and status
    _check_errors(await requests_app.get("/open311/v2/services.json", headers={"X-Platform-Identity": "forged"}), 403)


async def test_a_query_range_spans_at_most_90_days(requests_app: httpx.AsyncClient, world: World) -> None:
    service_type = await create_type(requests_app, world)
    mine = (await submit(requests_app, world.employee(), service_type["id"])).json()
    who = auth(world.staff())
    url = "/open311/v2/requests.json"

    def window(start: dt.datetime | str | None, end: dt.datetime | None) -> dict[str, str]:
        dates = {"start_date": start, "end_date": end, "service_code": service_type["id"]}
        return {name: value if isinstance(value, str) else value.isoformat() for name, value in dates.items() if value}

    now = dt.datetime.now(dt.UTC)
    for start, end in [(now - dt.timedelta(days=91), now + dt.timedelta(hours=1)), (now, now - dt.timedelta(days=1))]:
        for path in (url, url.replace(".json", ".xml")):
            _check_errors(await requests_app.get(path, params=window(start, end), headers=who), 400)
    exactly_90 = await requests_app.get(
        url, params=window(now - dt.timedelta(days=89), now + dt.timedelta(days=1)), headers=who
    )
    assert [entry["service_request_id"] for entry in exactly_90.json()] == [mine["id"]]
    # one bound alone is the 90 days next to it
    from_long_ago = await requests_app.get(url, params=window(now - dt.timedelta(days=91), None), headers=who)
    assert from_long_ago.status_code == 200 and from_long_ago.json() == []
    until_now = await requests_app.get(url, params=window(None, now + dt.timedelta(hours=1)), headers=who)
    assert [entry["service_request_id"] for entry in until_now.json()] == [mine["id"]]
    w3c = await requests_app.get(url, params=window(now.strftime("%Y-%m-%dT%H:%M") + "Z", None), headers=who)
    assert w3c.status_code == 200


async def test_partner_routed_services_need_consent_and_partners_read_them_redacted(
    requests_app: httpx.AsyncClient, world: World
) -> None:
    bank_id = uuid.uuid4()
    bank_type = await create_type(requests_app, world, handler={"kind": "bank", "partner_ids": [str(bank_id)]})
    form = {"service_code": bank_type["id"], "address_string": "江陵路 88 号", "attribute[amount]": "12"}
    filer = world.rep()
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
