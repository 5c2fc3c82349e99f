"""Background supervision: overdue events get their level raised without anyone asking."""

from __future__ import annotations

import asyncio

import structlog
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from grid.events.service import raise_supervision

logger = structlog.get_logger("grid.events.tasks")


async def supervise_events(app: FastAPI) -> None:
    """Every `supervision_sweep_seconds`, raise levels in one short transaction (replicas skip locked rows)."""
    sessionmaker: async_sessionmaker[AsyncSession] = app.state.sessionmaker
    while True:
        try:
            async with sessionmaker() as session, session.begin():
                raised = await raise_supervision(session)
            if raised:
                logger.info("supervision_raised", events=raised)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the sweep retries next round
            logger.warning("supervision_sweep_failed", error_type=type(exc).__name__)
        await asyncio.sleep(app.state.settings.supervision_sweep_seconds)
