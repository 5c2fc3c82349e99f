"""Staff single sign-on: the OIDC code flow with PKCE against the local provider (a real process).

start -> the provider's authorization endpoint (the test picks the user with `login_hint`, as the
fake allows) -> callback -> a token pair whose `sub` is the account of (issuer, subject).
"""

from __future__ import annotations

import asyncio
import contextlib
import urllib.parse
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg
import httpx
import jwt
import pytest
from asgi_lifespan import LifespanManager

from bench.harness import free_port
from identity.app import create_app
from identity.settings import FAKE_OIDC_CLIENT_SECRET, Settings
from identity.sso.schemas import OidcCallbackRequest
from tests.identity.conftest import identity_settings
from tests.support.database import asyncpg_dsn
from tests.support.fakes import FakeServer, start_fake, stop_fake

REDIRECT = "https://staff.example.test/sso/callback"
OTHER_REDIRECT = "app.binjiang.staff:/sso"  # a native app's private-use scheme (RFC 8252)


@pytest.fixture(scope="module")
def provider() -> Iterator[FakeServer]:
    server = start_fake("fake_oidc")
    try:
        yield server
    finally:
        stop_fake(server)


@pytest.fixture
def oidc(provider: FakeServer) -> FakeServer:
    provider.reset()
    return provider


@contextlib.asynccontextmanager
async def sso_client(database_url: str, issuer: str, **overrides: object) -> AsyncIterator[httpx.AsyncClient]:
    """The identity app configured for the provider at `issuer`, in-process."""
    settings = identity_settings(
        database_url, oidc_issuer=issuer, oidc_redirect_uris=[REDIRECT, OTHER_REDIRECT], **overrides
    )
    app = create_app(settings)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://identity.test") as client:
            yield client


@pytest.fixture(scope="module")
async def client(provider: FakeServer, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with sso_client(database_url, provider.url) as client:
        yield client


@pytest.fixture
async def browser() -> AsyncIterator[httpx.AsyncClient]:
    """What the staff member's browser does at the provider (redirects are read, not followed)."""
    async with httpx.AsyncClient(timeout=10.0, follow_redirects=False) as http:
        yield http


async def start(client: httpx.AsyncClient, redirect_uri: str = REDIRECT) -> dict[str, Any]:
    answer = await client.post("/v1/auth/oidc/start", json={"redirect_uri": redirect_uri})
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    body: dict[str, Any] = answer.json()
    return body


async def sign_in_at_provider(browser: httpx.AsyncClient, started: dict[str, Any], subject: str) -> dict[str, str]:
    """Follow the authorization URL as `subject`; the provider's redirect back, parsed."""
    url = started["authorization_url"] + "&" + urllib.parse.urlencode({"login_hint": subject})
    answer = await browser.get(url)
    assert answer.status_code == 302, answer.text
    location = answer.headers["location"]
    query = {key: values[0] for key, values in urllib.parse.parse_qs(urllib.parse.urlsplit(location).query).items()}
    assert "error" not in query, query
    assert query["state"] == started["state"]  # the client checks the state is its own
    return query


async def code_for(client: httpx.AsyncClient, browser: httpx.AsyncClient, subject: str) -> dict[str, str]:
    started = await start(client)
    returned = await sign_in_at_provider(browser, started, subject)
    return {"state": returned["state"], "code": returned["code"]}


async def set_user(oidc: FakeServer, subject: str, name: str) -> None:
    async with httpx.AsyncClient() as http:
        (await http.post(oidc.url + "/_fake/users", json={"subject": subject, "name": name})).raise_for_status()


async def spoil_next_id_token(oidc: FakeServer, defect: str) -> None:
    async with httpx.AsyncClient() as http:
        (await http.post(oidc.url + "/_fake/next-id-token", json={"defect": defect})).raise_for_status()


async def provider_stats(oidc: FakeServer) -> dict[str, int]:
    async with httpx.AsyncClient() as http:
        stats: dict[str, int] = (await http.get(oidc.url + "/_fake/stats")).json()
    return stats


def claims_of(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


async def fetch(database_url: str, query: str, *args: object) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        rows: list[asyncpg.Record] = await connection.fetch(query, *args)
    finally:
        await connection.close()
    return rows


async def test_a_staff_member_signs_in_and_the_same_subject_is_the_same_account_next_time(
    client: httpx.AsyncClient,
    browser: httpx.AsyncClient,
    oidc: FakeServer,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await set_user(oidc, "staff-0001", "王科长")
    started = await start(client)
    assert set(started) == {"authorization_url", "state", "expires_in"} and started["expires_in"] == 600
    authorization = urllib.parse.urlsplit(started["authorization_url"])
    params = dict(urllib.parse.parse_qsl(authorization.query))
    assert authorization.geturl().startswith(oidc.url + "/authorize")
    assert params["code_challenge_method"] == "S256" and params["redirect_uri"] == REDIRECT
    assert params["state"] == started["state"] and len(params["nonce"]) == 43
    returned = await sign_in_at_provider(browser, started, "staff-0001")
    assert returned["iss"] == oidc.url

    first = await client.post("/v1/auth/oidc/callback", json={"state": started["state"], "code": returned["code"]})
    assert first.status_code == 200, first.text
    assert first.headers["cache-control"] == "no-store"
    pair = first.json()
    claims = claims_of(pair["access_token"])
    account_id = claims["sub"]
    assert claims["roles"] == ["account"]  # a new staff account holds no grant until one is given
    assert claims["name"] == "王科长"

    linked = await fetch(database_url, "SELECT issuer, subject, account_id FROM identity.oidc_identity")
    assert [(row["issuer"], row["subject"], str(row["account_id"])) for row in linked] == [
        (oidc.url, "staff-0001", account_id)
    ]
    sessions = await fetch(
        database_url, "SELECT method FROM identity.session WHERE id = $1", uuid.UUID(pair["session_id"])
    )
    assert [row["method"] for row in sessions] == ["oidc"]

    again = await client.post("/v1/auth/oidc/callback", json=await code_for(client, browser, "staff-0001"))
    assert again.status_code == 200, again.text
    assert claims_of(again.json()["access_token"])["sub"] == account_id
    assert again.json()["session_id"] != pair["session_id"]
    # another subject of the same provider is another account
    other = await client.post("/v1/auth/oidc/callback", json=await code_for(client, browser, "staff-0002"))
    assert claims_of(other.json()["access_token"])["sub"] != account_id
    # the refresh token of a single sign-on session works like any other
    refreshed = await client.post("/v1/auth/token", json={"refresh_token": pair["refresh_token"]})
    assert refreshed.status_code == 200

    audit = await fetch(database_url, "SELECT action, detail::text AS detail FROM identity.audit_record ORDER BY at")
    actions = [row["action"] for row in audit]
    assert actions.count("login") == 3 and actions.count("account_created") == 2
    stored = await fetch(database_url, "SELECT state_sha256, nonce FROM identity.oidc_login")
    assert started["state"].encode() not in [bytes(row["state_sha256"]) for row in stored]
    written = " ".join(row["detail"] for row in audit) + caplog.text + capsys.readouterr().out
    for secret in (started["state"], returned["code"], pair["access_token"], pair["refresh_token"], params["nonce"]):
        assert secret not in written
    shown = repr(OidcCallbackRequest(state=started["state"], code=returned["code"]))
    assert started["state"] not in shown and returned["code"] not in shown


async def test_a_used_unknown_or_expired_state_is_refused(
    client: httpx.AsyncClient, browser: httpx.AsyncClient, oidc: FakeServer, database_url: str
) -> None:
    body = await code_for(client, browser, "staff-replay")
    assert (await client.post("/v1/auth/oidc/callback", json=body)).status_code == 200
    replayed = await client.post("/v1/auth/oidc/callback", json=body, headers={"Accept-Language": "en"})
    assert replayed.status_code == 400 and replayed.json()["code"] == "OIDC_STATE_INVALID"
    assert body["code"] not in replayed.text and body["state"] not in replayed.text

    unknown = await client.post("/v1/auth/oidc/callback", json={"state": "A" * 43, "code": "whatever"})
    assert unknown.status_code == 400 and unknown.json()["code"] == "OIDC_STATE_INVALID"

    late = await code_for(client, browser, "staff-late")
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        await connection.execute(
            "UPDATE identity.oidc_login SET created_at = now() - interval '11 minutes',"
            " expires_at = now() - interval '1 minute' WHERE consumed_at IS NULL"
        )
    finally:
        await connection.close()
    expired = await client.post("/v1/auth/oidc/callback", json=late)
    assert expired.status_code == 400 and expired.json()["code"] == "OIDC_STATE_INVALID"
    assert (await provider_stats(oidc))["token"] == 1  # neither the replay nor the late one reached the provider

    failed = await fetch(
        database_url, "SELECT detail->>'reason' AS reason FROM identity.audit_record WHERE action = 'login_failed'"
    )
    assert [row["reason"] for row in failed] == ["OIDC_STATE_INVALID"] * 3


async def test_two_concurrent_callbacks_with_one_state_exactly_one_succeeds(
    client: httpx.AsyncClient, browser: httpx.AsyncClient, oidc: FakeServer, database_url: str
) -> None:
    for attempt in range(5):
        body = await code_for(client, browser, f"staff-race-{attempt}")
        answers = await asyncio.gather(*(client.post("/v1/auth/oidc/callback", json=body) for _ in range(2)))
        assert sorted(answer.status_code for answer in answers) == [200, 400], [answer.text for answer in answers]
        loser = next(answer for answer in answers if answer.status_code == 400)
        # the database refused the second claim: the provider saw the code once
        assert loser.json()["code"] == "OIDC_STATE_INVALID"
    assert (await provider_stats(oidc))["token"] == 5
    sessions = await fetch(database_url, "SELECT count(*) AS n FROM identity.session WHERE method = 'oidc'")
    assert sessions[0]["n"] == 5


async def test_two_concurrent_first_sign_ins_of_one_subject_make_one_account(
    client: httpx.AsyncClient, browser: httpx.AsyncClient, oidc: FakeServer, database_url: str
) -> None:
    for attempt in range(3):
        subject = f"staff-new-{attempt}"
        bodies = [await code_for(client, browser, subject) for _ in range(2)]
        answers = await asyncio.gather(*(client.post("/v1/auth/oidc/callback", json=body) for body in bodies))
        assert [answer.status_code for answer in answers] == [200, 200], [answer.text for answer in answers]
        subjects = {claims_of(answer.json()["access_token"])["sub"] for answer in answers}
        assert len(subjects) == 1
        accounts = await fetch(
            database_url, "SELECT count(*) AS n FROM identity.oidc_identity WHERE subject = $1", subject
        )
        assert accounts[0]["n"] == 1
    assert (await fetch(database_url, "SELECT count(*) AS n FROM identity.account"))[0]["n"] == 3


async def test_a_redirect_uri_not_registered_is_refused(client: httpx.AsyncClient, database_url: str) -> None:
    for uri in ("https://evil.example/callback", REDIRECT + "/more", REDIRECT.upper()):
        refused = await client.post("/v1/auth/oidc/start", json={"redirect_uri": uri})
        assert refused.status_code == 422, refused.text
        assert refused.json()["code"] == "REDIRECT_URI_NOT_ALLOWED"
        assert refused.json()["errors"][0]["pointer"] == "/redirect_uri"
    assert (await fetch(database_url, "SELECT count(*) AS n FROM identity.oidc_login"))[0]["n"] == 0
    # every registered one is accepted, and the provider is sent that one
    native = await start(client, OTHER_REDIRECT)
    assert dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(native["authorization_url"]).query))["redirect_uri"] == (
        OTHER_REDIRECT
    )


async def test_a_refused_code_and_bad_id_tokens(
    client: httpx.AsyncClient, browser: httpx.AsyncClient, oidc: FakeServer, database_url: str
) -> None:
    body = await code_for(client, browser, "staff-bad")
    refused = await client.post("/v1/auth/oidc/callback", json={**body, "code": body["code"] + "x"})
    assert refused.status_code == 400 and refused.json()["code"] == "OIDC_CODE_INVALID"
    # the sign-in is used up by the failed attempt: the real code cannot follow
    after = await client.post("/v1/auth/oidc/callback", json=body)
    assert after.status_code == 400 and after.json()["code"] == "OIDC_STATE_INVALID"

    for defect in ("bad-signature", "wrong-audience", "wrong-issuer", "no-nonce", "expired", "alg-none"):
        body = await code_for(client, browser, "staff-bad")
        await spoil_next_id_token(oidc, defect)
        answer = await client.post("/v1/auth/oidc/callback", json=body)
        assert answer.status_code == 401, (defect, answer.text)
        assert answer.json()["code"] == "OIDC_TOKEN_INVALID"
    assert (await fetch(database_url, "SELECT count(*) AS n FROM identity.session"))[0]["n"] == 0
    assert (await fetch(database_url, "SELECT count(*) AS n FROM identity.account"))[0]["n"] == 0
    reasons = await fetch(
        database_url, "SELECT detail->>'reason' AS reason FROM identity.audit_record WHERE action = 'login_failed'"
    )
    assert {row["reason"] for row in reasons} >= {"OIDC_TOKEN_REQUEST_FAILED", "OIDC_ID_TOKEN_INVALID"}


async def test_a_disabled_staff_account_cannot_sign_in(
    client: httpx.AsyncClient, browser: httpx.AsyncClient, oidc: FakeServer, database_url: str
) -> None:
    first = await client.post("/v1/auth/oidc/callback", json=await code_for(client, browser, "staff-gone"))
    account_id = uuid.UUID(claims_of(first.json()["access_token"])["sub"])
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        await connection.execute(
            "UPDATE identity.account SET status = 'disabled', disabled_at = now() WHERE id = $1", account_id
        )
    finally:
        await connection.close()
    refused = await client.post("/v1/auth/oidc/callback", json=await code_for(client, browser, "staff-gone"))
    assert refused.status_code == 403 and refused.json()["code"] == "ACCOUNT_DISABLED"


async def test_an_unreachable_provider_is_503(database_url: str, browser: httpx.AsyncClient) -> None:
    # never reachable: the start cannot even read the discovery document
    async with sso_client(database_url, f"http://127.0.0.1:{free_port()}") as down:
        answer = await down.post("/v1/auth/oidc/start", json={"redirect_uri": REDIRECT})
        assert answer.status_code == 503 and answer.json()["code"] == "OIDC_UNAVAILABLE"
        assert answer.headers["retry-after"] == "30"

    # gone between the redirect and the callback
    server = start_fake("fake_oidc")
    try:
        async with sso_client(database_url, server.url) as client:
            body = await code_for(client, browser, "staff-down")
            stop_fake(server)
            answer = await client.post("/v1/auth/oidc/callback", json=body)
            assert answer.status_code == 503 and answer.json()["code"] == "OIDC_UNAVAILABLE"
    finally:
        stop_fake(server)


async def test_single_sign_on_off_when_no_issuer(database_url: str) -> None:
    async with sso_client(database_url, "") as off:
        answer = await off.post("/v1/auth/oidc/start", json={"redirect_uri": REDIRECT})
        assert answer.status_code == 503 and answer.json()["code"] == "OIDC_UNAVAILABLE"
        answer = await off.post("/v1/auth/oidc/callback", json={"state": "A" * 43, "code": "c"})
        assert answer.status_code == 400  # an unknown state is refused before the provider is needed


def test_production_refuses_the_fake_provider() -> None:
    good = {
        "environment": "production",
        "internal_token_secret": "i" * 40,
        "key_encryption_secret": "k" * 40,
        "oidc_issuer": "https://sso.district.example.gov.cn",
        "oidc_client_secret": "s" * 32,
        "sms_access_key_secret": "m" * 32,
        "wechat_appid": "wx1234567890abcdef",
        "wechat_secret": "w" * 32,
        "oidc_redirect_uris": "https://staff.district.example.gov.cn/sso/callback",
    }
    assert Settings.model_validate(good).oidc_redirect_uris == ("https://staff.district.example.gov.cn/sso/callback",)
    assert Settings.model_validate({**good, "oidc_issuer": ""}).oidc_issuer == ""  # SSO off
    for field, value in (
        ("oidc_issuer", "http://127.0.0.1:8093"),
        ("oidc_issuer", "http://sso.district.example.gov.cn"),
        ("oidc_client_secret", FAKE_OIDC_CLIENT_SECRET),
        ("oidc_redirect_uris", "http://127.0.0.1:8000/staff/sso/callback"),
        ("oidc_redirect_uris", ""),
    ):
        with pytest.raises(ValueError, match="IDENTITY_OIDC_"):
            Settings.model_validate({**good, field: value})
    # development keeps the fake's defaults
    assert Settings(environment="development").oidc_client_secret.get_secret_value() == FAKE_OIDC_CLIENT_SECRET
