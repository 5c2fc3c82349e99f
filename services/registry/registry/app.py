"""The registry service's FastAPI application."""

from __future__ import annotations

from fastapi import FastAPI

from registry.buildings.models import MOVES_BETWEEN_COMMUNITIES_CHECK, NO_OVERLAP
from registry.buildings.router import router as buildings_router
from registry.communities.router import get_community
from registry.communities.router import internal_router as communities_internal_router
from registry.communities.router import router as communities_router
from registry.database import platform_tables
from registry.enterprises.models import HEADCOUNT_UNIQUE, STATUS_NO_OVERLAP, USCC_UNIQUE
from registry.enterprises.router import internal_router as enterprises_internal_router
from registry.enterprises.router import router as enterprises_router
from registry.policies.models import ONE_ANSWER
from registry.policies.router import inbox_router as policies_inbox_router
from registry.policies.router import router as policies_router
from registry.settings import Settings
from shared.about import about_router
from shared.app import create_service_app
from shared.errors import Conflict, ConstraintProblem
from shared.hot_path import hot_path_pool
from shared.i18n import Text
from shared.outbox import event_feed_router

# Races the service checks cannot see end here, as 409 with the field they concern.
CONSTRAINT_PROBLEMS = {
    NO_OVERLAP: ConstraintProblem(
        Conflict, Text("楼宇归属时段重叠", "The building's jurisdiction periods would overlap"), "/effective_on"
    ),
    MOVES_BETWEEN_COMMUNITIES_CHECK: ConstraintProblem(
        Conflict,
        Text("楼宇已被同时划转到该社区", "The building was moved to that community concurrently"),
        "/to_community_id",
    ),
    USCC_UNIQUE: ConstraintProblem(
        Conflict, Text("该统一社会信用代码已登记", "An enterprise with this USCC is already registered"), "/uscc"
    ),
    STATUS_NO_OVERLAP: ConstraintProblem(
        Conflict, Text("企业状态时段重叠", "The enterprise's status periods would overlap"), "/effective_on"
    ),
    HEADCOUNT_UNIQUE: ConstraintProblem(
        Conflict, Text("该日期的人数已登记", "Figures for that date are already recorded"), "/as_of"
    ),
    ONE_ANSWER: ConstraintProblem(
        Conflict, Text("本企业已对该政策作出答复", "The enterprise already answered this policy"), "/answer"
    ),
    "uq_community_code": ConstraintProblem(
        Conflict, Text("社区编码已被使用", "The community code is already used"), "/code"
    ),
}


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; `uvicorn registry.app:create_app --factory` serves it."""
    settings = settings or Settings()
    return create_service_app(
        name="registry",
        title="Registry",
        description="Communities, buildings with dated jurisdiction, enterprises.",
        settings=settings,
        routers=[
            about_router("/v1/communities", "communities"),
            communities_router,
            buildings_router,
            communities_internal_router,
            enterprises_router,
            enterprises_internal_router,
            policies_router,
            policies_inbox_router,
            event_feed_router(platform_tables.outbox_event),
        ],
        constraint_problems=CONSTRAINT_PROBLEMS,
        idempotency_table=platform_tables.idempotency_key,
        background_tasks=[hot_path_pool],  # for the one-statement community read
        express_routes=[get_community],  # the read behind most pages (shared/express.py)
    )
