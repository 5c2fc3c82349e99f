"""The gateway-to-service token: standard HS256 JWTs, and everything else refused."""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Callable

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


def _hs256(claims: dict[str, object], key: str = SECRET, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, key, algorithm=algorithm)


# Built inside the test, not at collection: a token made at collection time may have expired
# (60 s) by the time a long run reaches it, and expiry is checked before audience and issuer.
@pytest.mark.parametrize(
    ("build", "reason"),
    [
        pytest.param(
            lambda: _hs256(_claims(), "another-secret-entirely-0123456789abcdef"), "bad signature", id="forged"
        ),
        pytest.param(lambda: _hs256(_claims(exp=int(time.time()) - 1)), "expired", id="expired"),
        pytest.param(lambda: _hs256(_claims(aud="someone-else")), "wrong audience or issuer", id="audience"),
        pytest.param(lambda: _hs256(_claims(iss="not-the-gateway")), "wrong audience or issuer", id="issuer"),
        pytest.param(
            lambda: _hs256({"sub": "x", "iss": INTERNAL_ISSUER}), "exp, iat and sub are required", id="no-exp"
        ),
        pytest.param(lambda: _hs256(_claims(), algorithm="HS384"), "not an internal token", id="other-algorithm"),
        pytest.param(
            lambda: _b64(b'{"alg":"none","typ":"JWT"}') + "." + _b64(orjson.dumps(_claims())) + ".",
            "not an internal token",
            id="alg-none",
        ),
        pytest.param(lambda: "not-a-token", "not an internal token", id="garbage"),
        pytest.param(lambda: "令牌.令牌.令牌", "not ASCII", id="non-ascii"),
    ],
)
def test_anything_but_a_valid_token_from_the_gateway_is_unauthenticated(build: Callable[[], str], reason: str) -> None:
    with pytest.raises(Unauthenticated) as refused:
        InternalTokenVerifier(SECRET).verify(build())
    assert isinstance(refused.value.__cause__, ValueError)
    assert str(refused.value.__cause__) == reason


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
