"""The audit trail's SQL."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import select, tuple_

from identity.audit.models import AuditRecord
from shared.uow import Repository


class AuditRepository(Repository):
    def add(
        self, actor: str, action: str, *, account_id: uuid.UUID | None, source_ip: str | None, detail: dict[str, Any]
    ) -> None:
        """Recorded with the unit of work: committed with the change it describes."""
        self.session.add(
            AuditRecord(actor=actor, action=action, account_id=account_id, source_ip=source_ip, detail=detail)
        )

    async def add_now(
        self, actor: str, action: str, *, account_id: uuid.UUID | None, source_ip: str | None, detail: dict[str, Any]
    ) -> None:
        """Recorded at once, on its own (a refusal rolls the unit of work back; its record stays)."""
        async with self.hot() as connection:
            await connection.execute(
                "INSERT INTO identity.audit_record (id, actor, action, account_id, source_ip, detail)"
                " VALUES ($1, $2, $3, $4, $5, $6::jsonb)",
                uuid.uuid4(),
                actor,
                action,
                account_id,
                source_ip,
                orjson.dumps(detail).decode(),
            )

    async def page(
        self, *, after: tuple[dt.datetime, uuid.UUID] | None, limit: int, account_id: uuid.UUID | None
    ) -> Sequence[AuditRecord]:
        """Newest first, keyset on (at, id)."""
        query = select(AuditRecord).order_by(AuditRecord.at.desc(), AuditRecord.id.desc()).limit(limit)
        if account_id is not None:
            query = query.where(AuditRecord.account_id == account_id)
        if after is not None:
            # a row comparison in SQL (a Python tuple `<` would compare the columns' expressions in Python)
            query = query.where(tuple_(AuditRecord.at, AuditRecord.id) < tuple_(*after))
        return (await self.session.scalars(query)).all()
