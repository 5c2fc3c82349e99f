"""`Idempotency-Key` for creating POSTs, backed by the service's `idempotency_key` table.

The key row is inserted in the same transaction as the work and updated with the response
before commit. A concurrent duplicate blocks on the row's unique index until the first
commits, then replays its stored response; if the first rolls back, the duplicate proceeds.
Keys are kept at least `idempotency_retention_hours` (24 h, as Stripe does); a background
task (`expire_keys`) deletes older ones in small batches.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
from collections.abc import Callable, Coroutine, Mapping
from typing import Any

import structlog
from fastapi import FastAPI, Request, Response
from pydantic import BaseModel
from sqlalchemy import Table, delete, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from shared.auth import Identity
from shared.errors import Conflict, InvalidRequest, ValidationFailed
from shared.i18n import Text
from shared.jsonutil import canonical, dumps
from shared.uow import UnitOfWork

HEADER = "idempotency-key"
REPLAYED_HEADER = "Idempotent-Replayed"
_WAIT_FOR_FIRST = "15s"
_KEPT_HEADERS = ("location", "etag", "link")


class IdempotencyKeyReused(ValidationFailed):
    code = "IDEMPOTENCY_KEY_REUSED"
    title = Text("幂等键已用于不同的请求", "Idempotency-Key was used for a different request")


class IdempotencyInFlight(Conflict):
    code = "IDEMPOTENCY_IN_FLIGHT"
    title = Text("相同幂等键的请求正在处理", "A request with this Idempotency-Key is still in progress")


class Idempotency:
    """Per-request helper: `begin()` may return a replay; `complete()` stores and returns the response."""

    def __init__(self, work: UnitOfWork | AsyncSession, table: Table, request: Request, identity: Identity) -> None:
        # a UnitOfWork in the shape (shared/uow.py); a bare session for the shared tests' little app
        self._session = work.session if isinstance(work, UnitOfWork) else work
        self._table = table
        self._request = request
        self._consumer = identity.subject
        self.key = request.headers.get(HEADER)
        if self.key is not None and not (1 <= len(self.key) <= 255):
            raise InvalidRequest(
                Text("幂等键长度应为 1-255", "Idempotency-Key must be 1-255 characters"),
                errors=[{"detail": "1-255 characters", "header": "Idempotency-Key"}],
            )

    async def begin(self, body: Any) -> Response | None:
        """Claim the key, or return the stored response of the request that already used it."""
        if self.key is None:
            return None
        if isinstance(body, BaseModel):
            body = body.model_dump(mode="json")
        request_hash = hashlib.sha256(canonical(body)).digest()
        path = self._request.url.path
        await self._session.execute(text(f"SET LOCAL lock_timeout = '{_WAIT_FOR_FIRST}'"))
        try:
            claimed = await self._session.execute(
                insert(self._table)
                .values(
                    consumer=self._consumer,
                    key=self.key,
                    method=self._request.method,
                    path=path,
                    request_hash=request_hash,
                )
                .on_conflict_do_nothing()
                .returning(self._table.c.key)
            )
        except DBAPIError as exc:
            if "lock timeout" in str(exc.orig).lower() or "lock_not_available" in str(exc.orig).lower():
                raise IdempotencyInFlight() from exc
            raise
        await self._session.execute(text("SET LOCAL lock_timeout = 0"))
        if claimed.first() is not None:
            return None
        stored = (
            await self._session.execute(
                select(self._table).where(self._table.c.consumer == self._consumer, self._table.c.key == self.key)
            )
        ).one()
        if stored.request_hash != request_hash or stored.path != path or stored.method != self._request.method:
            raise IdempotencyKeyReused(errors=[{"detail": "same key, different request", "header": "Idempotency-Key"}])
        if stored.status_code is None:
            raise IdempotencyInFlight()
        headers = dict(stored.response_headers or {})
        headers[REPLAYED_HEADER] = "true"
        return Response(stored.response_body, stored.status_code, headers=headers, media_type="application/json")

    async def complete(
        self, content: Any, *, status_code: int = 201, headers: Mapping[str, str] | None = None
    ) -> Response:
        """Build the JSON response and, when a key was sent, store it with the work."""
        if isinstance(content, BaseModel):
            content = content.model_dump(mode="json")
        body = dumps(content)
        kept = {name: value for name, value in (headers or {}).items() if name.lower() in _KEPT_HEADERS}
        if self.key is not None:
            await self._session.execute(
                update(self._table)
                .where(self._table.c.consumer == self._consumer, self._table.c.key == self.key)
                .values(status_code=status_code, response_body=body, response_headers=kept)
            )
        return Response(body, status_code, headers=dict(headers or {}), media_type="application/json")


async def purge_expired_keys(engine: AsyncEngine, table: Table, older_than: dt.datetime, batch: int = 5000) -> int:
    """Delete keys created before `older_than`, `batch` rows per transaction; the number deleted."""
    doomed = select(table.c.consumer, table.c.key).where(table.c.created_at < older_than).limit(batch)
    total, deleted = 0, batch
    while deleted == batch:
        async with engine.begin() as connection:
            result = await connection.execute(delete(table).where(tuple_(table.c.consumer, table.c.key).in_(doomed)))
        deleted = int(result.rowcount or 0)
        total += deleted
    return total


def expire_keys(table: Table) -> Callable[[FastAPI], Coroutine[Any, Any, None]]:
    """A lifespan task: every `idempotency_purge_seconds`, forget keys older than the retention."""

    async def expire_idempotency_keys(app: FastAPI) -> None:
        settings = app.state.settings
        log = structlog.get_logger("idempotency")
        while True:
            await asyncio.sleep(settings.idempotency_purge_seconds)
            cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(hours=settings.idempotency_retention_hours)
            try:
                deleted = await purge_expired_keys(app.state.engine, table, cutoff)
            except Exception:  # the next round retries; replays never depend on purging
                log.warning("idempotency_purge_failed", exc_info=True)
                continue
            if deleted:
                log.info("idempotency_keys_expired", deleted=deleted)

    return expire_idempotency_keys
