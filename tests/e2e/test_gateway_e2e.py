"""The gateway in front of the real services, over loopback HTTP."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from gateway.devkeys import ensure_dev_keys
from gateway.tokens import mint_user_token
from shared.auth import Role, mint_internal_token
from tests.e2e.conftest import E2E_RATE_LIMIT, RunningPlatform
from tests.support.identities import admin, minimal_identity

pytestmark = pytest.mark.e2e

ABOUT = {
    "registry": "/v1/communities/about",
    "service-requests": "/v1/service-types/about",
    "elections": "/v1/elections/about",
    "grid": "/v1/grids/about",
}


async def test_a_token_reaches_every_service_as_the_same_identity(platform: RunningPlatform) -> None:
    who = minimal_identity(Role.employee)
    async with platform.client() as client:
        for service, path in ABOUT.items():
            answer = await client.get(path, headers=platform.auth(who))
            assert answer.status_code == 200, answer.text
            assert answer.json()["service"] == service
            assert answer.json()["subject"] == who.subject
            assert answer.headers["x-request-id"]


async def test_missing_expired_and_foreign_tokens_get_401(platform: RunningPlatform, tmp_path: Path) -> None:
    who = minimal_identity(Role.employee)
    foreign = ensure_dev_keys(tmp_path)  # a key pair the gateway does not trust
    async with platform.client() as client:
        missing = await client.get("/v1/communities/about")
        expired = await client.get(
            "/v1/communities/about",
            headers={"Authorization": "Bearer " + mint_user_token(who, platform.private_key, now=time.time() - 7200)},
        )
        wrongly_signed = await client.get(
            "/v1/communities/about", headers={"Authorization": "Bearer " + mint_user_token(who, foreign.private_key)}
        )
        garbage = await client.get("/v1/communities/about", headers={"Authorization": "Bearer not.a.jwt"})
    assert [missing.status_code, expired.status_code, wrongly_signed.status_code, garbage.status_code] == [401] * 4
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["code"] == "UNAUTHENTICATED"
    assert expired.json()["code"] == "TOKEN_EXPIRED"
    assert wrongly_signed.json()["code"] == "INVALID_TOKEN"


async def test_a_valid_token_with_the_wrong_role_gets_403(platform: RunningPlatform) -> None:
    async with platform.client() as client:
        refused = await client.get("/v1/partners", headers=platform.auth(minimal_identity(Role.community_staff)))
        allowed = await client.get("/v1/partners", headers=platform.auth(admin()))
        # A service's route refuses the role the gateway forwarded (grid staff route, employee caller).
        by_service = await client.post("/v1/grids", json={}, headers=platform.auth(minimal_identity(Role.employee)))
    assert refused.status_code == 403
    assert refused.json()["code"] == "FORBIDDEN"
    assert allowed.status_code == 200
    assert by_service.status_code == 403
    assert by_service.json()["code"] == "FORBIDDEN"


async def test_identity_headers_sent_by_a_client_are_ignored(platform: RunningPlatform) -> None:
    forged = {"X-Platform-Identity": mint_internal_token(admin(), platform.internal_secret)}
    employee = minimal_identity(Role.employee)
    async with platform.client() as client:
        alone = await client.get("/v1/communities/about", headers=forged)
        beside_a_token = await client.get("/v1/communities/about", headers={**forged, **platform.auth(employee)})
        own_route = await client.get("/v1/partners", headers={**forged, **platform.auth(employee)})
    assert alone.status_code == 401
    assert beside_a_token.status_code == 200
    assert beside_a_token.json()["roles"] == ["employee"]
    assert beside_a_token.json()["subject"] == employee.subject
    assert own_route.status_code == 403


async def test_a_service_called_directly_without_the_internal_token_gets_401(platform: RunningPlatform) -> None:
    async with httpx.AsyncClient(base_url=platform.service_url("registry")) as direct:
        without = await direct.get("/v1/communities/about")
        with_user_jwt = await direct.get("/v1/communities/about", headers=platform.auth(admin()))
    assert without.status_code == 401
    assert with_user_jwt.status_code == 401


async def test_internal_paths_are_never_proxied(platform: RunningPlatform) -> None:
    token = platform.token(admin())
    paths = ("/internal/events", "/v1/communities/../../internal/events", "/v1/communities/%2e%2e/internal/events")
    host, port = platform.gateway_url.removeprefix("http://").split(":")
    for path in paths:  # raw request lines: an HTTP client library would normalise the dots away
        reader, writer = await asyncio.open_connection(host, int(port))
        request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
        writer.write(request.encode())
        await writer.drain()
        answer = await reader.read()
        writer.close()
        status_line, _, rest = answer.partition(b"\r\n")
        assert status_line.split()[1] == b"404", (path, answer[:300])
        assert b"application/problem+json" in rest


async def test_partner_key_works_until_revoked(platform: RunningPlatform) -> None:
    headers = platform.auth(admin())
    async with platform.client() as client:
        partner = await client.post(
            "/v1/partners", json={"kind": "bank", "name": "杭州银行", "contact": "ops@bank.example"}, headers=headers
        )
        assert partner.status_code == 201, partner.text
        partner_id = partner.json()["id"]
        issued = await client.post(f"/v1/partners/{partner_id}/api-keys", headers=headers)
        assert issued.status_code == 201
        key = issued.json()["api_key"]
        as_partner = await client.get("/v1/communities/about", headers={"Authorization": f"Bearer {key}"})
        assert as_partner.status_code == 200
        assert as_partner.json()["subject"] == f"partner:{partner_id}"
        assert as_partner.json()["roles"] == ["partner"]

        revoked = await client.delete(f"/v1/partners/{partner_id}/api-keys/{issued.json()['key_id']}", headers=headers)
        assert revoked.status_code == 200
        after = await client.get("/v1/communities/about", headers={"Authorization": f"Bearer {key}"})
        assert after.status_code == 401
        assert after.json()["code"] == "INVALID_API_KEY"
        wrong_secret = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")
        guessed = await client.get("/v1/communities/about", headers={"Authorization": f"Bearer {wrong_secret}"})
        assert guessed.status_code == 401


async def test_too_many_requests_get_429_with_retry_after(platform: RunningPlatform) -> None:
    headers = platform.auth(minimal_identity(Role.employee))
    limit = int(E2E_RATE_LIMIT.split("/")[0])
    async with platform.client() as client:
        answers = await asyncio.gather(*(client.get("/v1/elections/about", headers=headers) for _ in range(limit + 20)))
        other_user = await client.get("/v1/elections/about", headers=platform.auth(minimal_identity(Role.employee)))
    statuses = [answer.status_code for answer in answers]
    assert statuses.count(200) == limit
    assert statuses.count(429) == 20
    limited = next(answer for answer in answers if answer.status_code == 429)
    assert limited.headers["content-type"] == "application/problem+json"
    assert limited.json()["code"] == "RATE_LIMITED"
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert other_user.status_code == 200


async def test_a_body_over_one_mebibyte_gets_413(platform: RunningPlatform) -> None:
    headers = platform.auth(admin())
    two_mebibytes = b"x" * (2 * 1024 * 1024)

    async def chunked() -> AsyncIterator[bytes]:
        for start in range(0, len(two_mebibytes), 64 * 1024):
            yield two_mebibytes[start : start + 64 * 1024]

    async with platform.client() as client:
        declared = await client.post("/v1/service-requests", content=two_mebibytes, headers=headers)
        streamed = await client.post("/v1/service-requests", content=chunked(), headers=headers)
        own_route = await client.post("/v1/partners", content=two_mebibytes, headers=headers)
    for answer in (declared, streamed, own_route):
        assert answer.status_code == 413
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["code"] == "PAYLOAD_TOO_LARGE"


async def test_a_stopped_service_answers_503_at_once_and_comes_back_without_restarting_the_gateway(
    platform: RunningPlatform,
) -> None:
    headers = platform.auth(minimal_identity(Role.employee))
    platform.stop_service("grid")
    try:
        async with platform.client() as client:
            details = []
            for _ in range(5):  # the first three find the port closed, then the open breaker answers
                down = await client.get("/v1/grids/about", headers=headers | {"Accept-Language": "en"})
                assert down.status_code == 503  # never the 504 of waiting out GATEWAY_UPSTREAM_TIMEOUT_SECONDS
                assert down.headers["content-type"] == "application/problem+json"
                assert down.json()["code"] == "UPSTREAM_UNAVAILABLE"
                assert "retry-after" in down.headers
                details.append(down.json()["detail"])
            # GATEWAY_BREAKER_FAILURE_THRESHOLD is 3: the fourth call is refused without trying the port.
            assert details[:4] == ["grid cannot be reached"] * 3 + ["grid is unavailable; retry shortly"], details
            others = await client.get("/v1/elections/about", headers=headers)
            assert others.status_code == 200
            ready = await client.get("/readyz")
            assert ready.status_code == 503
            assert ready.json()["upstreams"]["grid"]["status"] == "unreachable"
            assert ready.json()["upstreams"]["registry"]["status"] == "ok"
    finally:
        platform.start_service("grid")
    async with platform.client() as client:
        deadline = time.monotonic() + 10
        back = await client.get("/v1/grids/about", headers=headers)
        while back.status_code != 200 and time.monotonic() < deadline:
            await asyncio.sleep(0.2)  # the breaker lets a trial through after GATEWAY_BREAKER_OPEN_SECONDS
            back = await client.get("/v1/grids/about", headers=headers)
        assert back.status_code == 200
        assert back.json()["service"] == "grid"
        assert (await client.get("/readyz")).status_code == 200


async def test_merged_openapi_has_every_public_path_and_no_internal_one(platform: RunningPlatform) -> None:
    async with platform.client() as client:
        document = (await client.get("/openapi.json")).json()
    paths = set(document["paths"])
    # one path of each service; the /about echo routes stay reachable but unpublished
    assert {"/v1/communities", "/v1/service-types", "/v1/elections", "/v1/grids"} <= paths
    assert not set(ABOUT.values()) & paths
    assert {"/v1/partners", "/v1/partners/{partner_id}/api-keys", "/v1/auth/me"} <= paths
    assert not [path for path in paths if path.startswith("/internal") or path in ("/healthz", "/readyz", "/metrics")]
    assert set(document["components"]["securitySchemes"]) == {"bearerJWT", "partnerApiKey"}
    assert document["security"] == [{"bearerJWT": []}, {"partnerApiKey": []}]
    assert "Problem" in document["components"]["schemas"]
    assert "x-unavailable-upstreams" not in document


async def test_docs_pages_load_their_assets_from_the_gateway(platform: RunningPlatform) -> None:
    async with platform.client() as client:
        for page in ("/docs", "/redoc"):
            html = await client.get(page)
            assert html.status_code == 200
            assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html.text)
            assert assets, page
            assert all(asset.startswith("/docs/static/") for asset in assets), assets
            assert "/openapi.json" in html.text
            for asset in assets:
                loaded = await client.get(asset)
                assert loaded.status_code == 200 and len(loaded.content) > 1000, asset


async def test_request_id_and_trace_context_reach_the_service(platform: RunningPlatform) -> None:
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    headers = platform.auth(admin()) | {
        "X-Request-ID": "tour-42",
        "traceparent": f"00-{trace_id}-00f067aa0ba902b7-01",
    }
    async with platform.client() as client:
        # A path the registry does not have: its own 404 Problem Details carries the trace it received.
        missing = await client.get("/v1/communities/about/nothing", headers=headers)
        fresh = await client.get("/v1/communities/about")
    assert missing.status_code == 404
    assert missing.json()["trace_id"] == trace_id
    assert missing.headers["x-request-id"] == "tour-42"
    assert len(fresh.headers["x-request-id"]) == 32


async def test_request_bodies_reach_the_service_whole_whether_sized_or_streamed(platform: RunningPlatform) -> None:
    body = json.dumps({"community_id": "not-a-uuid", "name": "北区网格" * 6000, "valid_from": "2024-01-01"}).encode()
    assert 64 * 1024 < len(body) < 1024 * 1024  # above the gateway's buffering threshold: streamed

    async def chunked() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 10_000):
            yield body[start : start + 10_000]

    headers = platform.auth(admin()) | {"Content-Type": "application/json"}
    async with platform.client() as client:
        sized = await client.post("/v1/grids", content=body, headers=headers)
        streamed = await client.post("/v1/grids", content=chunked(), headers=headers)
    for answer in (sized, streamed):
        # The grid service parsed the whole JSON document and found exactly the one bad field.
        assert answer.status_code == 422, answer.text
        pointers = [error.get("pointer") for error in answer.json()["errors"]]
        assert "/community_id" in pointers
