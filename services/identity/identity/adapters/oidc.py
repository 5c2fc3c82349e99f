"""Staff single sign-on: OpenID Connect authorization code flow with PKCE (S256), as a relying party.

authlib builds the authorization request, the S256 challenge and validates the ID token's claims
(`CodeIDToken`: iss, aud, azp, exp, iat, nonce); joserfc (authlib's JOSE library) checks its
signature with the provider's JWKS. The discovery document is fetched once; the key set is
fetched once and again when a token names a key it does not hold (the provider rotated).
"""

from __future__ import annotations

import asyncio
import base64
import urllib.parse
from dataclasses import dataclass
from typing import Any

import httpx
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import ExpiredTokenError, InvalidKeyIdError, JoseError, MissingClaimError
from joserfc.errors import InvalidClaimError as JoseInvalidClaimError
from joserfc.jwk import KeySet

SCOPE = "openid profile email"
ID_TOKEN_ALGORITHMS = ("ES256", "RS256")
CLOCK_LEEWAY_SECONDS = 30

# The stable codes of OidcError (docs/identity-fakes.md).
DISCOVERY_FAILED = "OIDC_DISCOVERY_FAILED"  # provider unreachable, or its discovery/JWKS unusable
TOKEN_REQUEST_FAILED = "OIDC_TOKEN_REQUEST_FAILED"  # the token endpoint refused (bad, used or expired code, PKCE)
ID_TOKEN_INVALID = "OIDC_ID_TOKEN_INVALID"  # missing, malformed, or its signature does not verify
ID_TOKEN_EXPIRED = "OIDC_ID_TOKEN_EXPIRED"
ISSUER_MISMATCH = "OIDC_ISSUER_MISMATCH"
AUDIENCE_MISMATCH = "OIDC_AUDIENCE_MISMATCH"
NONCE_MISMATCH = "OIDC_NONCE_MISMATCH"
CLAIM_INVALID = "OIDC_CLAIM_INVALID"  # any other claim (sub, iat, azp) missing or wrong
_CLAIM_CODES = {"iss": ISSUER_MISMATCH, "aud": AUDIENCE_MISMATCH, "nonce": NONCE_MISMATCH}


class OidcError(Exception):
    """The sign-in cannot be trusted or completed; `code` says which check failed."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class OidcClaims:
    subject: str
    name: str | None
    email: str | None
    issuer: str


class OidcClient:
    """One relying party registered at one issuer (the district's identity provider)."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        issuer: str,
        client_id: str,
        client_secret: str,
        redirect_uri: str | None = None,
    ) -> None:
        self._http = http
        self._issuer = issuer  # exactly as the provider spells it: iss is compared as a string
        self._client_id = client_id
        self._client_secret = client_secret
        self._redirect_uri = redirect_uri  # the default; a service with several passes one per call
        self._lock = asyncio.Lock()
        self._metadata: dict[str, Any] | None = None
        self._keys: KeySet | None = None

    def __repr__(self) -> str:
        return f"OidcClient(issuer={self._issuer!r}, client_id={self._client_id!r})"

    async def authorization_url(
        self, *, state: str, nonce: str, code_verifier: str, redirect_uri: str | None = None
    ) -> str:
        """Where to send the browser: the provider's authorization endpoint with state, nonce and the S256 challenge."""
        metadata = await self._discovery()
        url: str = prepare_grant_uri(
            metadata["authorization_endpoint"],
            self._client_id,
            "code",
            redirect_uri=self._redirect(redirect_uri),
            scope=SCOPE,
            state=state,
            nonce=nonce,
            code_challenge=create_s256_code_challenge(code_verifier),
            code_challenge_method="S256",
        )
        return url

    async def exchange(
        self, *, code: str, code_verifier: str, nonce: str, redirect_uri: str | None = None
    ) -> OidcClaims:
        """Redeem the authorization code and return the verified ID token's claims; OidcError on any failure.

        `redirect_uri` must be the one the authorization request named (RFC 6749 4.1.3)."""
        metadata = await self._discovery()
        redirect = self._redirect(redirect_uri)
        try:
            response = await self._http.post(
                metadata["token_endpoint"],
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": redirect,
                    "code_verifier": code_verifier,
                },
                headers={"Authorization": self._basic_credentials(), "Accept": "application/json"},
            )
        except httpx.HTTPError:
            raise OidcError(DISCOVERY_FAILED) from None
        if response.status_code >= 500:  # the provider is failing, not refusing this code
            raise OidcError(DISCOVERY_FAILED)
        if response.status_code != 200:
            raise OidcError(TOKEN_REQUEST_FAILED)
        try:
            id_token = response.json().get("id_token")
        except (ValueError, AttributeError):
            id_token = None
        if not isinstance(id_token, str):
            raise OidcError(ID_TOKEN_INVALID)
        token = await self._verify_signature(id_token)
        claims = CodeIDToken(
            token.claims,
            token.header,
            options={
                "iss": {"essential": True, "value": self._issuer},
                "aud": {"essential": True, "value": self._client_id},
            },
            params={"nonce": nonce, "client_id": self._client_id},
        )
        try:
            claims.validate(leeway=CLOCK_LEEWAY_SECONDS)
        except ExpiredTokenError:
            raise OidcError(ID_TOKEN_EXPIRED) from None
        except (JoseInvalidClaimError, MissingClaimError) as error:
            raise OidcError(_CLAIM_CODES.get(error.claim, CLAIM_INVALID)) from None
        if "nonce" not in token.claims:  # authlib skips the check when asked for none; we always send one
            raise OidcError(NONCE_MISMATCH)
        subject = token.claims["sub"]
        if not isinstance(subject, str) or not subject:
            raise OidcError(CLAIM_INVALID)
        name, email = token.claims.get("name"), token.claims.get("email")
        return OidcClaims(
            subject=subject,
            name=name if isinstance(name, str) else None,
            email=email if isinstance(email, str) else None,
            issuer=self._issuer,
        )

    def _redirect(self, redirect_uri: str | None) -> str:
        chosen = redirect_uri or self._redirect_uri
        if not chosen:
            raise ValueError("OidcClient needs a redirect_uri (in the constructor or the call)")
        return chosen

    def _basic_credentials(self) -> str:
        # RFC 6749 2.3.1: form-encode id and secret before joining them for HTTP Basic.
        pair = f"{urllib.parse.quote_plus(self._client_id)}:{urllib.parse.quote_plus(self._client_secret)}"
        return "Basic " + base64.b64encode(pair.encode()).decode()

    async def _verify_signature(self, id_token: str) -> jwt.Token:
        keys = self._keys or await self._fetch_keys()
        for attempt in range(2):
            try:
                return jwt.decode(id_token, keys, algorithms=list(ID_TOKEN_ALGORITHMS))
            except InvalidKeyIdError:
                if attempt == 0:  # a key the provider added since: fetch the set again, once
                    keys = await self._fetch_keys()
            except (JoseError, ValueError):
                break
        raise OidcError(ID_TOKEN_INVALID)

    async def _discovery(self) -> dict[str, Any]:
        if self._metadata is not None:
            return self._metadata
        async with self._lock:
            if self._metadata is None:
                metadata = await self._get_json(self._issuer.rstrip("/") + "/.well-known/openid-configuration")
                # OpenID Connect Discovery 4.3: the document must name exactly the issuer we trust.
                if metadata.get("issuer") != self._issuer:
                    raise OidcError(ISSUER_MISMATCH)
                endpoints = ("authorization_endpoint", "token_endpoint", "jwks_uri")
                if not all(isinstance(metadata.get(name), str) for name in endpoints):
                    raise OidcError(DISCOVERY_FAILED)
                if "S256" not in metadata.get("code_challenge_methods_supported", ["S256"]):
                    raise OidcError(DISCOVERY_FAILED)
                self._metadata = metadata
            return self._metadata

    async def _fetch_keys(self) -> KeySet:
        metadata = await self._discovery()
        document = await self._get_json(metadata["jwks_uri"])
        try:
            keys = KeySet.import_key_set(document)  # type: ignore[arg-type]
        except (JoseError, ValueError, KeyError, TypeError):
            raise OidcError(DISCOVERY_FAILED) from None
        self._keys = keys
        return keys

    async def _get_json(self, url: str) -> dict[str, Any]:
        try:
            response = await self._http.get(url, headers={"Accept": "application/json"})
            body = response.json()
        except (httpx.HTTPError, ValueError):
            raise OidcError(DISCOVERY_FAILED) from None
        if response.status_code != 200 or not isinstance(body, dict):
            raise OidcError(DISCOVERY_FAILED)
        return body
