"""Background supervision: overdue events get their level raised without anyone asking."""

from __future__ import annotations

import asyncio

import structlog
from fastapi import FastAPI

from grid.events.service import raise_supervision
from shared.uow import unit_of_work

logger = structlog.get_logger("grid.events.tasks")


async def supervise_events(app: FastAPI) -> None:
    """Every `supervision_sweep_seconds`, raise levels in one short transaction (replicas skip locked rows)."""
    while True:
        try:
            async with unit_of_work(app) as uow:
                raised = await raise_supervision(uow)
            if raised:
                logger.info("supervision_raised", events=raised)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the sweep retries next round
            logger.warning("supervision_sweep_failed", error_type=type(exc).__name__)
        await asyncio.sleep(app.state.settings.supervision_sweep_seconds)
