"""Route table, breaker, OpenAPI merge, CORS, CLI: the gateway's parts, each as a user meets it."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gateway.app import create_app
from gateway.breaker import CircuitBreaker
from gateway.devkeys import DevKeys
from gateway.openapi import merge_documents
from gateway.proxy import Replica, Upstream, UpstreamUnavailable
from gateway.routing import (
    AUTHENTICATED_OWN_PREFIXES,
    OWN_PATHS,
    PUBLIC_OWN_PATHS,
    UPSTREAM_PREFIXES,
    signed_file_path,
    upstream_for,
)
from gateway.settings import Settings
from gateway.tokens import mint_user_token
from shared.auth import Role
from tests.gateway.conftest import InProcessGateway
from tests.support.database import row_count
from tests.support.harness import FACTORIES, PlatformProcess, platform_env
from tests.support.identities import TEST_SECRET, admin, minimal_identity

ARCHITECTURE = Path(__file__).resolve().parents[2] / "docs" / "architecture.md"


def test_the_route_table_is_exactly_the_documented_one() -> None:
    documented = re.findall(r"^\| `(/[^`]+)` \| ([a-z-]+) \|$", ARCHITECTURE.read_text(encoding="utf-8"), flags=re.M)
    routed = {(prefix, owner) for owner, prefixes in UPSTREAM_PREFIXES.items() for prefix in prefixes}
    own = {(prefix, "gateway") for prefix in AUTHENTICATED_OWN_PREFIXES if prefix != "/v1/auth"}
    assert set(documented) == routed | own
    for prefix, owner in routed:
        assert upstream_for(prefix + "/x") == owner, prefix
    assert upstream_for("/v1/communities") == "registry"


# The gateway's page in this repository is the documented route table (nothing outside it is read).
GATEWAY_DOCS = Path(__file__).resolve().parents[2] / "docs" / "gateway.md"


def test_every_public_prefix_of_the_docs_routes_to_its_owner() -> None:
    table = re.findall(r"^\| (`/[^|]+) \| ([a-z -]+) \|$", GATEWAY_DOCS.read_text(), flags=re.M)
    documented = {prefix: owner for prefixes, owner in table for prefix in re.findall(r"`([^`]+)`", prefixes)}
    routed = {prefix: owner for owner, prefixes in UPSTREAM_PREFIXES.items() for prefix in prefixes}
    own = {prefix for prefix, owner in documented.items() if owner == "the gateway"}
    assert {prefix: owner for prefix, owner in documented.items() if owner != "the gateway"} == routed
    assert own == set(AUTHENTICATED_OWN_PREFIXES) | PUBLIC_OWN_PATHS | OWN_PATHS
    for prefix, owner in routed.items():
        assert upstream_for(prefix + "/x") == owner, prefix
    for prefix in own - OWN_PATHS:
        assert upstream_for(prefix + "/x") is None, prefix
    for path in OWN_PATHS:  # exact paths inside an upstream's prefix
        assert upstream_for(path) is None, path
    assert upstream_for("/v1/communities-extra") is None
    assert upstream_for("/internal/events") is None


def test_replicas_of_one_upstream_are_used_in_turn_and_an_open_breaker_is_passed_over() -> None:
    settings = Settings(environment="test", upstreams={"grid": "http://10.0.0.1:1, http://10.0.0.2:1/"})
    assert settings.upstream_urls() == {"grid": ["http://10.0.0.1:1", "http://10.0.0.2:1/"]}
    first, second = (Replica(url, CircuitBreaker(url, 1, 30.0)) for url in settings.upstream_urls()["grid"])
    grid = Upstream("grid", [first, second])
    # always the first replica (no turn taken) breaks this
    assert [grid.pick() for _ in range(4)] == [first, second, first, second]
    first.breaker.record_failure()  # one replica down: the other takes every request
    assert [grid.pick() for _ in range(3)] == [second, second, second]
    second.breaker.record_failure()  # both down: 503 at once, with when to retry
    with pytest.raises(UpstreamUnavailable) as refused:
        grid.pick()
    assert int(refused.value.headers["Retry-After"]) >= 29


def test_breaker_opens_after_failures_and_lets_one_trial_through() -> None:
    recovered: list[bool] = []
    breaker = CircuitBreaker("test", failure_threshold=2, open_seconds=0.0, on_recovered=lambda: recovered.append(True))
    breaker.record_failure()
    assert breaker.allow()
    breaker.record_failure()
    assert str(breaker.state) == "open"
    assert breaker.allow()  # open_seconds elapsed: one trial
    assert str(breaker.state) == "half_open"
    assert not breaker.allow()  # only one trial at a time
    breaker.record_success()
    assert str(breaker.state) == "closed" and recovered == [True]

    slow = CircuitBreaker("slow", failure_threshold=1, open_seconds=60)
    slow.record_failure()
    assert not slow.allow() and slow.retry_after() > 1


def test_merge_renames_conflicting_components_and_drops_non_public_paths() -> None:
    def document(page_fields: list[str], paths: dict[str, object]) -> dict[str, object]:
        return {
            "openapi": "3.1.0",
            "paths": paths,
            "components": {
                "schemas": {
                    "Problem": {"type": "object"},
                    "Page": {"type": "object", "properties": {name: {"type": "string"} for name in page_fields}},
                }
            },
        }

    ref = {
        "get": {
            "responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Page"}}}}}
        }
    }
    registry = document(["a"], {"/v1/communities/{id}": ref, "/internal/events": ref, "/healthz": ref})
    grid = document(["b"], {"/v1/grids": ref, "/readyz": ref})
    merged = merge_documents({"openapi": "3.1.0", "paths": {}}, {"registry": registry, "grid": grid}, unavailable=[])
    assert set(merged["paths"]) == {"/v1/communities/{id}", "/v1/grids"}
    schemas = merged["components"]["schemas"]
    assert set(schemas) == {"Problem", "Page", "GridPage"}
    grid_ref = merged["paths"]["/v1/grids"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert grid_ref == {"$ref": "#/components/schemas/GridPage"}
    assert "b" in schemas["GridPage"]["properties"] and "a" in schemas["Page"]["properties"]


async def test_a_dead_upstream_answers_503_problem_details_at_once(gateway: InProcessGateway) -> None:
    headers = gateway.auth(minimal_identity(Role.employee))
    codes = []
    for _ in range(4):
        answer = await gateway.client.get("/v1/elections/about", headers=headers)
        assert answer.status_code == 503
        assert answer.headers["content-type"] == "application/problem+json"
        codes.append(answer.json()["code"])
    assert set(codes) == {"UPSTREAM_UNAVAILABLE"}
    metrics = await gateway.client.get("/metrics")
    assert 'gateway_circuit_open{upstream="elections"} 1.0' in metrics.text


async def test_openapi_names_the_upstreams_it_could_not_reach(gateway: InProcessGateway) -> None:
    answer = await gateway.client.get("/openapi.json")
    assert answer.status_code == 503 and answer.headers["retry-after"]
    assert {"elections", "grid", "service-requests"} <= set(answer.json()["unavailable_upstreams"])
    ready = await gateway.client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["database"] == "ok"


async def test_anonymous_and_unknown_paths(gateway: InProcessGateway) -> None:
    anonymous = await gateway.client.get("/v1/grids")
    assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"].startswith("Bearer")
    unknown = await gateway.client.get("/v1/nothing-here", headers=gateway.auth(minimal_identity(Role.employee)))
    assert unknown.status_code == 404 and unknown.json()["code"] == "ROUTE_NOT_FOUND"
    english = await gateway.client.get("/v1/grids", headers={"Accept-Language": "en"})
    assert english.json()["title"] == "Authentication required"
    service_role = await gateway.client.get("/v1/grids", headers=gateway.auth(minimal_identity(Role.service)))
    assert service_role.status_code == 401  # a user token may not claim to be a platform service


async def test_cors_preflight_is_answered_for_configured_origins(database_url: str, gateway_keys: object) -> None:
    settings = Settings(database_url=database_url, environment="test", cors_origins=["https://app.binjiang.example"])
    app = create_app(settings)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client:
            allowed = await client.options(
                "/v1/grids",
                headers={"Origin": "https://app.binjiang.example", "Access-Control-Request-Method": "GET"},
            )
            other = await client.options(
                "/v1/grids", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}
            )
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://app.binjiang.example"
    assert "access-control-allow-origin" not in other.headers


def test_cli_mints_tokens_only_in_development(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "gateway.cli", "token", "--role", "platform_admin", "--key-dir", str(tmp_path)]
    minted = subprocess.run(command, capture_output=True, text=True, env={"PLATFORM_ENV": "development", "PATH": ""})
    assert minted.returncode == 0, minted.stderr
    assert minted.stdout.count(".") == 2
    refused = subprocess.run(
        command,
        capture_output=True,
        text=True,
        env={"PLATFORM_ENV": "production", "PLATFORM_INTERNAL_SECRET": "p" * 40, "PATH": ""},
    )
    assert refused.returncode == 2 and "refused" in refused.stderr


@pytest.mark.parametrize("command", [["--help"], ["partner", "--help"], ["key", "--help"]])
def test_cli_explains_itself(command: list[str]) -> None:
    answer = subprocess.run([sys.executable, "-m", "gateway.cli", *command], capture_output=True, text=True)
    assert answer.returncode == 0 and "Usage" in answer.stdout


def test_cli_manages_partners_and_keys(database_url: str, tmp_path: Path) -> None:
    env = {"DATABASE_URL": database_url, "PLATFORM_ENV": "test", "PATH": ""}

    def cli(*arguments: str) -> dict[str, object]:
        done = subprocess.run(
            [sys.executable, "-m", "gateway.cli", *arguments], capture_output=True, text=True, env=env, timeout=60
        )
        assert done.returncode == 0, done.stderr
        answer: dict[str, object] = json.loads(done.stdout)
        return answer

    partner = cli("partner", "create", "--kind", "mcn", "--name", "星光直播", "--contact", "13800000000")
    key = cli("key", "create", str(partner["id"]))
    assert str(key["api_key"]).startswith(f"bjp_{key['key_id']}_")
    revoked = cli("key", "revoke", str(partner["id"]), str(key["key_id"]))
    assert revoked["revoked_at"] is not None
    again = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "key", "revoke", str(partner["id"]), str(key["key_id"])],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert again.returncode == 1 and "API_KEY_NOT_FOUND" in again.stderr

    public_key = tmp_path / "bank.pem"
    public_key.write_bytes(
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    signing = cli(
        "partner", "signing-key", str(partner["id"]), "--key-id", "xg-live-1", "--public-key", str(public_key)
    )
    assert signing["signing_key"] == {"key_id": "xg-live-1", "required": True}


async def test_openapi_picks_up_an_upstream_that_comes_up_later(gateway: InProcessGateway, database_url: str) -> None:
    before = (await gateway.client.get("/openapi.json")).json()
    assert "registry" in before["unavailable_upstreams"]
    port = int(gateway.settings.upstreams["registry"].rsplit(":", 1)[1])
    env = platform_env(database_url, secret=TEST_SECRET, public_key=gateway.keys.public_key)
    registry = PlatformProcess("registry", FACTORIES["registry"], env, port=port)
    await asyncio.to_thread(registry.start)
    try:
        after = (await gateway.client.get("/openapi.json")).json()
    finally:
        await asyncio.to_thread(registry.stop)
    # The other upstreams of this gateway stay down, so the document is still incomplete (503).
    assert "registry" not in after["unavailable_upstreams"] and after["unavailable_upstreams"]


async def test_the_gateway_expires_its_idempotency_keys_like_a_service(
    database_url: str, gateway_keys: DevKeys
) -> None:
    settings = Settings(
        database_url=database_url,
        environment="test",
        internal_token_secret=TEST_SECRET,
        jwt_public_key_file=gateway_keys.public_key,
        idempotency_purge_seconds=0.05,
        idempotency_retention_hours=0,
    )
    headers = {
        "Authorization": "Bearer " + mint_user_token(admin(), gateway_keys.private_key),
        "Idempotency-Key": "partner-once",
    }
    body = {"kind": "mcn", "name": "过期测试机构", "contact": "ops@mcn.example"}
    async with LifespanManager(create_app(settings)) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client:
            first = await client.post("/v1/partners", json=body, headers=headers)
            for _ in range(100):
                if not await row_count(database_url, "gateway.idempotency_key"):
                    break
                await asyncio.sleep(0.05)
            again = await client.post("/v1/partners", json=body, headers=headers)
    assert first.status_code == 201
    # the key was forgotten, so the retry ran again and met the unique name instead of a replay
    assert again.status_code == 409 and again.json()["code"] == "PARTNER_NAME_TAKEN"


def test_only_the_signed_file_links_skip_credentials_and_the_body_limit() -> None:
    for path in (
        "/v1/grid-files/uploads/abc.def",
        "/v1/grid-files/downloads/abc.def",
        "/v1/request-files/uploads/abc.def",
        "/v1/request-files/downloads/abc.def",
    ):
        assert signed_file_path(path), path
    for path in (
        "/v1/grid-files/uploads/abc/def",  # one token segment, nothing under it
        "/v1/grid-files/uploads/",
        "/v1/grid-files/other/abc",
        "/v1/hazards/uploads/abc",
        "/v1/grid-filesx/uploads/abc",
        "/v1/grid-files",
    ):
        assert not signed_file_path(path), path
    assert upstream_for("/v1/grid-files/uploads/abc") == "grid"
    assert upstream_for("/v1/request-files/downloads/abc") == "service-requests"
