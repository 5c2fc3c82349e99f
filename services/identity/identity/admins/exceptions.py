"""Errors of the platform administrators' sign-in (one answer for every wrong factor: no enumeration)."""

from __future__ import annotations

from shared.errors import Conflict, RateLimited, Unauthenticated, ValidationFailed
from shared.i18n import Text


class AdminLoginFailed(Unauthenticated):
    """Wrong username, wrong password, wrong or replayed one-time code: the same answer."""

    code = "ADMIN_LOGIN_FAILED"
    title = Text("用户名、密码或动态口令错误", "Wrong username, password or one-time code")


class AdminLocked(RateLimited):
    code = "ADMIN_LOCKED"
    title = Text("登录失败次数过多,账号已暂时锁定", "Too many failed sign-ins; the credential is locked for a while")


class AdminUsernameTaken(Conflict):
    code = "ADMIN_USERNAME_TAKEN"
    title = Text("管理员用户名已被使用", "The admin username is taken")


class AdminUsernameInvalid(ValidationFailed):
    code = "ADMIN_USERNAME_INVALID"
    title = Text("用户名须为 3-64 位小写字母、数字或 . _ -", "A username is 3-64 of a-z, 0-9, '.', '_' or '-'")


class AdminPasswordTooWeak(ValidationFailed):
    code = "ADMIN_PASSWORD_TOO_WEAK"
    title = Text("密码至少 12 个字符", "A password has at least 12 characters")
