"""The identity routes that take no gateway identity: the key set and the ways to sign in.

The gateway forwards these without credentials (gateway/routing.py `ANONYMOUS_PATHS` lists the
same public paths; tests/identity checks the two agree). Each one's credential is in its body (a
refresh token, an SMS code) or it publishes only public keys.
"""

from __future__ import annotations

from identity.admins.router import SESSION_PATH as ADMIN_SESSION_PATH
from identity.keys.router import INTERNAL_JWKS_PATH, JWKS_PATH
from identity.sms.router import CODES_PATH, SESSION_PATH
from identity.sso.router import CALLBACK_PATH, START_PATH
from identity.wechat.router import MINI_PROGRAM_PATH

# Reached through the gateway without `Authorization`.
ANONYMOUS_PUBLIC_PATHS = frozenset(
    {
        JWKS_PATH,
        "/v1/auth/token",
        "/v1/auth/logout",
        CODES_PATH,
        SESSION_PATH,
        MINI_PROGRAM_PATH,
        START_PATH,
        CALLBACK_PATH,
        ADMIN_SESSION_PATH,
    }
)
# Every route without a role list (the role table test skips these).
PUBLIC_PATHS = ANONYMOUS_PUBLIC_PATHS | {INTERNAL_JWKS_PATH}
