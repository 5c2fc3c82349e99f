"""One unit of work per request and the repository contract every service follows.

The layers of a request (docs/architecture.md, "The shape"):

* a **router** parses input, names the roles, and hands `UnitOfWorkDep` and the `Identity` to a
  service function; it never sees a session, a pool or a repository;
* a **service** function takes `(uow, identity, ...)` (or `(uow, ...)` for jobs), applies the rules,
  builds its repositories with `uow.repository(SomeRepository)` and returns pydantic schemas;
* a **repository** (a subclass of `Repository`) holds all SQL. It is the only layer that chooses
  how to reach the database: the unit of work's ORM session (the default, one transaction committed
  once before the response), or the hot path, one autocommitted statement on the raw asyncpg pool
  (`self.hot()`), optionally batched (`self.batcher(...)`).

Background jobs open their own unit of work with `unit_of_work(app)`.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Annotated, Any, TypeVar, cast

import asyncpg
from fastapi import Depends, FastAPI, Request
from sqlalchemy import CursorResult, Executable
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.hot_path import Batcher, Execute, hot_connection

R = TypeVar("R", bound="Repository")
T = TypeVar("T")
U = TypeVar("U")


class UnitOfWork:
    """The database work of one request or one job: one ORM session, committed once by whoever
    opened it, and access to the process's hot-path pool for repositories that need it."""

    __slots__ = ("_app", "_open_session", "_session")

    def __init__(
        self,
        session: AsyncSession | None,
        app: FastAPI | Any,
        *,
        open_session: Callable[[], AsyncSession] | None = None,
    ) -> None:
        # `open_session` instead of a session: opened on first use, so a request served by the
        # hot path alone (the express community read) never builds one
        self._session = session
        self._open_session = open_session
        self._app = app

    @property
    def session(self) -> AsyncSession:
        """The ORM session of this work (flush, never commit: whoever opened the work commits)."""
        if self._session is None:
            if self._open_session is None:
                raise RuntimeError("this unit of work has no session")
            self._session = self._open_session()
        return self._session

    @property
    def app(self) -> Any:
        """The application whose long-lived resources (pools, clients, settings) this work may use."""
        return self._app

    def repository(self, repository: type[R]) -> R:
        """A repository of this unit of work."""
        return repository(self)

    async def flush(self) -> None:
        """Send pending ORM changes (constraint errors surface here, inside the service)."""
        await self.session.flush()


class Repository:
    """Base of every repository: SQL lives here and nowhere else.

    `self.session` is the unit of work's session (flush, never commit). `hot()` and `batcher()` are
    the explicit hot-path capability: a statement run on them is autocommitted on its own and is
    not part of the session's transaction, so a repository method uses one or the other, never both.
    """

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self._session: AsyncSession | None = None

    @property
    def session(self) -> AsyncSession:
        """The unit of work's session, asked for only when a statement needs it."""
        return self._session if self._session is not None else self.uow.session

    @session.setter
    def session(self, session: AsyncSession) -> None:
        self._session = session

    async def affected(self, statement: Executable, params: Mapping[str, Any] | None = None) -> int:
        """Run an INSERT, UPDATE or DELETE in the unit of work; how many rows it wrote."""
        result = cast("CursorResult[Any]", await self.session.execute(statement, params))
        return int(result.rowcount or 0)

    def hot(self) -> contextlib.AbstractAsyncContextManager[asyncpg.Connection]:
        """A raw connection for one autocommitted statement (the pool's, or the engine's while the
        pool is opening)."""
        return hot_connection(self.uow.app)

    def batcher(self, name: str, execute: Execute[T, U]) -> Batcher[T, U] | None:
        """The pool's batcher `name` (natural batching of one statement), or None without a pool."""
        pool = getattr(self.uow.app.state, "hot_path_pool", None)
        return None if pool is None else pool.batcher(name, execute)


async def request_unit_of_work(request: Request) -> AsyncIterator[UnitOfWork]:
    """The request's unit of work: committed once, after the handler and before the response."""
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with sessionmaker() as session:
        try:
            yield UnitOfWork(session, request.app)
        except BaseException:
            await session.rollback()
            raise
        await session.commit()


# scope="function": the commit runs before the response is sent, so a failed commit is never a 200.
UnitOfWorkDep = Annotated[UnitOfWork, Depends(request_unit_of_work, scope="function")]


@contextlib.asynccontextmanager
async def unit_of_work(app: Any) -> AsyncIterator[UnitOfWork]:
    """A unit of work for a background job: committed when the block ends without an error."""
    sessionmaker: async_sessionmaker[AsyncSession] = app.state.sessionmaker
    async with sessionmaker() as session:
        try:
            yield UnitOfWork(session, app)
        except BaseException:
            await session.rollback()
            raise
        await session.commit()


Resource = Callable[[FastAPI], contextlib.AbstractAsyncContextManager[None]]
"""A long-lived resource (an HTTP client, a pool, a key cache) opened and closed by the service
factory's one lifespan: `create_service_app(resources=[...])`. It publishes itself on `app.state`."""
