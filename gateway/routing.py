"""The public route table: which upstream owns which path prefix (docs/architecture.md, "Public routes")."""

from __future__ import annotations

UPSTREAM_PREFIXES: dict[str, tuple[str, ...]] = {
    "registry": ("/v1/communities", "/v1/buildings", "/v1/enterprises", "/v1/policies"),
    "service-requests": (
        "/v1/service-types",
        "/v1/service-brands",
        "/v1/service-requests",
        "/v1/activities",
        "/v1/webhook-endpoints",
        "/v1/working-calendar",
        "/open311/v2",
        "/v1/request-files",
    ),
    "elections": ("/v1/elections", "/v1/committees", "/v1/proposals", "/v1/meetings", "/v1/consultations"),
    "grid": (
        "/v1/grids",
        "/v1/grid-workers",
        "/v1/inspections",
        "/v1/hazards",
        "/v1/grid-events",
        "/v1/facilities",
        "/v1/circles",
        "/v1/grid-files",
    ),
    "identity": ("/v1/auth", "/v1/accounts", "/v1/audit", "/.well-known/jwks.json"),
    "notifications": ("/v1/notifications",),
}
# The gateway's own paths; the first set needs no credentials.
PUBLIC_OWN_PATHS = frozenset({"/docs", "/redoc", "/openapi.json", "/healthz", "/readyz", "/metrics"})
AUTHENTICATED_OWN_PREFIXES = ("/v1/partners",)
# The gateway's own paths inside an upstream's prefix: `GET /v1/auth/me` is what the gateway made of
# the credentials (partner keys included, which the identity service knows nothing about).
OWN_PATHS = frozenset({"/v1/auth/me"})
JWKS_PATH = "/.well-known/jwks.json"
# Identity paths forwarded without credentials (any `Authorization` sent is ignored, so an expired
# access token cannot spoil a refresh); rate-limited per client address. The identity service's
# `identity.public.ANONYMOUS_PUBLIC_PATHS` is the same set (tests/identity checks it).
ANONYMOUS_PATHS = frozenset(
    {
        JWKS_PATH,
        "/v1/auth/token",
        "/v1/auth/logout",
        "/v1/auth/sms/codes",  # the mobile app: the texted code is in the body
        "/v1/auth/sms/session",
        "/v1/auth/wechat/mini-program",  # the mini-program: the wx.login() code is in the body
        "/v1/auth/oidc/start",  # staff single sign-on: the credential is the provider's code
        "/v1/auth/oidc/callback",
        "/v1/auth/admin/session",  # platform admins: password + TOTP in the body
    }
)
# The local object store's signed upload and download links (shared/file_routes.py): forwarded
# without credentials (the signed token in the path is the credential, checked by the service
# before it reads the body) and with `signed_upload_max_body_bytes` instead of the 1 MiB limit.
SIGNED_FILE_PREFIXES = (
    "/v1/grid-files/uploads/",
    "/v1/grid-files/downloads/",
    "/v1/request-files/uploads/",
    "/v1/request-files/downloads/",
)


def signed_file_path(path: str) -> bool:
    """`/v1/<files>/{uploads,downloads}/<token>`: exactly one non-empty segment after the prefix."""
    return path.startswith(SIGNED_FILE_PREFIXES) and path.count("/") == 4 and not path.endswith("/")


# Every public prefix has exactly two segments (the key set's one path is matched whole by
# `two_segments`), so one dict lookup routes a request.
_BY_PREFIX = {prefix: name for name, prefixes in UPSTREAM_PREFIXES.items() for prefix in prefixes}


def two_segments(path: str) -> str:
    """`/v1/communities/x/y` -> `/v1/communities`."""
    end = path.find("/", 1)
    if end < 0:
        return path
    second = path.find("/", end + 1)
    return path if second < 0 else path[:second]


def upstream_for(path: str) -> str | None:
    """The upstream that owns `path`, or None."""
    if path in OWN_PATHS:
        return None
    return _BY_PREFIX.get(two_segments(path))


def is_public_path(upstream: str, path: str) -> bool:
    """Whether `path` of that upstream is part of the public API (used to filter OpenAPI)."""
    return any(path == prefix or path.startswith(prefix + "/") for prefix in UPSTREAM_PREFIXES.get(upstream, ()))


def unsafe_path(path: str) -> bool:
    """Dot segments would let a normaliser further down turn a public path into an internal one."""
    return ("/." in path or "\\" in path) and path != JWKS_PATH
