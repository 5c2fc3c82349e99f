"""The OIDC relying party against the local OpenID Connect provider, over real HTTP."""

from __future__ import annotations

import asyncio
import secrets
import urllib.parse

import httpx
import pytest

from bench.harness import free_port
from identity.adapters.oidc import OidcClaims, OidcClient, OidcError
from tools.fake_oidc import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET

REDIRECT_URI = "http://127.0.0.1:9/v1/auth/sso/callback"  # never fetched: the test reads the redirect
# RFC 7636 Appendix B: this verifier's S256 challenge.
RFC7636_VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
RFC7636_CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def relying_party(http: httpx.AsyncClient, issuer: str, *, client_secret: str = DEFAULT_CLIENT_SECRET) -> OidcClient:
    return OidcClient(
        http, issuer=issuer, client_id=DEFAULT_CLIENT_ID, client_secret=client_secret, redirect_uri=REDIRECT_URI
    )


async def sign_in(http: httpx.AsyncClient, client: OidcClient, subject: str, *, nonce: str, verifier: str) -> str:
    """The browser's part: follow the authorization URL as `subject`, return the code the redirect carries."""
    state = secrets.token_urlsafe(16)
    url = await client.authorization_url(state=state, nonce=nonce, code_verifier=verifier)
    response = await http.get(url + "&" + urllib.parse.urlencode({"login_hint": subject}))
    assert response.status_code == 302
    location = urllib.parse.urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
    query = dict(urllib.parse.parse_qsl(location.query))
    assert query["state"] == state
    return query["code"]


async def stats(http: httpx.AsyncClient, oidc: str) -> dict[str, int]:
    counts: dict[str, int] = (await http.get(f"{oidc}/_fake/stats")).json()
    return counts


async def spoil_next_id_token(http: httpx.AsyncClient, oidc: str, defect: str) -> None:
    assert (await http.post(f"{oidc}/_fake/next-id-token", json={"defect": defect})).status_code == 204


async def test_a_staff_member_signs_in_and_the_claims_come_back(http: httpx.AsyncClient, oidc: str) -> None:
    await http.post(f"{oidc}/_fake/users", json={"subject": "staff-0042", "name": "王芳", "email": "wf@example.cn"})
    client = relying_party(http, oidc)
    nonce, verifier = secrets.token_urlsafe(16), secrets.token_urlsafe(48)
    code = await sign_in(http, client, "staff-0042", nonce=nonce, verifier=verifier)
    claims = await client.exchange(code=code, code_verifier=verifier, nonce=nonce)
    assert claims == OidcClaims(subject="staff-0042", name="王芳", email="wf@example.cn", issuer=oidc)


async def test_the_authorization_url_carries_the_s256_challenge_state_and_nonce(
    http: httpx.AsyncClient, oidc: str
) -> None:
    url = await relying_party(http, oidc).authorization_url(state="st-1", nonce="n-1", code_verifier=RFC7636_VERIFIER)
    parts = urllib.parse.urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{oidc}/authorize"
    assert dict(urllib.parse.parse_qsl(parts.query)) == {
        "response_type": "code",
        "client_id": DEFAULT_CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "scope": "openid profile email",
        "state": "st-1",
        "nonce": "n-1",
        "code_challenge": RFC7636_CHALLENGE,
        "code_challenge_method": "S256",
    }


async def test_discovery_and_keys_are_fetched_once(http: httpx.AsyncClient, oidc: str) -> None:
    client = relying_party(http, oidc)
    await asyncio.gather(*(client.authorization_url(state="s", nonce="n", code_verifier="v" * 43) for _ in range(10)))
    for n in range(3):
        verifier = secrets.token_urlsafe(48)
        code = await sign_in(http, client, f"staff-{n}", nonce="n", verifier=verifier)
        await client.exchange(code=code, code_verifier=verifier, nonce="n")
    assert await stats(http, oidc) == {"discovery": 1, "jwks": 1, "token": 3}


async def test_a_wrong_pkce_verifier_is_refused(http: httpx.AsyncClient, oidc: str) -> None:
    client = relying_party(http, oidc)
    code = await sign_in(http, client, "staff-1", nonce="n", verifier=secrets.token_urlsafe(48))
    with pytest.raises(OidcError) as refused:
        await client.exchange(code=code, code_verifier=secrets.token_urlsafe(48), nonce="n")
    assert refused.value.code == "OIDC_TOKEN_REQUEST_FAILED"


async def test_a_code_is_redeemed_once(http: httpx.AsyncClient, oidc: str) -> None:
    client = relying_party(http, oidc)
    verifier = secrets.token_urlsafe(48)
    code = await sign_in(http, client, "staff-1", nonce="n", verifier=verifier)
    await client.exchange(code=code, code_verifier=verifier, nonce="n")
    with pytest.raises(OidcError) as replayed:
        await client.exchange(code=code, code_verifier=verifier, nonce="n")
    assert replayed.value.code == "OIDC_TOKEN_REQUEST_FAILED"


async def test_a_wrong_nonce_is_refused(http: httpx.AsyncClient, oidc: str) -> None:
    client = relying_party(http, oidc)
    verifier = secrets.token_urlsafe(48)
    code = await sign_in(http, client, "staff-1", nonce="the-sessions-nonce", verifier=verifier)
    with pytest.raises(OidcError) as refused:
        await client.exchange(code=code, code_verifier=verifier, nonce="another-nonce")
    assert refused.value.code == "OIDC_NONCE_MISMATCH"


async def test_a_wrong_client_secret_is_refused(http: httpx.AsyncClient, oidc: str) -> None:
    client = relying_party(http, oidc, client_secret="not-the-secret")
    verifier = secrets.token_urlsafe(48)
    code = await sign_in(http, client, "staff-1", nonce="n", verifier=verifier)
    with pytest.raises(OidcError) as refused:
        await client.exchange(code=code, code_verifier=verifier, nonce="n")
    assert refused.value.code == "OIDC_TOKEN_REQUEST_FAILED"


@pytest.mark.parametrize(
    ("defect", "code"),
    [
        ("bad-signature", "OIDC_ID_TOKEN_INVALID"),
        ("unknown-key", "OIDC_ID_TOKEN_INVALID"),
        ("alg-none", "OIDC_ID_TOKEN_INVALID"),
        ("wrong-issuer", "OIDC_ISSUER_MISMATCH"),
        ("wrong-audience", "OIDC_AUDIENCE_MISMATCH"),
        ("expired", "OIDC_ID_TOKEN_EXPIRED"),
        ("no-nonce", "OIDC_NONCE_MISMATCH"),
    ],
)
async def test_a_spoilt_id_token_is_refused(http: httpx.AsyncClient, oidc: str, defect: str, code: str) -> None:
    client = relying_party(http, oidc)
    verifier = secrets.token_urlsafe(48)
    login = await sign_in(http, client, "staff-1", nonce="n", verifier=verifier)
    await spoil_next_id_token(http, oidc, defect)
    with pytest.raises(OidcError) as refused:
        await client.exchange(code=login, code_verifier=verifier, nonce="n")
    assert refused.value.code == code


async def test_a_key_the_provider_rotated_in_is_fetched(http: httpx.AsyncClient, oidc: str) -> None:
    client = relying_party(http, oidc)
    for subject in ("before-rotation", "after-rotation"):
        verifier = secrets.token_urlsafe(48)
        code = await sign_in(http, client, subject, nonce="n", verifier=verifier)
        assert (await client.exchange(code=code, code_verifier=verifier, nonce="n")).subject == subject
        if subject == "before-rotation":
            assert (await http.post(f"{oidc}/_fake/rotate-key")).status_code == 200
    assert (await stats(http, oidc))["jwks"] == 2


async def test_a_discovery_document_naming_another_issuer_is_refused(http: httpx.AsyncClient, oidc: str) -> None:
    with pytest.raises(OidcError) as refused:
        await relying_party(http, oidc + "/").authorization_url(state="s", nonce="n", code_verifier="v" * 43)
    assert refused.value.code == "OIDC_ISSUER_MISMATCH"


async def test_an_unreachable_provider_is_a_discovery_failure(http: httpx.AsyncClient) -> None:
    with pytest.raises(OidcError) as refused:
        await relying_party(http, f"http://127.0.0.1:{free_port()}").authorization_url(
            state="s", nonce="n", code_verifier="v" * 43
        )
    assert refused.value.code == "OIDC_DISCOVERY_FAILED"


@pytest.mark.parametrize("method", [None, "plain"])
async def test_the_provider_refuses_an_authorization_request_without_s256(
    http: httpx.AsyncClient, oidc: str, method: str | None
) -> None:
    params = {
        "response_type": "code",
        "client_id": DEFAULT_CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "scope": "openid",
        "state": "st",
        "login_hint": "staff-1",
        "code_challenge": RFC7636_VERIFIER,
    }
    if method is not None:
        params["code_challenge_method"] = method
    response = await http.get(f"{oidc}/authorize", params=params)
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(response.headers["location"]).query))
    assert (response.status_code, query["error"], query["state"]) == (302, "invalid_request", "st")
