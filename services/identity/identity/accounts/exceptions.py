"""Errors of the account endpoints."""

from __future__ import annotations

from shared.errors import Forbidden, NotFound
from shared.i18n import Text


class AccountNotFound(NotFound):
    code = "ACCOUNT_NOT_FOUND"
    title = Text("账号不存在", "Account not found")


class AccountDisabled(Forbidden):
    """A sign-in whose credentials were right, for an account a platform admin disabled (the gateway
    answers 401 `ACCOUNT_DISABLED` to its live tokens)."""

    code = "ACCOUNT_DISABLED"
    title = Text("账号已停用", "The account is disabled")
