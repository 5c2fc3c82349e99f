"""Errors of the staff single sign-on (never echoing a code, a state or a token)."""

from __future__ import annotations

from shared.errors import InvalidRequest, ServiceUnavailable, Unauthenticated, ValidationFailed
from shared.i18n import Text


class RedirectUriNotAllowed(ValidationFailed):
    code = "REDIRECT_URI_NOT_ALLOWED"
    title = Text("回调地址未登记", "The redirect URI is not one registered for single sign-on")


class OidcStateInvalid(InvalidRequest):
    code = "OIDC_STATE_INVALID"
    title = Text(
        "登录请求无效、已过期或已使用,请重新登录", "The sign-in is unknown, expired or already used; start again"
    )


class OidcCodeInvalid(InvalidRequest):
    code = "OIDC_CODE_INVALID"
    title = Text(
        "身份提供方拒绝了授权码,请重新登录", "The identity provider refused the authorization code; start again"
    )


class OidcTokenInvalid(Unauthenticated):
    code = "OIDC_TOKEN_INVALID"
    title = Text("身份提供方的身份令牌无效", "The identity provider's ID token is not valid")


class OidcUnavailable(ServiceUnavailable):
    code = "OIDC_UNAVAILABLE"
    title = Text("统一身份认证暂不可用", "Single sign-on is unavailable")
