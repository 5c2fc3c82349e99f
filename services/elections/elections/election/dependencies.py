"""Typed dependencies of the elections routes."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request

from elections.election.lifecycle import RollFetcher
from shared.express import ExpressCall, provide
from shared.uow import UnitOfWork, request_unit_of_work


async def roll_fetcher(request: Request) -> RollFetcher:
    """The registry roll client made once in `create_app`."""
    fetcher: RollFetcher = request.app.state.registry_roll
    return fetcher


RollFetcherDep = Annotated[RollFetcher, Depends(roll_fetcher)]


@contextlib.asynccontextmanager
async def sessions_know_their_app(app: FastAPI) -> AsyncIterator[None]:
    """A resource: every session of this app carries the app in `session.info`, so the express
    route's unit of work reaches the same long-lived resources (the hot-path pool) as FastAPI's."""
    app.state.sessionmaker.configure(info={"app": app})
    yield


async def _express_unit_of_work(call: ExpressCall) -> UnitOfWork:
    """`UnitOfWorkDep` on an express route (the cast): the call's session, committed by express
    before the response like FastAPI's; a session the route never uses costs no transaction."""
    session = call.session()
    app: Any = session.info["app"]
    return UnitOfWork(session, app)


provide(request_unit_of_work, _express_unit_of_work)  # the cast is an express route
