"""U+0000 in the gateway: its own routes and the proxied query answer 422 naming the field, never 500."""

from __future__ import annotations

from tests.gateway.conftest import InProcessGateway
from tests.support.identities import admin

MARKER = "secret-marker"


def _assert_names(response_text: str, status: int, problem: dict[str, object], named: list[dict[str, str]]) -> None:
    assert status == 422, response_text
    assert problem["code"] == "VALIDATION_FAILED"
    errors = problem["errors"]
    assert isinstance(errors, list)
    assert [{key: item[key] for key in ("parameter", "pointer") if key in item} for item in errors] == named
    assert MARKER not in response_text and "abc" not in response_text


async def test_a_nul_in_a_body_of_the_gateway_s_own_route(gateway: InProcessGateway) -> None:
    body = {"kind": "bank", "name": MARKER + "\x00", "contact": "ops@bank.example"}
    response = await gateway.client.post("/v1/partners", json=body, headers=gateway.auth(admin()))
    assert response.headers["content-type"] == "application/problem+json"
    _assert_names(response.text, response.status_code, response.json(), [{"pointer": "/name"}])


async def test_a_nul_in_a_query_of_the_gateway_s_own_route(gateway: InProcessGateway) -> None:
    response = await gateway.client.get(f"/v1/partners?cursor=%00{MARKER}", headers=gateway.auth(admin()))
    _assert_names(response.text, response.status_code, response.json(), [{"parameter": "cursor"}])


async def test_a_nul_in_a_proxied_query_is_refused_before_the_upstream(gateway: InProcessGateway) -> None:
    """The upstreams of this gateway are closed ports: a 422 shows the gateway answered itself."""
    response = await gateway.client.get("/v1/enterprises?q=%00abc", headers=gateway.auth(admin()))
    _assert_names(response.text, response.status_code, response.json(), [{"parameter": "q"}])


async def test_an_open311_key_holding_a_nul_is_an_invalid_key_in_open311_form(gateway: InProcessGateway) -> None:
    """Under /open311 the NUL is refused before any key lookup, as the GeoReport error array."""
    response = await gateway.client.get(f"/open311/v2/requests.json?api_key=bjp_0123456789abcde%00_{MARKER}{MARKER}")
    assert response.status_code == 422, response.text
    assert [item["code"] for item in response.json()] == [422]
    assert MARKER not in response.text


async def test_an_open311_form_key_holding_a_nul_is_an_invalid_key(gateway: InProcessGateway) -> None:
    form = {"api_key": f"bjp_0123456789abcde\x00_{MARKER}{MARKER}", "service_code": "x"}
    response = await gateway.client.post("/open311/v2/requests.json", data=form)
    assert response.status_code == 403, response.text  # GeoReport v2 has no 401
    assert [item["code"] for item in response.json()] == [403]
