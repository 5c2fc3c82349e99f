"""`enterprise_rep` grants that follow the registry's representative records (issue 16)."""

from __future__ import annotations

import uuid

from shared.uow import UnitOfWork


async def sync_account(uow: UnitOfWork, account_id: uuid.UUID) -> None:
    """Not built yet: match the account's verified phone against the registry's representatives."""
