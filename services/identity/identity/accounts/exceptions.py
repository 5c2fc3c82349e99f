"""Errors of the account endpoints."""

from __future__ import annotations

from shared.errors import NotFound
from shared.i18n import Text


class AccountNotFound(NotFound):
    code = "ACCOUNT_NOT_FOUND"
    title = Text("账号不存在", "Account not found")
