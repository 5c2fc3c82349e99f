"""The grid's periodic jobs, one lifespan background task: supervision levels, overdue hazards, the
campaign check-ins missing at 10:00 and uploads never confirmed (rows and objects). Any replica may
run them: each claim is a row the database makes once."""

from __future__ import annotations

import asyncio
import datetime as dt

import structlog
from fastapi import FastAPI

from grid.attachments.service import sweep_expired
from grid.campaigns.repository import CampaignRepository
from grid.campaigns.service import MISSING_NOTICE_AT, notice_missing_check_ins
from grid.events.service import raise_supervision
from grid.hazards.service import notice_overdue
from grid.registry.client import RegistryClient
from shared.dates import BUSINESS_ZONE
from shared.db import utcnow
from shared.uow import unit_of_work

logger = structlog.get_logger("grid.jobs")


async def notice_missing(app: FastAPI, now: dt.datetime) -> int:
    """From 10:00 Shanghai on a campaign day, one CampaignCheckInMissing per building not checked in."""
    local = now.astimezone(BUSINESS_ZONE)
    if local.time() < MISSING_NOTICE_AT:
        return 0
    day = local.date()
    async with unit_of_work(app) as uow:
        campaigns = await uow.repository(CampaignRepository).active_on(day)
    registry: RegistryClient = app.state.registry
    noticed = 0
    for campaign in campaigns:
        # the registry is asked outside any transaction: no session waits on another service
        buildings = await registry.community_buildings(campaign.community_id, day)
        async with unit_of_work(app) as uow:
            noticed += await notice_missing_check_ins(uow, campaign, day, [b.id for b in buildings], now)
    return noticed


async def run_jobs_once(app: FastAPI, now: dt.datetime | None = None) -> dict[str, int]:
    """One pass of each job, each in its own unit of work; a failing job does not stop the others."""
    now = now or utcnow()
    done: dict[str, int] = {}
    async with unit_of_work(app) as uow:
        done["supervision_raised"] = await raise_supervision(uow, now)
    async with unit_of_work(app) as uow:
        done["hazards_overdue"] = await notice_overdue(uow, now)
    async with unit_of_work(app) as uow:
        done["uploads_expired"] = await sweep_expired(uow, app.state.object_store, now)
    try:
        done["check_ins_missing"] = await notice_missing(app, now)
    except Exception as exc:  # the registry may be away; the next pass claims what this one could not
        logger.warning("missing_check_ins_failed", error_type=type(exc).__name__)
    return done


async def periodic_jobs(app: FastAPI) -> None:
    """Every `supervision_sweep_seconds`, one pass of the jobs."""
    while True:
        try:
            done = await run_jobs_once(app)
            if any(done.values()):
                logger.info("jobs_ran", **done)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the sweep retries next round
            logger.warning("jobs_failed", error_type=type(exc).__name__)
        await asyncio.sleep(app.state.settings.supervision_sweep_seconds)
