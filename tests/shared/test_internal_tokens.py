"""The gateway-to-service token: standard HS256 JWTs, and everything else refused."""

from __future__ import annotations

import base64
import time
import uuid

import jwt
import orjson
import pytest

from shared.auth import (
    INTERNAL_AUDIENCE,
    INTERNAL_ISSUER,
    Identity,
    InternalTokenCodec,
    InternalTokenVerifier,
    Role,
    mint_internal_token,
)
from shared.errors import Unauthenticated

SECRET = "an-internal-secret-of-reasonable-length-0123456789"
REP = Identity(
    subject="rep-1",
    roles=frozenset({Role.enterprise_rep}),
    enterprise_id=uuid.uuid4(),
    community_ids=frozenset({uuid.uuid4()}),
)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims(**overrides: object) -> dict[str, object]:
    now = int(time.time())
    claims: dict[str, object] = REP.to_claims() | {
        "iss": INTERNAL_ISSUER,
        "aud": INTERNAL_AUDIENCE,
        "iat": now,
        "exp": now + 60,
    }
    return claims | overrides


def test_minted_tokens_are_standard_jwts_that_pyjwt_accepts() -> None:
    token = mint_internal_token(REP, SECRET)
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], audience=INTERNAL_AUDIENCE, issuer=INTERNAL_ISSUER)
    assert Identity.from_claims(claims) == REP


def test_tokens_signed_by_pyjwt_verify_and_round_trip_the_identity() -> None:
    token = jwt.encode(_claims(), SECRET, algorithm="HS256")
    assert InternalTokenVerifier(SECRET).verify(token) == REP


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(jwt.encode(_claims(), "another-secret-entirely-0123456789abcdef", algorithm="HS256"), id="forged"),
        pytest.param(jwt.encode(_claims(exp=int(time.time()) - 1), SECRET, algorithm="HS256"), id="expired"),
        pytest.param(jwt.encode(_claims(aud="someone-else"), SECRET, algorithm="HS256"), id="audience"),
        pytest.param(jwt.encode(_claims(iss="not-the-gateway"), SECRET, algorithm="HS256"), id="issuer"),
        pytest.param(jwt.encode({"sub": "x", "iss": INTERNAL_ISSUER}, SECRET, algorithm="HS256"), id="no-exp"),
        pytest.param(jwt.encode(_claims(), SECRET, algorithm="HS384"), id="other-algorithm"),
        pytest.param(_b64(b'{"alg":"none","typ":"JWT"}') + "." + _b64(orjson.dumps(_claims())) + ".", id="alg-none"),
        pytest.param("not-a-token", id="garbage"),
        pytest.param("令牌.令牌.令牌", id="non-ascii"),
    ],
)
def test_anything_but_a_valid_token_from_the_gateway_is_unauthenticated(token: str) -> None:
    with pytest.raises(Unauthenticated):
        InternalTokenVerifier(SECRET).verify(token)


def test_a_payload_changed_after_signing_is_refused() -> None:
    header, _, signature = mint_internal_token(REP, SECRET).split(".")
    promoted = _b64(orjson.dumps(_claims(roles=["platform_admin"])))
    with pytest.raises(Unauthenticated):
        InternalTokenVerifier(SECRET).verify(f"{header}.{promoted}.{signature}")


def test_the_codec_refuses_a_token_the_moment_it_expires() -> None:
    codec = InternalTokenCodec(SECRET)
    token = codec.encode(_claims(exp=1_000))
    assert codec.decode(token, now=999.5)["sub"] == REP.subject
    with pytest.raises(ValueError, match="expired"):
        codec.decode(token, now=1_000)
