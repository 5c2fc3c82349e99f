"""Who is calling: user JWTs (ES256/RS256) and partner API keys, both cached so the hot path is cheap.

Verified JWTs are remembered until they expire. API keys are remembered for
`api_key_cache_seconds`; a key revoked through this process is refused at once. User tokens are
checked with the identity service's key set (`gateway/keyset.py`: fetched asynchronously, cached,
refetched on an unknown `kid`) or, for a token without a `kid` (the development CLI's), with the
configured key file; a subject on the identity service's deny list is refused even when cached.
"""

from __future__ import annotations

import hmac
import time
import uuid
from collections.abc import Callable
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.keyset import DenyList, KeySet, KeySetUnavailable
from gateway.message_signatures import PartnerSigningKey
from gateway.partners import keys
from gateway.partners.models import Partner
from gateway.partners.repository import PartnerRepository
from gateway.settings import Settings
from shared.auth import Identity, InternalTokenCodec, Role, mint_internal_token
from shared.errors import ServiceUnavailable, Unauthenticated, database_unavailable, database_unavailable_error
from shared.i18n import Text
from shared.uow import UnitOfWork

_CACHE_LIMIT = 50_000
# Far above any real token (ours are under 1 KiB); longer ones are refused before any parsing.
MAX_TOKEN_LENGTH = 8192
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="binjiang"'}
KEYS_UNREACHABLE = Text("无法获取签名公钥", "The token issuer's keys are unreachable")


class MissingCredentials(Unauthenticated):
    code = "UNAUTHENTICATED"


class InvalidToken(Unauthenticated):
    code = "INVALID_TOKEN"
    title = Text("访问令牌无效", "Invalid access token")


class TokenExpired(Unauthenticated):
    code = "TOKEN_EXPIRED"
    title = Text("访问令牌已过期", "The access token has expired")


class AccountDisabled(Unauthenticated):
    code = "ACCOUNT_DISABLED"
    title = Text("账号已停用", "The account is disabled")


class InvalidApiKey(Unauthenticated):
    code = "INVALID_API_KEY"
    title = Text("API 密钥无效或已吊销", "Invalid or revoked API key")


class SignatureRefused(Unauthenticated):
    """A partner that must sign sent a request without a valid RFC 9421 signature; `reason` says why."""

    code = "SIGNATURE_REJECTED"
    title = Text("请求签名无效", "The request signature was not accepted")


def _bounded(cache: dict[Any, Any], now: float, expiry: Callable[[Any], float]) -> None:
    if len(cache) >= _CACHE_LIMIT:
        for key in [key for key, value in cache.items() if expiry(value) <= now]:
            del cache[key]
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()


class Authenticator:
    """Turns an `Authorization` header into an `Identity`, and an identity into an internal token."""

    def __init__(self, settings: Settings, sessionmaker: async_sessionmaker[AsyncSession] | None = None) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        self._codec = InternalTokenCodec(settings.internal_token_secret.get_secret_value())
        self._ttl = settings.internal_token_ttl_seconds
        # Parsed once: PyJWT given a PEM string parses it again on every token (~40 us of ~190).
        self._public_key: jwt.PyJWK | None = None
        self.key_set: KeySet | None = None
        if settings.jwt_public_key_file is not None:
            self._public_key = _bound_key(load_pem_public_key(settings.jwt_public_key_file.read_bytes()))
        if settings.jwks_url:
            self.key_set = KeySet(
                settings.jwks_url, max_age=settings.jwks_cache_seconds, min_refresh=settings.jwks_min_refresh_seconds
            )
        self.deny_list: DenyList | None = None
        if settings.deny_list_url:
            self.deny_list = DenyList(
                settings.deny_list_url, settings.internal_token_secret.get_secret_value(), settings.deny_list_seconds
            )
        self._tokens: dict[str, tuple[float, Identity]] = {}
        # key id -> (cached until, sha256 of the secret, identity, signing key when the partner must sign)
        self._api_keys: dict[str, tuple[float, bytes, Identity, PartnerSigningKey | None]] = {}
        self._revoked: set[str] = set()
        self._internal: dict[Identity, tuple[float, str]] = {}

    async def authenticate(self, authorization: str | None) -> Identity:
        """The verified identity; `Unauthenticated` (401) when missing, malformed, expired or revoked."""
        identity, _ = await self.credentials(authorization)
        return identity

    async def credentials(self, authorization: str | None) -> tuple[Identity, PartnerSigningKey | None]:
        """The verified identity and, for a partner that must sign its requests, the key to check them with."""
        if not authorization:
            raise MissingCredentials(Text("缺少访问令牌", "Send `Authorization: Bearer <token>`"), headers=_CHALLENGE)
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise InvalidToken(Text("仅支持 Bearer 令牌", "Only Bearer tokens are accepted"), headers=_CHALLENGE)
        if len(token) > MAX_TOKEN_LENGTH:
            raise InvalidToken(Text("访问令牌过长", "The token is too long"), headers=_CHALLENGE)
        if token.startswith(keys.PREFIX):
            return await self._api_key(token)
        return await self._jwt(token), None

    def internal_token(self, identity: Identity) -> str:
        """The token forwarded to services; reused for the first half of its lifetime."""
        now = time.time()
        cached = self._internal.get(identity)
        if cached is not None and cached[0] > now:
            return cached[1]
        token = mint_internal_token(identity, self._codec, self._ttl)
        _bounded(self._internal, now, lambda value: value[0])
        self._internal[identity] = (now + self._ttl / 2, token)
        return token

    def forget_partner(self, partner_id: uuid.UUID) -> None:
        """Drop the cached keys of a partner whose settings changed; the next request reloads them."""
        for key_id in [key_id for key_id, entry in self._api_keys.items() if entry[2].partner_id == partner_id]:
            del self._api_keys[key_id]

    def forget_api_key(self, key_id: str, *, revoked: bool) -> None:
        """Drop a cached key; a key revoked here stays refused in this process without waiting."""
        self._api_keys.pop(key_id, None)
        if revoked:
            if len(self._revoked) >= _CACHE_LIMIT:
                self._revoked.clear()
            self._revoked.add(key_id)

    async def _jwt(self, token: str) -> Identity:
        now = time.time()
        cached = self._tokens.get(token)
        if cached is not None:
            if cached[0] > now:
                self._refuse_denied(cached[1])
                return cached[1]
            del self._tokens[token]
        key = await self._signing_key(token)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=self.settings.jwt_algorithms,
                audience=self.settings.jwt_audience,
                issuer=self.settings.jwt_issuer,
                leeway=self.settings.jwt_leeway_seconds,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise TokenExpired(headers=_CHALLENGE) from exc
        # The key fixes the algorithm, so a header naming another cannot reach a key of the wrong type;
        # TypeError/ValueError still mean "this token does not verify", never a server fault.
        except (jwt.PyJWTError, TypeError, ValueError) as exc:
            raise InvalidToken(headers=_CHALLENGE) from exc
        try:
            identity = Identity.from_claims(claims)
        except (ValueError, KeyError) as exc:
            raise InvalidToken(Text("令牌声明不完整", "The token's claims are incomplete"), headers=_CHALLENGE) from exc
        if not identity.roles or Role.service in identity.roles:
            raise InvalidToken(Text("令牌角色无效", "The token carries no usable role"), headers=_CHALLENGE)
        self._refuse_denied(identity)
        _bounded(self._tokens, now, lambda value: value[0])
        self._tokens[token] = (float(claims["exp"]) + self.settings.jwt_leeway_seconds, identity)
        return identity

    def _refuse_denied(self, identity: Identity) -> None:
        if self.deny_list is not None and identity.subject in self.deny_list:
            raise AccountDisabled(headers=_CHALLENGE)

    async def _signing_key(self, token: str) -> jwt.PyJWK:
        """The verification key, a `PyJWK` so that it, not the token's header, decides the algorithm."""
        if self.key_set is not None:
            try:
                kid = jwt.get_unverified_header(token).get("kid")
            except (jwt.PyJWTError, TypeError, ValueError) as exc:
                raise InvalidToken(headers=_CHALLENGE) from exc
            if isinstance(kid, str) and kid:
                try:
                    key = await self.key_set.key(kid)
                except KeySetUnavailable as exc:
                    raise ServiceUnavailable(KEYS_UNREACHABLE) from exc
                if key is None:
                    raise InvalidToken(headers=_CHALLENGE)
                return key
            if kid is not None or self._public_key is None:
                raise InvalidToken(headers=_CHALLENGE)
        if self._public_key is None:
            raise InvalidToken(Text("网关未配置令牌公钥", "The gateway has no token key configured"))
        return self._public_key

    async def _api_key(self, token: str) -> tuple[Identity, PartnerSigningKey | None]:
        parsed = keys.parse(token)
        if parsed is None:
            raise InvalidApiKey(headers=_CHALLENGE)
        key_id, secret = parsed
        if key_id in self._revoked:
            raise InvalidApiKey(headers=_CHALLENGE)
        now = time.monotonic()
        cached = self._api_keys.get(key_id)
        if cached is None or cached[0] <= now:
            cached = await self._load_api_key(key_id, now)
        if cached is None or not hmac.compare_digest(cached[1], keys.digest(secret)):
            raise InvalidApiKey(headers=_CHALLENGE)
        return cached[2], cached[3]

    async def _load_api_key(
        self, key_id: str, now: float
    ) -> tuple[float, bytes, Identity, PartnerSigningKey | None] | None:
        if self.sessionmaker is None:
            return None
        try:
            async with self.sessionmaker() as session:
                found = await PartnerRepository(UnitOfWork(session, None)).find_active_key(key_id)
        except Exception as exc:  # the proxied path has no app handler: an outage must still be a 503
            if database_unavailable(exc):
                raise database_unavailable_error() from exc
            raise
        if found is None:
            self._api_keys.pop(key_id, None)
            return None
        key, partner = found
        identity = Identity(
            subject=f"partner:{partner.id}",
            roles=frozenset({Role.partner}),
            name=partner.name,
            partner_id=partner.id,
            partner_kind=partner.kind,
        )
        entry = (now + self.settings.api_key_cache_seconds, key.secret_sha256, identity, _required_signing_key(partner))
        _bounded(self._api_keys, now, lambda value: value[0])
        self._api_keys[key_id] = entry
        return entry


def _bound_key(public_key: Any) -> jwt.PyJWK:
    """A configured public key with the one algorithm its type implies (P-256: ES256, RSA: RS256, ...)."""
    if isinstance(public_key, RSAPublicKey):
        return jwt.PyJWK(jwt.algorithms.RSAAlgorithm.to_jwk(public_key, as_dict=True))
    if isinstance(public_key, EllipticCurvePublicKey):
        return jwt.PyJWK(jwt.algorithms.ECAlgorithm.to_jwk(public_key, as_dict=True))
    raise ValueError("the token public key must be an EC (ES256) or RSA (RS256) key")


def _required_signing_key(partner: Partner) -> PartnerSigningKey | None:
    if not partner.require_signatures or partner.signing_key_id is None or partner.signing_public_key is None:
        return None
    return PartnerSigningKey(partner.signing_key_id, "ed25519", partner.signing_public_key.encode())
