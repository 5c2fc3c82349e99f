"""The elections service's periodic job, a lifespan background task: the closing-soon reminders, and for
deliberation the consultations' opening and closing, overdue actions and ended committee terms.

Any replica may run it: the `closing_notice` row makes each reminder once; the others are conditional updates."""

from __future__ import annotations

import asyncio

import structlog
from fastapi import FastAPI

from elections.deliberation.actions.service import escalate_overdue
from elections.deliberation.committee.service import end_terms
from elections.deliberation.consultations.service import run_schedule
from elections.election.closing import notice_closing_soon
from shared.dates import business_today
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
            now = utcnow()
            async with unit_of_work(app) as uow:
                noticed = await notice_closing_soon(uow, now)
            if noticed:
                logger.info("closing_soon_noticed", elections=noticed)
            async with unit_of_work(app) as uow:
                moved = await run_schedule(uow, now)
                escalated = await escalate_overdue(uow, now)
                ended = await end_terms(uow, business_today())
            if moved or escalated or ended:
                logger.info("deliberation_jobs", consultations=moved, actions_escalated=escalated, terms_ended=ended)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a failed pass must not stop the next one
            logger.warning("jobs_failed", error_type=type(exc).__name__)
