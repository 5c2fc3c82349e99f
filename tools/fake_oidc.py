"""A local OpenID Connect provider for development and tests: `python -m tools.fake_oidc --port 8093`.

The authorization code flow with PKCE as a real provider runs it, minus the login page:

* `GET /.well-known/openid-configuration` (discovery), `GET /jwks` (an ES256 key made at start).
* `GET /authorize`: checks client, redirect URI, `response_type=code`, `openid` scope and a S256
  `code_challenge` (PKCE is required), then signs in the user named by `login_hint` without a
  page and redirects to `redirect_uri?code=...&state=...&iss=...`; no hint: `error=login_required`.
* `POST /token`: client secret (HTTP Basic or form), code used once within 60 s, same
  redirect URI, `code_verifier` whose S256 is the challenge; answers an ID token with the nonce.

Test helpers: `POST /_fake/users {"subject", "name"?, "email"?}` sets a user's profile;
`POST /_fake/next-id-token {"defect"}` spoils the next ID token (one of `DEFECTS`);
`POST /_fake/rotate-key` makes a new signing key (the old one stays published);
`GET /_fake/stats` counts discovery, JWKS and token calls; `POST /_fake/reset`.
Settings: `FAKE_OIDC_ISSUER` (default: the URL it is reached at), `FAKE_OIDC_CLIENT_ID`,
`FAKE_OIDC_CLIENT_SECRET`, `FAKE_OIDC_REDIRECT_URIS` (comma-separated; default: any http(s) URL).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import re
import secrets
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

DEFAULT_CLIENT_ID = "platform-identity"
DEFAULT_CLIENT_SECRET = "fake-oidc-client-secret"
CODE_LIFETIME_SECONDS = 60
ID_TOKEN_LIFETIME_SECONDS = 300
DEFECTS = ("bad-signature", "unknown-key", "wrong-issuer", "wrong-audience", "expired", "no-nonce", "alg-none")
VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")  # RFC 7636 4.1


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def new_key() -> ECKey:
    return ECKey.generate_key("P-256", parameters={"kid": secrets.token_hex(8), "use": "sig", "alg": "ES256"})


@dataclass
class Grant:
    client_id: str
    redirect_uri: str
    subject: str
    nonce: str | None
    challenge: str
    expires_at: float


@dataclass
class FakeOidc:
    issuer: str | None
    client_id: str
    client_secret: str
    redirect_uris: list[str]
    keys: list[ECKey] = field(default_factory=lambda: [new_key()])
    users: dict[str, dict[str, str]] = field(default_factory=dict)
    grants: dict[str, Grant] = field(default_factory=dict)
    defects: list[str] = field(default_factory=list)
    calls: dict[str, int] = field(default_factory=lambda: {"discovery": 0, "jwks": 0, "token": 0})

    def issuer_for(self, request: Request) -> str:
        return self.issuer or str(request.base_url).rstrip("/")

    def id_token(self, issuer: str, grant: Grant) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": issuer,
            "sub": grant.subject,
            "aud": grant.client_id,
            "iat": now,
            "auth_time": now,
            "exp": now + ID_TOKEN_LIFETIME_SECONDS,
            **self.users.get(grant.subject, {}),
        }
        if grant.nonce is not None:
            claims["nonce"] = grant.nonce
        defect = self.defects.pop(0) if self.defects else None
        if defect == "wrong-issuer":
            claims["iss"] = issuer + "/elsewhere"
        elif defect == "wrong-audience":
            claims["aud"] = "another-client"
        elif defect == "expired":
            claims["iat"], claims["exp"] = now - 3600, now - 600
        elif defect == "no-nonce":
            claims.pop("nonce", None)
        if defect == "alg-none":
            header = b64url(json.dumps({"alg": "none", "typ": "JWT", "kid": self.keys[-1].kid}).encode())
            return f"{header}.{b64url(json.dumps(claims).encode())}."
        key = new_key() if defect == "unknown-key" else self.keys[-1]
        token = jwt.encode({"alg": "ES256", "kid": key.kid}, claims, key)
        if defect == "bad-signature":  # the payload changed after signing: another subject
            header, _, signature = token.split(".")
            forged = b64url(json.dumps({**claims, "sub": "someone-else"}).encode())
            token = f"{header}.{forged}.{signature}"
        return token


async def json_body(request: Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        return None


def oauth_error(error: str, status: int = 400) -> Response:
    headers = {"Cache-Control": "no-store"}
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="token"'
    return JSONResponse({"error": error}, status_code=status, headers=headers)


def redirect_with(uri: str, params: dict[str, str]) -> Response:
    separator = "&" if urllib.parse.urlsplit(uri).query else "?"
    return RedirectResponse(uri + separator + urllib.parse.urlencode(params), status_code=302)


def create_app(
    issuer: str | None = None,
    client_id: str | None = None,
    client_secret: str | None = None,
    redirect_uris: list[str] | None = None,
) -> Starlette:
    """The provider as an ASGI app (`uvicorn --factory tools.fake_oidc:create_app`)."""
    configured = os.environ.get("FAKE_OIDC_REDIRECT_URIS", "")
    state = FakeOidc(
        issuer=issuer or os.environ.get("FAKE_OIDC_ISSUER") or None,
        client_id=client_id or os.environ.get("FAKE_OIDC_CLIENT_ID", DEFAULT_CLIENT_ID),
        client_secret=client_secret or os.environ.get("FAKE_OIDC_CLIENT_SECRET", DEFAULT_CLIENT_SECRET),
        redirect_uris=redirect_uris or [uri for uri in configured.split(",") if uri],
    )

    def redirect_allowed(uri: str) -> bool:
        if state.redirect_uris:
            return uri in state.redirect_uris
        parts = urllib.parse.urlsplit(uri)
        return parts.scheme in ("http", "https") and bool(parts.netloc) and not parts.fragment

    async def discovery(request: Request) -> Response:
        state.calls["discovery"] += 1
        issuer = state.issuer_for(request)
        return JSONResponse(
            {
                "issuer": issuer,
                "authorization_endpoint": issuer + "/authorize",
                "token_endpoint": issuer + "/token",
                "jwks_uri": issuer + "/jwks",
                "response_types_supported": ["code"],
                "grant_types_supported": ["authorization_code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["ES256"],
                "scopes_supported": ["openid", "profile", "email"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
                "code_challenge_methods_supported": ["S256"],
                "claims_supported": ["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "name", "email"],
                "authorization_response_iss_parameter_supported": True,
            }
        )

    async def jwks(request: Request) -> Response:
        state.calls["jwks"] += 1
        return JSONResponse(KeySet(list(state.keys)).as_dict(private=False))

    async def authorize(request: Request) -> Response:
        query = request.query_params
        redirect_uri = query.get("redirect_uri", "")
        if query.get("client_id") != state.client_id or not redirect_allowed(redirect_uri):
            # RFC 6749 4.1.2.1: never redirect to an unverified URI.
            return JSONResponse({"error": "invalid_request", "error_description": "unknown client or redirect"}, 400)
        answer = {"state": query["state"]} if "state" in query else {}
        answer["iss"] = state.issuer_for(request)
        if query.get("response_type") != "code":
            return redirect_with(redirect_uri, {**answer, "error": "unsupported_response_type"})
        if "openid" not in query.get("scope", "").split():
            return redirect_with(redirect_uri, {**answer, "error": "invalid_scope"})
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            return redirect_with(redirect_uri, {**answer, "error": "invalid_request"})
        subject = query.get("login_hint")
        if not subject:
            return redirect_with(redirect_uri, {**answer, "error": "login_required"})
        code = secrets.token_urlsafe(32)
        state.grants[code] = Grant(
            client_id=state.client_id,
            redirect_uri=redirect_uri,
            subject=subject,
            nonce=query.get("nonce"),
            challenge=query["code_challenge"],
            expires_at=time.monotonic() + CODE_LIFETIME_SECONDS,
        )
        return redirect_with(redirect_uri, {"code": code, **answer})

    def client_authenticated(request: Request, form: dict[str, str]) -> bool:
        header = request.headers.get("authorization", "")
        if header.lower().startswith("basic "):
            try:
                pair = base64.b64decode(header[6:], validate=True).decode("utf-8")
            except ValueError:
                return False
            raw_id, _, raw_secret = pair.partition(":")
            given_id, given_secret = urllib.parse.unquote_plus(raw_id), urllib.parse.unquote_plus(raw_secret)
        else:
            given_id, given_secret = form.get("client_id", ""), form.get("client_secret", "")
        return given_id == state.client_id and secrets.compare_digest(given_secret, state.client_secret)

    async def token(request: Request) -> Response:
        state.calls["token"] += 1
        parsed = urllib.parse.parse_qs((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)
        form = {key: values[-1] for key, values in parsed.items()}
        if not client_authenticated(request, form):
            return oauth_error("invalid_client", 401)
        if form.get("grant_type") != "authorization_code":
            return oauth_error("unsupported_grant_type")
        grant = state.grants.pop(form.get("code", ""), None)  # used once, whatever happens next
        if grant is None or grant.expires_at <= time.monotonic() or grant.redirect_uri != form.get("redirect_uri"):
            return oauth_error("invalid_grant")
        verifier = form.get("code_verifier", "")
        if not VERIFIER.match(verifier):
            return oauth_error("invalid_grant")
        if not secrets.compare_digest(b64url(hashlib.sha256(verifier.encode("ascii")).digest()), grant.challenge):
            return oauth_error("invalid_grant")
        return JSONResponse(
            {
                "access_token": secrets.token_urlsafe(32),
                "token_type": "Bearer",
                "expires_in": ID_TOKEN_LIFETIME_SECONDS,
                "scope": "openid profile email",
                "id_token": state.id_token(state.issuer_for(request), grant),
            },
            headers={"Cache-Control": "no-store"},
        )

    async def set_user(request: Request) -> Response:
        body = await json_body(request)
        if not isinstance(body, dict) or not isinstance(body.get("subject"), str) or not body["subject"]:
            return JSONResponse({"detail": "subject is required"}, status_code=400)
        state.users[body["subject"]] = {k: body[k] for k in ("name", "email") if isinstance(body.get(k), str)}
        return Response(status_code=204)

    async def next_id_token(request: Request) -> Response:
        body = await json_body(request)
        if not isinstance(body, dict) or body.get("defect") not in DEFECTS:
            return JSONResponse({"detail": f"defect must be one of {', '.join(DEFECTS)}"}, status_code=400)
        state.defects.append(body["defect"])
        return Response(status_code=204)

    async def rotate_key(request: Request) -> Response:
        state.keys.append(new_key())
        return JSONResponse({"kid": state.keys[-1].kid})

    async def stats(request: Request) -> Response:
        return JSONResponse(state.calls)

    async def reset(request: Request) -> Response:
        state.users.clear()
        state.grants.clear()
        state.defects.clear()
        state.calls.update(dict.fromkeys(state.calls, 0))
        return Response(status_code=204)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[
            Route("/.well-known/openid-configuration", discovery, methods=["GET"]),
            Route("/jwks", jwks, methods=["GET"]),
            Route("/authorize", authorize, methods=["GET"]),
            Route("/token", token, methods=["POST"]),
            Route("/_fake/users", set_user, methods=["POST"]),
            Route("/_fake/next-id-token", next_id_token, methods=["POST"]),
            Route("/_fake/rotate-key", rotate_key, methods=["POST"]),
            Route("/_fake/stats", stats, methods=["GET"]),
            Route("/_fake/reset", reset, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A local OpenID Connect provider (development and tests only).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8093)
    parser.add_argument("--issuer", help="the issuer URL it names (default http://HOST:PORT)")
    args = parser.parse_args(argv)
    issuer = args.issuer or os.environ.get("FAKE_OIDC_ISSUER") or f"http://{args.host}:{args.port}"
    uvicorn.run(create_app(issuer=issuer), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
