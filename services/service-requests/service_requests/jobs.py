"""Periodic jobs run as a lifespan background task: escalations, deadline notices, activity reminders,
auto-closing unrated requests and removing uploads never confirmed."""

from __future__ import annotations

import asyncio

import structlog
from fastapi import FastAPI

from service_requests.activities.service import remind_upcoming
from service_requests.attachments.service import sweep_expired
from service_requests.calendar.service import readiness_warnings, shanghai_today
from service_requests.requests.jobs import close_unrated, escalate_due, notice_deadlines_approaching
from shared.db import utcnow
from shared.uow import unit_of_work

logger = structlog.get_logger("service_requests.jobs")


async def run_jobs_once(app: FastAPI) -> tuple[int, int]:
    """One pass of each job, each in its own unit of work; returns (escalated, noticed or reminded; closed)."""
    async with unit_of_work(app) as uow:
        escalated = await escalate_due(uow, utcnow())
    async with unit_of_work(app) as uow:
        escalated += await notice_deadlines_approaching(uow, utcnow())
    async with unit_of_work(app) as uow:
        escalated += await remind_upcoming(uow, utcnow())
    async with unit_of_work(app) as uow:
        closed = await close_unrated(uow, utcnow())
    async with unit_of_work(app) as uow:  # uploads never confirmed, with their objects
        await sweep_expired(uow, app.state.object_store, utcnow())
    return escalated, closed


async def periodic_jobs(app: FastAPI) -> None:
    """Every `job_interval_seconds`; any replica may run it (rows are taken with SKIP LOCKED)."""
    interval: float = app.state.settings.job_interval_seconds
    if interval <= 0:
        return
    while True:
        await asyncio.sleep(interval)
        try:
            escalated, closed = await run_jobs_once(app)
            async with app.state.sessionmaker() as session:  # re-reads a changed calendar, sets its gauges
                await readiness_warnings(session, shanghai_today())
            if escalated or closed:
                logger.info("jobs_ran", escalated=escalated, closed=closed)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a failed pass must not stop the next one
            logger.warning("jobs_failed", error_type=type(exc).__name__)
