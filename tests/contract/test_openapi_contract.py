"""The merged OpenAPI tells the truth about errors, `If-Match` and what is public (issue 15, 12–17)."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.contract.openapi_document import merged_document, operations
from tests.contract.test_fuzzing import CROSS_FIELD_RULES
from tests.registry.factories import community
from tests.support.identities import admin, auth

PROBLEM_JSON = "application/problem+json"


@pytest.fixture(scope="module")
def document(database_url: str) -> dict[str, Any]:
    return merged_document(database_url)


def test_every_error_is_documented_as_problem_details(document: dict[str, Any]) -> None:
    wrong = []
    for path, method, operation in operations(document):
        responses = operation["responses"]
        expected = {"400", "401", "403", "429", "503"} | ({"422"} if operation.get("parameters") else set())
        if path.startswith("/open311/"):
            expected.discard("401")  # GeoReport v2 answers missing or invalid credentials with 403
            if "401" in responses:
                wrong.append(f"{method} {path}: documents a 401 that Open311 never answers")
        missing = expected - set(responses)
        if missing:
            wrong.append(f"{method} {path}: no {sorted(missing)}")
        for status, response in responses.items():
            if not status.startswith(("4", "5")) or path.startswith("/open311/"):
                continue
            content = response.get("content", {})
            if set(content) != {PROBLEM_JSON}:
                wrong.append(f"{method} {path} {status}: {sorted(content)}")
            elif content[PROBLEM_JSON]["schema"] != {"$ref": "#/components/schemas/Problem"}:
                wrong.append(f"{method} {path} {status}: not the Problem schema")
            elif not response.get("x-problem-codes"):
                wrong.append(f"{method} {path} {status}: its codes are not listed")
    assert wrong == []
    assert "HTTPValidationError" not in document["components"]["schemas"]
    assert "UNKNOWN_QUERY_PARAMETER" in document["paths"]["/v1/enterprises"]["get"]["responses"]["400"]["description"]


def test_a_missing_if_match_that_answers_428_is_documented_as_required(document: dict[str, Any]) -> None:
    optional = [
        f"{method} {path}"
        for path, method, operation in operations(document)
        if "428" in operation["responses"]
        for parameter in operation.get("parameters", [])
        if parameter["name"].lower() == "if-match" and not parameter.get("required")
    ]
    # a comment needs If-Match from partners only, so it stays optional there (and says so)
    assert optional == ["post /v1/service-requests/{request_id}/comments"]
    patch = document["paths"]["/v1/communities/{community_id}"]["patch"]
    assert {"412", "428"} <= set(patch["responses"])


def test_no_internal_remarks_nor_skeleton_routes_are_published(document: dict[str, Any]) -> None:
    assert [path for path in document["paths"] if path.endswith("/about")] == []
    assert re.findall(r".{0,40}\bissues? \d+.{0,20}", json.dumps(document, ensure_ascii=False)) == []


async def test_an_unknown_query_parameter_is_a_400_naming_it(registry_app: httpx.AsyncClient) -> None:
    answer = await registry_app.get("/v1/enterprises", params={"name": "x", "limit": 5}, headers=auth(admin()))
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"] == PROBLEM_JSON
    body = answer.json()
    assert body["code"] == "UNKNOWN_QUERY_PARAMETER"
    assert [item["parameter"] for item in body["errors"]] == ["name"]
    known = await registry_app.get("/v1/enterprises", params={"limit": 5}, headers=auth(admin()))
    assert known.status_code == 200, known.text


async def test_an_express_route_refuses_unknown_query_parameters_too(elections_app: httpx.AsyncClient) -> None:
    answer = await elections_app.post(
        f"/v1/elections/{uuid.uuid4()}/ballots", params={"dry_run": "1"}, json={}, headers=auth(admin())
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["errors"][0]["parameter"] == "dry_run"


async def test_open311_accepts_the_standards_common_parameters(requests_app: httpx.AsyncClient) -> None:
    params = {"jurisdiction_id": str(uuid.uuid4()), "api_key": "ignored-here"}
    services = await requests_app.get("/open311/v2/services.json", params=params, headers=auth(admin()))
    assert services.status_code == 200, services.text
    requests = await requests_app.get("/open311/v2/requests.json", params=params, headers=auth(admin()))
    assert requests.status_code == 200, requests.text
    typo = await requests_app.get("/open311/v2/requests.json", params={"statuz": "open"}, headers=auth(admin()))
    assert typo.status_code == 400
    assert typo.json()[0]["code"] == 400  # the GeoReport v2 error array, not Problem Details


@pytest.mark.parametrize("value", [0, "0", 1700000000, "1700000000", "2026-01-01T00:00:00Z", "20260101", True])
async def test_dates_are_strict_iso_strings(registry_app: httpx.AsyncClient, value: object) -> None:
    answer = await registry_app.post(
        "/v1/communities",
        json={
            "code": f"ISO-{uuid.uuid4().hex[:6].upper()}",
            "name_zh": "日期社区",
            "name_en": "Dates",
            "type": "business_building",
            "street": "长河街道",
            "established_on": value,
        },
        headers=auth(admin()),
    )
    assert answer.status_code == 422, answer.text
    [item] = answer.json()["errors"]
    assert item["pointer"] == "/established_on"
    assert set(item) == {"detail", "code", "pointer"}  # nothing of the input comes back


async def test_iso_dates_and_datetimes_are_still_accepted(registry_app: httpx.AsyncClient) -> None:
    created = await community(registry_app, established_on="2021-01-15")
    assert created["established_on"] == "2021-01-15"
    as_of = await registry_app.get(
        f"/v1/communities/{created['id']}/stats", params={"as_of": "0"}, headers=auth(admin())
    )
    assert as_of.status_code == 422, as_of.text
    assert as_of.json()["errors"][0]["parameter"] == "as_of"


async def test_405_names_every_method_of_the_path(registry_app: httpx.AsyncClient) -> None:
    answer = await registry_app.delete("/v1/enterprises", headers=auth(admin()))
    assert answer.status_code == 405
    assert {method.strip() for method in answer.headers["allow"].split(",")} >= {"GET", "POST"}


async def test_an_undeclared_method_on_a_fixed_path_is_405_not_its_siblings(grid_app: httpx.AsyncClient) -> None:
    # PATCH /v1/grids/{grid_id} used to take it, answering 422 for a grid id "unassigned-buildings"
    answer = await grid_app.patch("/v1/grids/unassigned-buildings", json={}, headers=auth(admin()))
    assert answer.status_code == 405, answer.text
    assert answer.headers["content-type"] == PROBLEM_JSON
    assert answer.headers["allow"] == "GET, HEAD"


async def test_a_boolean_is_not_a_coordinate(grid_app: httpx.AsyncClient) -> None:
    body = {"community_id": str(uuid.uuid4()), "kind": "life", "name": "卫生服务站", "lat": 30.2, "lon": False}
    answer = await grid_app.post("/v1/facilities", json=body, headers=auth(admin()))
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["pointer"] == "/lon"


def test_the_fuzzing_gate_knows_every_cross_field_rule() -> None:
    """A validator's code missing from the gate's list would read as valid data refused."""
    root = Path(__file__).resolve().parents[2]
    raised = set()
    for path in (root / "services").rglob("*.py"):
        raised |= set(re.findall(r'invalid\(\s*"([a-z_]+)"', path.read_text(encoding="utf-8")))
    assert {code.upper() for code in raised} == CROSS_FIELD_RULES
