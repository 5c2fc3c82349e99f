"""Database conventions: naming, mixins, the engine created in lifespan, one commit per request."""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import DateTime, Integer, MetaData, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from shared.jsonutil import dumps, loads

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

TYPE_ANNOTATION_MAP: dict[Any, Any] = {
    dt.datetime: DateTime(timezone=True),
    dict[str, Any]: JSONB,
    list[Any]: JSONB,
}


def service_metadata(schema: str) -> MetaData:
    """The `MetaData` of one service: its own schema and the shared naming convention."""
    return MetaData(schema=schema, naming_convention=NAMING_CONVENTION)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UUIDPrimaryKey:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)


class Timestamps:
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), default=utcnow, onupdate=utcnow
    )


class Versioned:
    """Optimistic concurrency: the ORM bumps `version` and refuses stale updates."""

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:  # noqa: N805
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


def create_engine(
    url: str, *, pool_size: int = 20, max_overflow: int = 20, prepared_statements: bool = True
) -> AsyncEngine:
    """One engine per process, created in lifespan; JSON through orjson.

    `prepared_statements=False` is for a transaction-mode pooler that cannot carry them (PgBouncer
    < 1.21): no statement cache, and a name of its own for each statement so two never collide.
    """
    connect_args: dict[str, Any] = {"server_settings": {"timezone": "UTC"}}
    if not prepared_statements:
        connect_args |= {
            "statement_cache_size": 0,
            "prepared_statement_cache_size": 0,
            "prepared_statement_name_func": lambda: f"__asyncpg_{uuid.uuid4().hex}__",
        }
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_pre_ping=False,
        json_serializer=lambda value: dumps(value).decode(),
        json_deserializer=loads,
        connect_args=connect_args,
    )


@contextlib.asynccontextmanager
async def direct_engine(direct_url: str, pooled_url: str) -> AsyncIterator[AsyncEngine | None]:
    """A one-connection engine on the direct URL (for LISTEN), or None when it is the pooled one."""
    if direct_url == pooled_url:
        yield None
        return
    engine = create_engine(direct_url, pool_size=1, max_overflow=1)
    try:
        yield engine
    finally:
        await engine.dispose()


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def request_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's unit of work: committed once, after the handler and before the response."""
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with sessionmaker() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        await session.commit()


# scope="function": the commit runs before the response is sent, so a failed commit is never a 200.
SessionDep = Annotated[AsyncSession, Depends(request_session, scope="function")]
