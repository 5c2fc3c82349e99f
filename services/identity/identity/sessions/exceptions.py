"""Errors of the token endpoints."""

from __future__ import annotations

from shared.errors import NotFound, Unauthenticated
from shared.i18n import Text


class InvalidRefreshToken(Unauthenticated):
    code = "INVALID_REFRESH_TOKEN"
    title = Text("刷新令牌无效或已过期", "The refresh token is invalid or expired")


class RefreshTokenReused(Unauthenticated):
    code = "REFRESH_TOKEN_REUSED"
    title = Text("刷新令牌已被使用,该会话已注销", "The refresh token was already used; its session is signed out")


class SessionNotFound(NotFound):
    code = "SESSION_NOT_FOUND"
    title = Text("会话不存在", "Session not found")
