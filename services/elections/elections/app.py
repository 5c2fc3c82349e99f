"""The elections service's FastAPI application."""

from __future__ import annotations

import functools

import httpx
from fastapi import FastAPI

from elections.database import platform_tables
from elections.deliberation.actions.router import router as action_router
from elections.deliberation.committee.router import router as committee_router
from elections.deliberation.consultations.router import answer_consultation
from elections.deliberation.consultations.router import router as consultation_router
from elections.deliberation.exceptions import (
    AlreadyAnswered,
    AlreadySupported,
    AlreadyVoted,
    CommitteeExists,
    MinutesApproved,
    NoQuorum,
)
from elections.deliberation.meetings.router import router as meeting_router
from elections.deliberation.proposals.router import router as proposal_router
from elections.election.exceptions import InvalidBallotChoices
from elections.election.router import cast
from elections.election.router import router as election_router
from elections.jobs import periodic_jobs
from elections.registry_client import registry_client, registry_feed
from elections.settings import Settings
from shared.about import about_router
from shared.app import create_service_app
from shared.errors import Conflict, ConstraintProblem
from shared.hot_path import hot_path_pool
from shared.i18n import Text
from shared.outbox import event_feed_router

CONSTRAINT_PROBLEMS = {
    "uq_roll_entry_election_id_uscc": ConstraintProblem(
        Conflict, Text("该统一社会信用代码已在名册中", "This USCC is already on the roll"), "/uscc"
    ),
    "pk_roll_entry": ConstraintProblem(Conflict, Text("该企业已在名册中", "The enterprise is already on the roll")),
    "uq_candidate_election_id_ballot_number": ConstraintProblem(
        Conflict, Text("候选人编号冲突,请重试", "Ballot numbers collided; retry")
    ),
    "uq_ballot_tracker": ConstraintProblem(InvalidBallotChoices, Text("追踪码冲突,请重试", "Tracker collision; retry")),
    # deliberation: the invariants its races meet (docs/deliberation.md)
    "uq_committee_election_id": ConstraintProblem(CommitteeExists, Text("该选举已组成委员会", "Already formed")),
    "uq_committee_one_active": ConstraintProblem(
        CommitteeExists, Text("该社区已有在任委员会", "The community already has a committee in office")
    ),
    "pk_proposal_support": ConstraintProblem(AlreadySupported, Text("已附议", "Already supported")),
    "pk_committee_vote": ConstraintProblem(AlreadyVoted, Text("已表决", "Already voted")),
    "pk_consultation_answer": ConstraintProblem(AlreadyAnswered, Text("已答复", "Already answered")),
    "ck_meeting_item_decided_with_quorum": ConstraintProblem(NoQuorum, Text("不足法定人数", "No quorum")),
    "meeting_minutes_frozen": ConstraintProblem(MinutesApproved, Text("纪要已审定", "The minutes are approved")),
}


def create_app(settings: Settings | None = None, registry_transport: httpx.AsyncBaseTransport | None = None) -> FastAPI:
    """Build the app; `uvicorn elections.app:create_app --factory` serves it."""
    settings = settings or Settings()
    return create_service_app(
        name="elections",
        title="Elections",
        description="Legal-entity elections of each community's governance committee, and its deliberation:"
        " proposals, meetings, consultations and accountability.",
        settings=settings,
        routers=[
            about_router("/v1/elections", "elections"),
            election_router,
            committee_router,
            action_router,
            proposal_router,
            meeting_router,
            consultation_router,
            event_feed_router(platform_tables.outbox_event),
        ],
        constraint_problems=CONSTRAINT_PROBLEMS,
        idempotency_table=platform_tables.idempotency_key,
        resources=[functools.partial(registry_client, transport=registry_transport)],
        background_tasks=[registry_feed, hot_path_pool, periodic_jobs],
        express_routes=[
            cast,
            answer_consultation,
        ],  # served without FastAPI's per-request machinery (shared/express.py)
    )
