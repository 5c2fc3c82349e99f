"""U+0000 in a query parameter or a body string is a 422 naming the field in every service, never a 500."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.support.identities import admin, auth

ADMIN = auth(admin())
MARKER = "secret-marker"  # must never come back in an answer
COMMUNITY = {
    "code": "NUL-TEST",
    "name_zh": "\x00" + MARKER,
    "name_en": "Nul test",
    "type": "business_building",
    "street": "长河街道",
    "governance_bodies": [{"kind": "party_branch", "name": MARKER + "\x00"}],
}
SERVICE_TYPE = {
    "community_id": str(uuid.uuid4()),
    "code": "nul-test",
    "name_zh": "融资咨询",
    "name_en": "Financing\x00" + MARKER,
    "category": "enterprise",
    "scenario": "enterprise_service",
    "requester_roles": ["enterprise_rep"],
    "deadlines": {"respond_within_days": 1, "resolve_within_days": 5},
}

# (app fixture, method, path, keyword arguments of the request, what `errors[]` names)
CASES: list[tuple[str, str, str, dict[str, Any], list[dict[str, str]]]] = [
    ("registry_app", "GET", "/v1/enterprises?q=%00abc", {}, [{"parameter": "q"}]),
    ("registry_app", "GET", f"/v1/communities?street={MARKER}%00", {}, [{"parameter": "street"}]),
    (
        "registry_app",
        "POST",
        "/v1/communities",
        {"json": COMMUNITY},
        [{"pointer": "/governance_bodies/0/name"}, {"pointer": "/name_zh"}],
    ),
    ("requests_app", "GET", f"/open311/v2/requests.json?service_code=%00{MARKER}", {}, [{"parameter": "service_code"}]),
    ("requests_app", "POST", "/v1/service-types", {"json": SERVICE_TYPE}, [{"pointer": "/name_en"}]),
    (
        "requests_app",
        "POST",
        "/open311/v2/requests.json",
        {"data": {"service_code": "x", "description": MARKER + "\x00"}},
        [{"pointer": "/description"}],
    ),
    (
        "elections_app",
        "POST",
        "/v1/elections",
        {"json": {"community_id": str(uuid.uuid4()), "title": "\x00", "record_date": "2026-12-01", "rules": {}}},
        [{"pointer": "/title"}],
    ),
    (
        "grid_app",
        "POST",
        "/v1/grids",
        {"json": {"community_id": str(uuid.uuid4()), "name": MARKER + "\x00", "valid_from": "2026-01-01"}},
        [{"pointer": "/name"}],
    ),
    ("grid_app", "GET", f"/v1/grids?community_id={uuid.uuid4()}&name=%00{MARKER}", {}, [{"parameter": "name"}]),
]


@pytest.fixture
def client(request: pytest.FixtureRequest) -> httpx.AsyncClient:
    """The in-process service the case names (a synchronous fixture: set up outside the event loop)."""
    service: httpx.AsyncClient = request.getfixturevalue(request.param)
    return service


@pytest.mark.parametrize(
    ("client", "method", "path", "send", "named"),
    CASES,
    ids=[f"{case[0]}-{case[1]}-{case[2][:40]}" for case in CASES],
    indirect=["client"],
)
async def test_a_nul_character_is_a_422_naming_the_field(
    client: httpx.AsyncClient, method: str, path: str, send: dict[str, Any], named: list[dict[str, str]]
) -> None:
    response = await client.request(method, path, headers=ADMIN | {"Accept-Language": "en"}, **send)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "VALIDATION_FAILED"
    assert [{key: item[key] for key in ("parameter", "pointer") if key in item} for item in problem["errors"]] == named
    assert {item["code"] for item in problem["errors"]} == {"NUL_CHARACTER"}
    echoed = response.text.replace(problem.get("trace_id", ""), "")  # a random hex id may spell "abc"
    assert MARKER not in echoed and "abc" not in echoed and "\\u0000" not in echoed


async def test_a_nul_character_in_the_path_is_a_404(requests_app: httpx.AsyncClient) -> None:
    response = await requests_app.get(f"/open311/v2/services/%00{MARKER}.json", headers=ADMIN)
    assert response.status_code == 404, response.text
    assert response.headers["content-type"] == "application/problem+json" and MARKER not in response.text


async def test_an_escaped_backslash_before_u0000_is_no_nul(registry_app: httpx.AsyncClient) -> None:
    """`"\\\\u0000"` in JSON is a backslash and five characters: stored as sent, not refused."""
    body = COMMUNITY | {"name_zh": "星光\\u0000", "governance_bodies": []}
    created = await registry_app.post("/v1/communities", json=body, headers=ADMIN)
    assert created.status_code == 201, created.text
    assert created.json()["name_zh"] == "星光\\u0000"
