"""The elections service's periodic job, a lifespan background task: the closing-soon reminders.

Any replica may run it: the `closing_notice` row makes each reminder once."""

from __future__ import annotations

import asyncio

import structlog
from fastapi import FastAPI

from elections.election.closing import notice_closing_soon
from shared.db import utcnow
from shared.uow import unit_of_work

logger = structlog.get_logger("elections.jobs")


async def periodic_jobs(app: FastAPI) -> None:
    """Every `job_interval_seconds`, unless the jobs are off (tests run them by hand)."""
    settings = app.state.settings
    if not settings.run_jobs:
        return
    while True:
        await asyncio.sleep(settings.job_interval_seconds)
        try:
            async with unit_of_work(app) as uow:
                noticed = await notice_closing_soon(uow, utcnow())
            if noticed:
                logger.info("closing_soon_noticed", elections=noticed)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a failed pass must not stop the next one
            logger.warning("jobs_failed", error_type=type(exc).__name__)
