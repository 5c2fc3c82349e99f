"""The identity the gateway forwards, its internal token, and per-route role lists.

The gateway verifies the user's JWT or the partner's API key, drops any identity header the
client sent, and forwards `X-Platform-Identity`: a short-lived HS256 token signed with the
platform's internal secret. Services accept nothing else.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
import uuid
from collections.abc import Callable, Iterable
from enum import StrEnum
from typing import Annotated, Any, Literal

import orjson
from fastapi import Depends, Request
from fastapi.params import Depends as DependsParam
from pydantic import BaseModel, ConfigDict, Field, field_serializer

from shared.errors import Forbidden, Unauthenticated
from shared.i18n import Text

IDENTITY_HEADER = "x-platform-identity"
INTERNAL_AUDIENCE = "binjiang-platform-internal"
INTERNAL_ISSUER = "binjiang-gateway"
_CACHE_LIMIT = 10_000


class Role(StrEnum):
    platform_admin = "platform_admin"
    community_staff = "community_staff"
    grid_worker = "grid_worker"
    enterprise_rep = "enterprise_rep"
    employee = "employee"
    partner = "partner"
    election_observer = "election_observer"
    # Any person signed in through the identity service, grants or none (a new account binding its
    # phone or redeeming an invitation holds only this one); every identity token carries it.
    account = "account"
    service = "service"  # another platform service calling over the internal network


USER_ROLES: tuple[Role, ...] = tuple(role for role in Role if role is not Role.service)
EVERY_ROLE: tuple[Role, ...] = tuple(Role)
# Every person who signs in, whatever grants they hold (not partners, not services): routes where
# what one sees is decided by who one is (the token subject), not by a role.
PERSON_ROLES: tuple[Role, ...] = tuple(role for role in Role if role not in (Role.partner, Role.service))


class Identity(BaseModel):
    """Who is calling, with the scopes each role carries."""

    model_config = ConfigDict(frozen=True)

    subject: str = Field(description="User id, `partner:<id>` or `service:<name>`")
    roles: frozenset[Role]
    name: str | None = None
    community_ids: frozenset[uuid.UUID] = frozenset()
    grid_ids: frozenset[uuid.UUID] = frozenset()
    enterprise_id: uuid.UUID | None = None
    partner_id: uuid.UUID | None = None
    partner_kind: Literal["bank", "mcn"] | None = None
    election_ids: frozenset[uuid.UUID] = frozenset()

    @field_serializer("roles", "community_ids", "grid_ids", "election_ids")
    def _sorted(self, values: frozenset[Role] | frozenset[uuid.UUID]) -> list[str]:
        """Sets in a stable order (a frozenset's order changes with each process's hash seed)."""
        return sorted(str(value) for value in values)

    def has(self, *roles: Role) -> bool:
        return not self.roles.isdisjoint(roles)

    def staff_of(self, community_id: uuid.UUID) -> bool:
        """Platform admins, or community staff scoped to this community."""
        return Role.platform_admin in self.roles or (
            Role.community_staff in self.roles and community_id in self.community_ids
        )

    def to_claims(self) -> dict[str, Any]:
        claims: dict[str, Any] = {"sub": self.subject, "roles": sorted(self.roles)}
        if self.name:
            claims["name"] = self.name
        for key in ("community_ids", "grid_ids", "election_ids"):
            values = getattr(self, key)
            if values:
                claims[key] = sorted(str(value) for value in values)
        for key in ("enterprise_id", "partner_id"):
            value = getattr(self, key)
            if value is not None:
                claims[key] = str(value)
        if self.partner_kind:
            claims["partner_kind"] = self.partner_kind
        return claims

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> Identity:
        data = {key: claims[key] for key in cls.model_fields if key in claims}
        data["subject"] = claims["sub"]
        return cls.model_validate(data)


class InternalTokenCodec:
    """HS256 compact JWTs for the one hop from the gateway to a service, signed and checked by hand.

    Every proxied request is verified once and most are signed once, so this path is hot: PyJWT
    spends ~45 us verifying and ~25 us signing (key preparation and `json`), this ~8 and ~7.
    The scope is deliberately narrow: the only header accepted is the exact one minted here
    (`{"alg":"HS256","typ":"JWT"}`), so `alg` confusion or `none` cannot arise; user tokens from
    the outside world still go through PyJWT at the gateway.
    """

    HEADER = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=")

    def __init__(self, secret: str) -> None:
        self._mac = hmac.new(secret.encode(), digestmod=hashlib.sha256)

    def _signature(self, signing_input: bytes) -> bytes:
        mac = self._mac.copy()
        mac.update(signing_input)
        return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=")

    def encode(self, claims: dict[str, Any]) -> str:
        signing_input = self.HEADER + b"." + base64.urlsafe_b64encode(orjson.dumps(claims)).rstrip(b"=")
        return (signing_input + b"." + self._signature(signing_input)).decode("ascii")

    def decode(self, token: str, *, now: float) -> dict[str, Any]:
        """The verified claims; `ValueError` for anything malformed, forged, expired or misaddressed."""
        try:
            raw = token.encode("ascii")
        except UnicodeEncodeError as exc:
            raise ValueError("not ASCII") from exc
        signing_input, _, signature = raw.rpartition(b".")
        header, _, payload = signing_input.partition(b".")
        if header != self.HEADER or not payload or b"." in payload:
            raise ValueError("not an internal token")
        if not hmac.compare_digest(self._signature(signing_input), signature):
            raise ValueError("bad signature")
        try:
            claims = orjson.loads(base64.urlsafe_b64decode(payload + b"=" * (-len(payload) % 4)))
        except (binascii.Error, orjson.JSONDecodeError) as exc:
            raise ValueError("bad payload") from exc
        if not isinstance(claims, dict):
            raise ValueError("claims are not an object")
        expires, issued = claims.get("exp"), claims.get("iat")
        if not isinstance(expires, int) or not isinstance(issued, int) or not isinstance(claims.get("sub"), str):
            raise ValueError("exp, iat and sub are required")
        if expires <= now:
            raise ValueError("expired")
        if claims.get("aud") != INTERNAL_AUDIENCE or claims.get("iss") != INTERNAL_ISSUER:
            raise ValueError("wrong audience or issuer")
        return claims


def mint_internal_token(identity: Identity, secret: str | InternalTokenCodec, ttl_seconds: int = 60) -> str:
    """Sign an identity for one hop inside the platform."""
    now = int(time.time())
    claims = identity.to_claims() | {
        "iss": INTERNAL_ISSUER,
        "aud": INTERNAL_AUDIENCE,
        "iat": now,
        "exp": now + ttl_seconds,
    }
    codec = secret if isinstance(secret, InternalTokenCodec) else InternalTokenCodec(secret)
    return codec.encode(claims)


class InternalTokenVerifier:
    """Verifies internal tokens; remembers verified ones until they expire (the gateway reuses them)."""

    def __init__(self, secret: str) -> None:
        self._codec = InternalTokenCodec(secret)
        self._verified: dict[str, tuple[float, Identity]] = {}

    def verify(self, token: str) -> Identity:
        now = time.time()
        cached = self._verified.get(token)
        if cached is not None and cached[0] > now:
            return cached[1]
        try:
            claims = self._codec.decode(token, now=now)
            identity = Identity.from_claims(claims)
        except (ValueError, KeyError) as exc:  # pydantic's ValidationError is a ValueError
            raise Unauthenticated(Text("内部身份令牌无效", "Invalid internal identity token")) from exc
        if len(self._verified) >= _CACHE_LIMIT:
            self._verified = {key: value for key, value in self._verified.items() if value[0] > now}
            if len(self._verified) >= _CACHE_LIMIT:
                self._verified.clear()
        self._verified[token] = (float(claims["exp"]), identity)
        return identity


def identity_from_token(token: str | None, verifier: InternalTokenVerifier) -> Identity:
    """The identity in an `X-Platform-Identity` value; 401 when there is none or it does not verify."""
    if not token:
        raise Unauthenticated(Text("缺少身份凭证", "No identity: call through the gateway with a token"))
    return verifier.verify(token)


async def current_identity(request: Request) -> Identity:
    """The caller's identity from the gateway's internal token; 401 without one."""
    return identity_from_token(request.headers.get(IDENTITY_HEADER), request.app.state.token_verifier)


CurrentIdentity = Annotated[Identity, Depends(current_identity)]


class RoleCheck:
    """A route's explicit role list; the app factory reads it into the OpenAPI document."""

    def __init__(self, roles: Iterable[Role]) -> None:
        self.roles = tuple(roles)

    def check(self, identity: Identity) -> Identity:
        if identity.roles.isdisjoint(self.roles):
            raise Forbidden(Text("当前角色无权调用此接口", "Your role may not call this endpoint"))
        return identity

    async def __call__(self, identity: CurrentIdentity) -> Identity:
        return self.check(identity)


def allow(*roles: Role) -> DependsParam:
    """Route dependency naming every role that may call it: `dependencies=[allow(Role.platform_admin)]`."""
    if not roles:
        raise ValueError("a route must allow at least one role")
    dependency: DependsParam = Depends(RoleCheck(roles))
    return dependency


def route_roles(dependencies: Iterable[Any]) -> tuple[Role, ...] | None:
    """The role list declared on a route, or None when it is public."""
    for dependency in dependencies:
        call: Callable[..., Any] | None = getattr(dependency, "dependency", None)
        if isinstance(call, RoleCheck):
            return call.roles
    return None
