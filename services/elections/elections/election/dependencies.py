"""Typed dependencies of the elections routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from elections.election.lifecycle import RollFetcher


async def roll_fetcher(request: Request) -> RollFetcher:
    """The registry roll client made once in `create_app`."""
    fetcher: RollFetcher = request.app.state.registry_roll
    return fetcher


RollFetcherDep = Annotated[RollFetcher, Depends(roll_fetcher)]
