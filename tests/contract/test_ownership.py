"""The ownership sweep (issue 15, "ownership pairs"): for every route of `tests/route_roles.txt` whose
path names a resource owned by a community, an enterprise, a partner or a person, a caller holding a
role the route lets in, but of ANOTHER community / enterprise / partner / person, is refused with
the 403 or 404 the operation documents, never a 2xx.

The records are built once for the module, through the real gateway (the platform of the contract
gate), as their owners would (`_build`): communities A and B with a building, an enterprise, a grid
and a bank each, and in A what the routes act on: a request routed to A's bank, an activity, two
elections (one in nomination, one with voting open), grid field work, a facility, a webhook
endpoint, an invitation, and a person signed in by SMS with a grid role. Each route is then called
by the outsider of every role it lists (`World.outsider`), with a body its owner could send.

A route with a path id must be in CASES or in EXEMPT (with the reason it is not owner-scoped, or the
test that covers it instead): `test_every_route_with_a_path_id_is_swept_or_exempt` fails otherwise,
so a new route cannot escape the sweep. docs/security.md, "The ownership sweep", says how to add one.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared.auth import Identity, Role
from shared.dates import business_today
from tests.contract.gate import served_document
from tests.e2e.conftest import RunningPlatform, create_bank, financing_type_body
from tests.support.database import truncate_all
from tests.support.identities import admin, identity, staff

pytestmark = pytest.mark.e2e

ROLE_TABLE = Path(__file__).resolve().parent.parent / "route_roles.txt"
REFUSALS = (403, 404)


def _table() -> dict[tuple[str, str], frozenset[Role]]:
    rows = {}
    for line in ROLE_TABLE.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            _, method, path, roles = line.split()
            rows[(method, path)] = frozenset(Role(role) for role in roles.split(","))
    return rows


TABLE = _table()


@dataclass
class World:
    """The ids of what the module built; `a_*` belong to community A (and its enterprise, bank,
    election), `b_*` to community B, whose members are the outsiders."""

    ids: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, name: str) -> str:
        return self.ids[name]

    def outsider(self, role: Role) -> Identity:
        """A caller of `role` who owns nothing in community A: B's staff, B's enterprise, B's bank,
        a worker of B's grid, an observer of another election, another account."""
        b = uuid.UUID(self["b_community"])
        b_enterprise = uuid.UUID(self["b_enterprise"])
        if role is Role.community_staff:
            return staff(b)
        if role is Role.grid_worker:
            return identity(role, grid_ids=[uuid.UUID(self["b_grid"])])
        if role in (Role.enterprise_rep, Role.employee):
            return identity(role, enterprise_id=b_enterprise, community_ids=[b])
        if role is Role.partner:
            return identity(role, partner_id=uuid.UUID(self["b_bank"]), partner_kind="bank")
        if role is Role.election_observer:
            return identity(role, election_ids=[uuid.uuid4()])
        return identity(role)

    def coworker(self) -> Identity:
        """Another employee of A's enterprise: the same enterprise, not the same person."""
        return identity(
            Role.employee, enterprise_id=uuid.UUID(self["a_enterprise"]), community_ids=[uuid.UUID(self["a_community"])]
        )


Body = Callable[[World], dict[str, Any] | None]


@dataclass(frozen=True)
class Case:
    """One route of the sweep: its concrete path and a body its owner could send."""

    path: Callable[[World], str]
    body: Body = lambda world: None
    # more outsiders than the one of each listed role (another person of the same enterprise)
    also: Callable[[World], tuple[Identity, ...]] = lambda world: ()


def _attachment_body() -> dict[str, Any]:
    return {"name": "现场.jpg", "content_type": "image/jpeg", "size": 1000, "sha256": "0" * 64}


def _today() -> str:
    return business_today().isoformat()


def _soon(days: int) -> str:
    return (business_today() + dt.timedelta(days=days)).isoformat()


CASES: dict[tuple[str, str], Case] = {
    # registry: writes by the owning community's staff (and the enterprise's own representative)
    ("PATCH", "/v1/communities/{community_id}"): Case(
        lambda w: f"/v1/communities/{w['a_community']}", lambda w: {"street": "西兴街道"}
    ),
    # issue 18: the community statistics export, talent totals included, for its own staff
    ("GET", "/v1/communities/{community_id}/stats/export"): Case(
        lambda w: f"/v1/communities/{w['a_community']}/stats/export?format=csv"
    ),
    ("PATCH", "/v1/buildings/{building_id}"): Case(
        lambda w: f"/v1/buildings/{w['a_building']}", lambda w: {"floors": 12}
    ),
    ("POST", "/v1/buildings/{building_id}/transfers"): Case(
        lambda w: f"/v1/buildings/{w['a_building']}/transfers",
        lambda w: {"to_community_id": w["b_community"], "effective_on": _soon(30), "reason": "区划调整"},
    ),
    ("PATCH", "/v1/enterprises/{enterprise_id}"): Case(
        lambda w: f"/v1/enterprises/{w['a_enterprise']}", lambda w: {"contact_name": "赵六"}
    ),
    ("PUT", "/v1/enterprises/{enterprise_id}/representative"): Case(
        lambda w: f"/v1/enterprises/{w['a_enterprise']}/representative",
        lambda w: {"name": "钱七", "phone": "13900000001", "user_subject": "outsider-subject"},
    ),
    ("POST", "/v1/enterprises/{enterprise_id}/status-changes"): Case(
        lambda w: f"/v1/enterprises/{w['a_enterprise']}/status-changes",
        lambda w: {"status": "moved_out", "effective_on": _today()},
    ),
    ("POST", "/v1/enterprises/{enterprise_id}/occupancies"): Case(
        lambda w: f"/v1/enterprises/{w['a_enterprise']}/occupancies",
        lambda w: {"building_id": w["b_building"], "floor": "2", "unit": "201", "valid_from": _today()},
    ),
    ("POST", "/v1/enterprises/{enterprise_id}/occupancies/{occupancy_id}/end"): Case(
        lambda w: f"/v1/enterprises/{w['a_enterprise']}/occupancies/{w['a_occupancy']}/end",
        lambda w: {"valid_to": _soon(10)},
    ),
    ("POST", "/v1/enterprises/{enterprise_id}/headcounts"): Case(
        lambda w: f"/v1/enterprises/{w['a_enterprise']}/headcounts",
        lambda w: {"as_of": _today(), "employees": 12},
    ),
    # registry: policies (A's staff published one; it was offered to A's enterprise)
    ("GET", "/v1/policies/{policy_id}/matches"): Case(lambda w: f"/v1/policies/{w['a_policy']}/matches"),
    ("GET", "/v1/policies/{policy_id}/take-up"): Case(lambda w: f"/v1/policies/{w['a_policy']}/take-up"),
    ("POST", "/v1/policies/{policy_id}/matching"): Case(lambda w: f"/v1/policies/{w['a_policy']}/matching"),
    ("GET", "/v1/enterprises/{enterprise_id}/policies"): Case(
        lambda w: f"/v1/enterprises/{w['a_enterprise']}/policies"
    ),
    ("POST", "/v1/enterprises/{enterprise_id}/policies/{policy_id}/answer"): Case(
        lambda w: f"/v1/enterprises/{w['a_enterprise']}/policies/{w['a_policy']}/answer",
        lambda w: {"answer": "applied"},
    ),
    # service-requests
    ("PUT", "/v1/service-brands/{community_id}"): Case(
        lambda w: f"/v1/service-brands/{w['a_community']}",
        lambda w: {
            s: {"zh": "品牌", "en": "Brand"}
            for s in (
                "party_building",
                "enterprise_service",
                "life_service",
                "leisure",
                "personal_growth",
                "team_building",
            )
        },  # fmt: skip
    ),
    ("PUT", "/v1/service-types/{type_id}"): Case(
        lambda w: f"/v1/service-types/{w['a_type']}",
        lambda w: {
            key: value
            for key, value in financing_type_body(uuid.UUID(w["a_community"]), w["a_bank"]).items()
            if key not in ("community_id", "code")
        },
    ),
    ("GET", "/v1/service-requests/{request_id}"): Case(
        lambda w: f"/v1/service-requests/{w['a_request']}", also=lambda w: (w.coworker(),)
    ),
    ("POST", "/v1/service-requests/{request_id}/transitions"): Case(
        lambda w: f"/v1/service-requests/{w['a_request']}/transitions",
        lambda w: {"action": "accept"},
        also=lambda w: (w.coworker(),),
    ),
    ("POST", "/v1/service-requests/{request_id}/rating"): Case(
        lambda w: f"/v1/service-requests/{w['a_request']}/rating",
        lambda w: {"score": 5},
        also=lambda w: (w.coworker(),),
    ),
    ("POST", "/v1/service-requests/{request_id}/return-visits"): Case(
        lambda w: f"/v1/service-requests/{w['a_request']}/return-visits", lambda w: {"notes": "电话回访"}
    ),
    ("POST", "/v1/service-requests/{request_id}/comments"): Case(
        lambda w: f"/v1/service-requests/{w['a_request']}/comments",
        lambda w: {"body": "请补充材料"},
        also=lambda w: (w.coworker(),),
    ),
    ("GET", "/v1/service-requests/{request_id}/timeline"): Case(
        lambda w: f"/v1/service-requests/{w['a_request']}/timeline", also=lambda w: (w.coworker(),)
    ),
    ("POST", "/v1/service-requests/{request_id}/attachments"): Case(
        lambda w: f"/v1/service-requests/{w['a_request']}/attachments",
        lambda w: _attachment_body(),
        also=lambda w: (w.coworker(),),
    ),
    ("GET", "/v1/service-requests/{request_id}/attachments"): Case(
        lambda w: f"/v1/service-requests/{w['a_request']}/attachments", also=lambda w: (w.coworker(),)
    ),
    ("POST", "/v1/service-requests/{request_id}/attachments/{attachment_id}/confirm"): Case(
        lambda w: f"/v1/service-requests/{w['a_request']}/attachments/{w['a_request_attachment']}/confirm",
        also=lambda w: (w.coworker(),),
    ),
    ("DELETE", "/v1/service-requests/{request_id}/attachments/{attachment_id}"): Case(
        lambda w: f"/v1/service-requests/{w['a_request']}/attachments/{w['a_request_attachment']}",
        also=lambda w: (w.coworker(),),
    ),
    ("GET", "/v1/activities/{activity_id}"): Case(lambda w: f"/v1/activities/{w['a_activity']}"),
    ("POST", "/v1/activities/{activity_id}/cancellation"): Case(
        lambda w: f"/v1/activities/{w['a_activity']}/cancellation"
    ),
    ("POST", "/v1/activities/{activity_id}/enrollments"): Case(
        lambda w: f"/v1/activities/{w['a_activity']}/enrollments"
    ),
    ("DELETE", "/v1/activities/{activity_id}/enrollments"): Case(
        lambda w: f"/v1/activities/{w['a_activity']}/enrollments"
    ),
    ("GET", "/v1/activities/{activity_id}/enrollments"): Case(
        lambda w: f"/v1/activities/{w['a_activity']}/enrollments"
    ),
    ("GET", "/v1/activities/{activity_id}/enrollments/export"): Case(
        lambda w: f"/v1/activities/{w['a_activity']}/enrollments/export?format=csv"
    ),
    ("GET", "/v1/webhook-endpoints/{endpoint_id}"): Case(lambda w: f"/v1/webhook-endpoints/{w['a_endpoint']}"),
    ("POST", "/v1/webhook-endpoints/{endpoint_id}/rotate-secret"): Case(
        lambda w: f"/v1/webhook-endpoints/{w['a_endpoint']}/rotate-secret"
    ),
    ("POST", "/v1/webhook-endpoints/{endpoint_id}/disable"): Case(
        lambda w: f"/v1/webhook-endpoints/{w['a_endpoint']}/disable"
    ),
    ("GET", "/v1/webhook-endpoints/{endpoint_id}/messages"): Case(
        lambda w: f"/v1/webhook-endpoints/{w['a_endpoint']}/messages"
    ),
    ("POST", "/v1/webhook-endpoints/{endpoint_id}/messages/{message_id}/redeliver"): Case(
        lambda w: f"/v1/webhook-endpoints/{w['a_endpoint']}/messages/msg_{uuid.uuid4().hex}/redeliver"
    ),
    # elections: the election committee's working documents and acts belong to its community
    ("POST", "/v1/elections/{election_id}/transitions"): Case(
        lambda w: f"/v1/elections/{w['a_election']}/transitions", lambda w: {"to": "candidate_review"}
    ),
    ("POST", "/v1/elections/{election_id}/reruns"): Case(lambda w: f"/v1/elections/{w['a_election']}/reruns"),
    ("POST", "/v1/elections/{election_id}/candidates"): Case(
        lambda w: f"/v1/elections/{w['a_election']}/candidates", lambda w: {"name": "外社区候选人"}
    ),
    ("POST", "/v1/elections/{election_id}/candidates/{candidate_id}/nominations"): Case(
        lambda w: f"/v1/elections/{w['a_election']}/candidates/{w['a_candidate']}/nominations"
    ),
    ("POST", "/v1/elections/{election_id}/candidates/{candidate_id}/reviews"): Case(
        lambda w: f"/v1/elections/{w['a_election']}/candidates/{w['a_candidate']}/reviews",
        lambda w: {"decision": "approve", "reason": "资格审查通过"},
    ),
    ("POST", "/v1/elections/{election_id}/candidates/{candidate_id}/objections"): Case(
        lambda w: f"/v1/elections/{w['a_election']}/candidates/{w['a_candidate']}/objections",
        lambda w: {"reason": "不是本社区企业"},
    ),
    ("GET", "/v1/elections/{election_id}/objections"): Case(lambda w: f"/v1/elections/{w['a_election']}/objections"),
    ("POST", "/v1/elections/{election_id}/objections/{objection_id}/decisions"): Case(
        lambda w: f"/v1/elections/{w['a_election']}/objections/{uuid.uuid4()}/decisions",
        lambda w: {"decision": "upheld", "reason": "核实"},
    ),
    ("GET", "/v1/elections/{election_id}/roll"): Case(lambda w: f"/v1/elections/{w['a_election']}/roll"),
    ("POST", "/v1/elections/{election_id}/roll/amendments"): Case(
        lambda w: f"/v1/elections/{w['a_election']}/roll/amendments",
        lambda w: {"action": "remove", "enterprise_id": w["a_enterprise"], "reason": "迁出"},
    ),
    ("POST", "/v1/elections/{election_id}/ballots"): Case(
        lambda w: f"/v1/elections/{w['a_voting']}/ballots", lambda w: {"choices": []}
    ),
    ("GET", "/v1/elections/{election_id}/turnout"): Case(lambda w: f"/v1/elections/{w['a_election']}/turnout"),
    ("POST", "/v1/elections/{election_id}/lots"): Case(
        lambda w: f"/v1/elections/{w['a_election']}/lots", lambda w: {"values": [1]}
    ),
    ("POST", "/v1/elections/{election_id}/certifications"): Case(
        lambda w: f"/v1/elections/{w['a_election']}/certifications",
        lambda w: {"result_hash": "0" * 64, "public_key": "0" * 64, "signature": "0" * 128},
    ),
    # grid: a community's grids and their field work
    ("GET", "/v1/grids/campaigns/{campaign_id}"): Case(lambda w: f"/v1/grids/campaigns/{w['a_campaign']}"),
    ("POST", "/v1/grids/campaigns/{campaign_id}/check-ins"): Case(
        lambda w: f"/v1/grids/campaigns/{w['a_campaign']}/check-ins",
        lambda w: {"building_id": w["a_building"], "grid_id": w["a_grid"], "people_on_site": 3},
    ),
    ("GET", "/v1/grids/campaigns/{campaign_id}/today"): Case(lambda w: f"/v1/grids/campaigns/{w['a_campaign']}/today"),
    ("POST", "/v1/grids/campaigns/{campaign_id}/end"): Case(
        lambda w: f"/v1/grids/campaigns/{w['a_campaign']}/end", lambda w: {"ends_on": _today()}
    ),
    ("GET", "/v1/grids/communities/{community_id}/settings"): Case(
        lambda w: f"/v1/grids/communities/{w['a_community']}/settings"
    ),
    ("PUT", "/v1/grids/communities/{community_id}/settings"): Case(
        lambda w: f"/v1/grids/communities/{w['a_community']}/settings", lambda w: {"patrol_interval_days": 7}
    ),
    ("GET", "/v1/grids/{grid_id}"): Case(lambda w: f"/v1/grids/{w['a_grid']}"),
    ("PATCH", "/v1/grids/{grid_id}"): Case(lambda w: f"/v1/grids/{w['a_grid']}", lambda w: {"name": "外来网格"}),
    ("POST", "/v1/grids/{grid_id}/retirement"): Case(
        lambda w: f"/v1/grids/{w['a_grid']}/retirement", lambda w: {"retired_on": _soon(30)}
    ),
    ("POST", "/v1/grids/{grid_id}/assignments"): Case(
        lambda w: f"/v1/grids/{w['a_grid']}/assignments",
        lambda w: {"building_id": w["a_building"], "floor_from": 20, "valid_from": _today()},
    ),
    ("GET", "/v1/grids/{grid_id}/assignments"): Case(lambda w: f"/v1/grids/{w['a_grid']}/assignments"),
    ("POST", "/v1/grids/{grid_id}/assignments/{assignment_id}/end"): Case(
        lambda w: f"/v1/grids/{w['a_grid']}/assignments/{w['a_assignment']}/end",
        lambda w: {"ended_on": _soon(30)},
    ),
    ("POST", "/v1/grids/{grid_id}/duties"): Case(
        lambda w: f"/v1/grids/{w['a_grid']}/duties",
        lambda w: {"worker_id": w["a_worker"], "role": "deputy", "valid_from": _today()},
    ),
    ("GET", "/v1/grids/{grid_id}/duties"): Case(lambda w: f"/v1/grids/{w['a_grid']}/duties"),
    ("POST", "/v1/grids/{grid_id}/duties/{duty_id}/end"): Case(
        lambda w: f"/v1/grids/{w['a_grid']}/duties/{w['a_duty']}/end", lambda w: {"ended_on": _soon(30)}
    ),
    ("GET", "/v1/grid-workers/{worker_id}"): Case(lambda w: f"/v1/grid-workers/{w['a_worker']}"),
    ("GET", "/v1/grid-workers/{worker_id}/duties"): Case(lambda w: f"/v1/grid-workers/{w['a_worker']}/duties"),
    ("GET", "/v1/grids/{grid_id}/stale-buildings"): Case(lambda w: f"/v1/grids/{w['a_grid']}/stale-buildings"),
    ("GET", "/v1/grids/{grid_id}/summary"): Case(lambda w: f"/v1/grids/{w['a_grid']}/summary"),
    ("GET", "/v1/inspections/{inspection_id}"): Case(lambda w: f"/v1/inspections/{w['a_inspection']}"),
    ("GET", "/v1/hazards/{hazard_id}"): Case(lambda w: f"/v1/hazards/{w['a_hazard']}"),
    ("POST", "/v1/hazards/{hazard_id}/transitions"): Case(
        lambda w: f"/v1/hazards/{w['a_hazard']}/transitions", lambda w: {"action": "start_rectification"}
    ),
    # the residents' side (issue 18): A's enterprise answers its hazard, A's residents see their grid worker
    ("POST", "/v1/hazards/{hazard_id}/replies"): Case(
        lambda w: f"/v1/hazards/{w['a_hazard']}/replies", lambda w: {"note": "已清理", "rectified": True}
    ),
    ("GET", "/v1/grids/buildings/{building_id}/grid-worker"): Case(
        lambda w: f"/v1/grids/buildings/{w['a_building']}/grid-worker"
    ),
    ("GET", "/v1/grid-events/{event_id}"): Case(lambda w: f"/v1/grid-events/{w['a_event']}"),
    ("POST", "/v1/grid-events/{event_id}/transitions"): Case(
        lambda w: f"/v1/grid-events/{w['a_event']}/transitions", lambda w: {"action": "accept"}
    ),
    ("POST", "/v1/hazards/{hazard_id}/attachments"): Case(
        lambda w: f"/v1/hazards/{w['a_hazard']}/attachments", lambda w: _attachment_body()
    ),
    ("GET", "/v1/hazards/{hazard_id}/attachments"): Case(lambda w: f"/v1/hazards/{w['a_hazard']}/attachments"),
    ("POST", "/v1/hazards/{hazard_id}/attachments/{attachment_id}/confirm"): Case(
        lambda w: f"/v1/hazards/{w['a_hazard']}/attachments/{w['a_hazard_attachment']}/confirm"
    ),
    ("DELETE", "/v1/hazards/{hazard_id}/attachments/{attachment_id}"): Case(
        lambda w: f"/v1/hazards/{w['a_hazard']}/attachments/{w['a_hazard_attachment']}"
    ),
    ("POST", "/v1/grid-events/{event_id}/attachments"): Case(
        lambda w: f"/v1/grid-events/{w['a_event']}/attachments", lambda w: _attachment_body()
    ),
    ("GET", "/v1/grid-events/{event_id}/attachments"): Case(lambda w: f"/v1/grid-events/{w['a_event']}/attachments"),
    ("POST", "/v1/grid-events/{event_id}/attachments/{attachment_id}/confirm"): Case(
        lambda w: f"/v1/grid-events/{w['a_event']}/attachments/{w['a_event_attachment']}/confirm"
    ),
    ("DELETE", "/v1/grid-events/{event_id}/attachments/{attachment_id}"): Case(
        lambda w: f"/v1/grid-events/{w['a_event']}/attachments/{w['a_event_attachment']}"
    ),
    ("POST", "/v1/inspections/{inspection_id}/attachments"): Case(
        lambda w: f"/v1/inspections/{w['a_inspection']}/attachments", lambda w: _attachment_body()
    ),
    ("GET", "/v1/inspections/{inspection_id}/attachments"): Case(
        lambda w: f"/v1/inspections/{w['a_inspection']}/attachments"
    ),
    ("POST", "/v1/inspections/{inspection_id}/attachments/{attachment_id}/confirm"): Case(
        lambda w: f"/v1/inspections/{w['a_inspection']}/attachments/{w['a_inspection_attachment']}/confirm"
    ),
    ("DELETE", "/v1/inspections/{inspection_id}/attachments/{attachment_id}"): Case(
        lambda w: f"/v1/inspections/{w['a_inspection']}/attachments/{w['a_inspection_attachment']}"
    ),
    ("PATCH", "/v1/facilities/{facility_id}"): Case(
        lambda w: f"/v1/facilities/{w['a_facility']}", lambda w: {"name": "外社区改名"}
    ),
    # identity: a person's sessions, grants of a grid's role, an enterprise's invitations and join requests
    ("DELETE", "/v1/auth/sessions/{session_id}"): Case(lambda w: f"/v1/auth/sessions/{w['a_session']}"),
    ("POST", "/v1/accounts/{account_id}/grants"): Case(
        lambda w: f"/v1/accounts/{w['a_account']}/grants", lambda w: {"role": "grid_worker", "grid_id": w["a_grid"]}
    ),
    ("DELETE", "/v1/accounts/{account_id}/grants/{grant_id}"): Case(
        lambda w: f"/v1/accounts/{w['a_account']}/grants/{w['a_grant']}"
    ),
    # identity: an enterprise's invitations and join requests are its representative's
    ("POST", "/v1/accounts/enterprises/{enterprise_id}/invitations"): Case(
        lambda w: f"/v1/accounts/enterprises/{w['a_enterprise']}/invitations", lambda w: {"expires_in_hours": 24}
    ),
    ("GET", "/v1/accounts/enterprises/{enterprise_id}/invitations"): Case(
        lambda w: f"/v1/accounts/enterprises/{w['a_enterprise']}/invitations"
    ),
    ("DELETE", "/v1/accounts/enterprises/{enterprise_id}/invitations/{invitation_id}"): Case(
        lambda w: f"/v1/accounts/enterprises/{w['a_enterprise']}/invitations/{w['a_invitation']}"
    ),
    ("GET", "/v1/accounts/enterprises/{enterprise_id}/join-requests"): Case(
        lambda w: f"/v1/accounts/enterprises/{w['a_enterprise']}/join-requests"
    ),
    ("POST", "/v1/accounts/enterprises/{enterprise_id}/join-requests/{request_id}/approve"): Case(
        lambda w: f"/v1/accounts/enterprises/{w['a_enterprise']}/join-requests/{uuid.uuid4()}/approve"
    ),
    ("POST", "/v1/accounts/enterprises/{enterprise_id}/join-requests/{request_id}/reject"): Case(
        lambda w: f"/v1/accounts/enterprises/{w['a_enterprise']}/join-requests/{uuid.uuid4()}/reject"
    ),
    # deliberation: a community's proposals and consultations (read by its members, acted on by its staff)
    ("GET", "/v1/proposals/{proposal_id}"): Case(lambda w: f"/v1/proposals/{w['a_proposal']}"),
    ("POST", "/v1/proposals/{proposal_id}/supports"): Case(lambda w: f"/v1/proposals/{w['a_proposal']}/supports"),
    ("POST", "/v1/proposals/{proposal_id}/merges"): Case(
        lambda w: f"/v1/proposals/{w['a_proposal']}/merges", lambda w: {"into": w["a_proposal_twin"]}
    ),
    ("POST", "/v1/proposals/{proposal_id}/answers"): Case(
        lambda w: f"/v1/proposals/{w['a_proposal']}/answers", lambda w: {"answer": "已转交"}
    ),
    ("GET", "/v1/consultations/{consultation_id}"): Case(lambda w: f"/v1/consultations/{w['a_consultation']}"),
    ("POST", "/v1/consultations/{consultation_id}/transitions"): Case(
        lambda w: f"/v1/consultations/{w['a_consultation']}/transitions", lambda w: {"to": "closed"}
    ),
    ("POST", "/v1/consultations/{consultation_id}/answers"): Case(
        lambda w: f"/v1/consultations/{w['a_consultation']}/answers", lambda w: {"answers": {"site": "a"}}
    ),
    ("GET", "/v1/consultations/{consultation_id}/results"): Case(
        lambda w: f"/v1/consultations/{w['a_consultation']}/results"
    ),
}

PUBLIC = "public to every role it lists (docs/security.md, read policy)"
ADMIN_ONLY = "platform admins only: no caller of another owner holds a listed role"
SERVICE_ONLY = "internal, for platform services (and admins) only; the gateway never routes it"
COMMITTEE_SWEPT = (
    "a committee needs a certified election, which the sweep does not build: tests/elections/test_outsiders.py"
    " calls it as the outsider of each listed role"
)
EXEMPT: dict[tuple[str, str], str] = {
    ("GET", "/v1/committees/{committee_id}"): COMMITTEE_SWEPT,
    ("GET", "/v1/committees/{committee_id}/actions"): COMMITTEE_SWEPT,
    ("POST", "/v1/committees/{committee_id}/actions/{action_id}/updates"): COMMITTEE_SWEPT,
    ("GET", "/v1/meetings/{meeting_id}"): COMMITTEE_SWEPT,
    ("POST", "/v1/meetings/{meeting_id}/attendance"): COMMITTEE_SWEPT,
    ("POST", "/v1/meetings/{meeting_id}/items/{item_id}/votes"): COMMITTEE_SWEPT,
    ("POST", "/v1/meetings/{meeting_id}/items/{item_id}/decisions"): COMMITTEE_SWEPT,
    ("PUT", "/v1/meetings/{meeting_id}/minutes"): COMMITTEE_SWEPT,
    ("POST", "/v1/meetings/{meeting_id}/minutes/approvals"): COMMITTEE_SWEPT,
    ("POST", "/v1/notifications/{notification_id}/read"): "owner only, by the token's subject: another "
    "person's notification is 404 (tests/notifications/test_inbox.py, two employees of one enterprise)",
    ("POST", "/v1/notifications/dead-letters/{notification_id}/retry"): ADMIN_ONLY,
    ("PUT", "/v1/notifications/kinds/{kind}"): "{kind} is a rule's name, not an id; the preference written is "
    "always the caller's own (by token subject)",
    ("GET", "/v1/communities/{community_id}"): PUBLIC,
    ("DELETE", "/v1/communities/{community_id}"): ADMIN_ONLY,
    ("GET", "/v1/communities/{community_id}/buildings"): PUBLIC,
    ("GET", "/v1/communities/{community_id}/stats"): PUBLIC,
    ("GET", "/v1/buildings/{building_id}"): PUBLIC,
    ("GET", "/v1/buildings/{building_id}/jurisdiction"): PUBLIC,
    ("GET", "/internal/communities/{community_id}/roll"): SERVICE_ONLY,
    ("GET", "/internal/communities/{community_id}/headcounts"): SERVICE_ONLY,
    ("GET", "/internal/communities/{community_id}/building-counts"): SERVICE_ONLY,
    ("GET", "/v1/enterprises/{enterprise_id}"): PUBLIC + "; its private fields: tests/registry/test_read_policy.py",
    ("GET", "/v1/enterprises/{enterprise_id}/status-history"): PUBLIC,
    ("GET", "/v1/enterprises/{enterprise_id}/occupancies"): PUBLIC,
    ("GET", "/v1/enterprises/{enterprise_id}/headcounts"): PUBLIC,
    ("GET", "/v1/policies/{policy_id}"): PUBLIC
    + " (a policy is published for enterprises to read; its matches are not)",
    ("PUT", "/internal/enterprises/{enterprise_id}/representative/subject"): SERVICE_ONLY,
    ("GET", "/v1/service-types/{type_id}"): PUBLIC + " (the catalogue is browsed across communities)",
    ("GET", "/v1/service-types/{type_id}/workflow"): PUBLIC,
    ("GET", "/v1/service-brands/{community_id}"): PUBLIC + " (brand names are shown with the catalogue)",
    ("GET", "/v1/working-calendar/{year}"): ADMIN_ONLY,
    ("PUT", "/v1/working-calendar/{year}"): ADMIN_ONLY,
    ("POST", "/open311/v2/requests.{format}"): "{format} is json or xml, not an id; it files a new request",
    ("GET", "/v1/elections/{election_id}"): PUBLIC + " (an election is a public announcement, 公示)",
    ("GET", "/v1/elections/{election_id}/candidates"): PUBLIC + " (candidates are announced, 公示)",
    ("GET", "/v1/elections/{election_id}/trackers/{code}"): PUBLIC + " (the verifiable record)",
    ("GET", "/v1/elections/{election_id}/result"): PUBLIC + " (the verifiable record)",
    ("GET", "/v1/elections/{election_id}/record"): PUBLIC + " (the verifiable record)",
    ("GET", "/v1/elections/{election_id}/certificate"): PUBLIC + " (the verifiable record)",
    ("GET", "/v1/facilities/{facility_id}"): PUBLIC + " (public amenities)",
    ("PUT", "/v1/circles/{kind}"): "{kind} is a facility kind, not an id; the community is in the body "
    "(tests/grid/test_circles.py refuses another community's staff)",
    ("GET", "/internal/grids/{grid_id}"): SERVICE_ONLY,
    ("POST", "/v1/partners/{partner_id}/api-keys"): ADMIN_ONLY,
    ("DELETE", "/v1/partners/{partner_id}/api-keys/{key_id}"): ADMIN_ONLY,
    ("PUT", "/v1/partners/{partner_id}/signing-key"): ADMIN_ONLY,
    ("DELETE", "/v1/partners/{partner_id}/signing-key"): ADMIN_ONLY,
    ("GET", "/v1/accounts/{account_id}"): ADMIN_ONLY,
    ("POST", "/v1/accounts/{account_id}/disable"): ADMIN_ONLY,
    ("POST", "/v1/accounts/{account_id}/enable"): ADMIN_ONLY,
}


def test_every_route_with_a_path_id_is_swept_or_exempt() -> None:
    with_ids = {key for key in TABLE if "{" in key[1]}
    assert CASES.keys() & EXEMPT.keys() == set(), "a route is both swept and exempt"
    unswept = sorted(" ".join(key) for key in with_ids - CASES.keys() - EXEMPT.keys())
    assert unswept == [], "add these routes to CASES (or EXEMPT, with a reason) in tests/contract/test_ownership.py"
    stale = sorted(" ".join(key) for key in (CASES.keys() | EXEMPT.keys()) - with_ids)
    assert stale == [], "these routes are gone from tests/route_roles.txt"


@pytest.fixture(autouse=True)
async def clean_database() -> AsyncIterator[None]:
    """The module's records stay for all its tests; `world` empties the tables once, at its end."""
    yield


@pytest.fixture(scope="module")
async def world(platform: RunningPlatform, database_url: str) -> AsyncIterator[World]:
    """Communities A and B with what their owners made, through the gateway; emptied at the end."""
    world = World()
    try:
        async with platform.client(timeout=30) as client:
            await _build(platform, client, world)
        yield world
    finally:
        await truncate_all(database_url)


async def _build(platform: RunningPlatform, client: httpx.AsyncClient, world: World) -> None:
    ids = world.ids

    async def made(method: str, path: str, who: Identity, status: int = 201, **request: Any) -> Any:
        answer = await client.request(method, path, headers=platform.auth(who), **request)
        assert answer.status_code == status, f"building the world: {method} {path}: {answer.status_code} {answer.text}"
        return answer.json() if answer.content else None

    for side in ("a", "b"):
        code = f"OWN-{side.upper()}-{secrets.token_hex(2).upper()}"
        body: dict[str, Any] = {
            "code": code,
            "name_zh": code,
            "name_en": code,
            "type": "business_building",
            "street": "长河街道",
        }
        community = (await made("POST", "/v1/communities", admin(), json=body))["id"]
        ids[f"{side}_community"] = community
        body = {
            "name": f"{code} 大厦",
            "kind": "office_tower",
            "address": "江南大道",
            "floors": 30,
            "community_id": community,
            "valid_from": "2020-01-01",
        }
        ids[f"{side}_building"] = (await made("POST", "/v1/buildings", admin(), json=body))["id"]
        owner = staff(uuid.UUID(community))
        enterprise = {
            "uscc": _uscc(),
            "name": f"杭州{code}科技有限公司",
            "legal_representative": "张三",
            "industry_section": "I",
            "industry_code": "6513",
            "contact_name": "李四",
            "contact_phone": "13800000000",
            "site": {"building_id": ids[f"{side}_building"], "floor": "8", "unit": "801", "valid_from": "2021-01-01"},
        }
        ids[f"{side}_enterprise"] = (await made("POST", "/v1/enterprises", owner, json=enterprise))["id"]
        grid = {"community_id": community, "valid_from": "2021-01-01", "name": f"{code} 网格", "kind": "dedicated"}
        ids[f"{side}_grid"] = (await made("POST", "/v1/grids", owner, json=grid))["id"]
        ids[f"{side}_bank"], _ = await create_bank(client, platform)

    a_staff = staff(uuid.UUID(ids["a_community"]))
    a_community = uuid.UUID(ids["a_community"])
    a_enterprise = uuid.UUID(ids["a_enterprise"])
    policy: dict[str, Any] = {"community_id": ids["a_community"], "title": "A 社区人才政策", "issuer": "滨江区人社局"}
    policy |= {"summary": "人才补贴", "valid_from": "2026-01-01", "rules": []}
    ids["a_policy"] = (await made("POST", "/v1/policies", a_staff, json=policy))["id"]
    occupancies = await made("GET", f"/v1/enterprises/{ids['a_enterprise']}/occupancies", a_staff, 200)
    ids["a_occupancy"] = (occupancies["items"] if isinstance(occupancies, dict) else occupancies)[0]["id"]

    # service-requests: a financing type routed to A's bank, a request of A's enterprise, an activity
    service_type = financing_type_body(a_community, ids["a_bank"]) | {"requester_roles": ["enterprise_rep", "employee"]}
    ids["a_type"] = (await made("POST", "/v1/service-types", a_staff, json=service_type))["id"]
    requester = identity(Role.employee, enterprise_id=a_enterprise, community_ids=[a_community])
    request = {"type_id": ids["a_type"], "description": "融资对接", "answers": {"amount": 500}, "share_consent": True}
    ids["a_request"] = (await made("POST", "/v1/service-requests", requester, json=request))["id"]
    path = f"/v1/service-requests/{ids['a_request']}/attachments"
    ids["a_request_attachment"] = (await made("POST", path, requester, json=_attachment_body()))["id"]
    activity = {
        "community_id": ids["a_community"],
        "title": "直播电商技能培训",
        "scenario": "personal_growth",
        "starts_at": f"{_soon(7)}T06:00:00Z",
        "ends_at": f"{_soon(7)}T08:00:00Z",
        "place": "党群服务中心 3 楼",
        "capacity": 40,
        "eligible_roles": ["enterprise_rep", "employee"],
    }
    ids["a_activity"] = (await made("POST", "/v1/activities", a_staff, json=activity))["id"]
    a_bank = identity(Role.partner, partner_id=uuid.UUID(ids["a_bank"]), partner_kind="bank")
    endpoint = {"url": "https://127.0.0.1:9/hook", "description": "A's bank"}
    ids["a_endpoint"] = (await made("POST", "/v1/webhook-endpoints", a_bank, json=endpoint))["id"]

    # elections: a draft election of A in nomination, with a candidate of A's enterprise
    election = {"community_id": ids["a_community"], "title": "A 社区治理委员会选举", "record_date": _today()}
    ids["a_election"] = (await made("POST", "/v1/elections", a_staff, json=election))["id"]
    await made("POST", f"/v1/elections/{ids['a_election']}/transitions", a_staff, 200, json={"to": "nomination"})
    representative = identity(Role.enterprise_rep, enterprise_id=a_enterprise, community_ids=[a_community])
    candidate = {"name": "王芳", "profile": "企业代表"}
    path = f"/v1/elections/{ids['a_election']}/candidates"
    ids["a_candidate"] = (await made("POST", path, representative, json=candidate))["id"]

    # and one of A's elections with voting open (five seats, six candidates, A's enterprise on the roll)
    voting = election | {"title": "A 社区第二届选举", "rules": {"seats": 5}, "objection_window_hours": 0}
    ids["a_voting"] = (await made("POST", "/v1/elections", a_staff, json=voting))["id"]
    moves = f"/v1/elections/{ids['a_voting']}/transitions"
    await made("POST", moves, a_staff, 200, json={"to": "nomination"})
    path = f"/v1/elections/{ids['a_voting']}/candidates"
    nominees = []
    for number in range(6):
        nominee = identity(Role.enterprise_rep, enterprise_id=uuid.uuid4(), community_ids=[a_community])
        nominees.append((await made("POST", path, nominee, json={"name": f"候选人{number + 1}"}))["id"])
    await made("POST", moves, a_staff, 200, json={"to": "candidate_review"})
    for nominee_id in nominees:
        review = {"decision": "approve", "reason": "资格审查通过"}
        await made("POST", f"{path}/{nominee_id}/reviews", a_staff, 200, json=review)
    for status in ("candidates_published", "roll_frozen", "voting_open"):
        await made("POST", moves, a_staff, 200, json={"to": status})

    # grid: a worker on duty in A's grid, an assignment, a campaign, an inspection with a hazard,
    # an event and a facility
    worker = {"community_id": ids["a_community"], "name": "王芳", "phone": "13800000000", "user_subject": "own-a"}
    ids["a_worker"] = (await made("POST", "/v1/grid-workers", a_staff, json=worker))["id"]
    duty = {"worker_id": ids["a_worker"], "role": "primary", "valid_from": "2021-01-01"}
    ids["a_duty"] = (await made("POST", f"/v1/grids/{ids['a_grid']}/duties", a_staff, json=duty))["id"]
    assignment = {"building_id": ids["a_building"], "floor_to": 10, "valid_from": "2021-01-01"}
    path = f"/v1/grids/{ids['a_grid']}/assignments"
    ids["a_assignment"] = (await made("POST", path, a_staff, json=assignment))["id"]
    campaign = {"community_id": ids["a_community"], "name": "流感排查", "starts_on": _today()}
    ids["a_campaign"] = (await made("POST", "/v1/grids/campaigns", a_staff, json=campaign))["id"]
    visit = {
        "grid_id": ids["a_grid"],
        "building_id": ids["a_building"],
        "floor": 3,
        "enterprise_id": ids["a_enterprise"],  # the hazard names A's enterprise, which may answer it
        "visited_on": _today(),
        "findings": [{"description": "消防通道堆放杂物", "level": "major", "raise_hazard": True}],
    }
    inspection = await made("POST", "/v1/inspections", a_staff, json=visit)
    ids["a_inspection"], ids["a_hazard"] = inspection["id"], inspection["hazard_ids"][0]
    event = {"community_id": ids["a_community"], "grid_id": ids["a_grid"], "category": "fire", "title": "消防栓漏水"}
    ids["a_event"] = (await made("POST", "/v1/grid-events", a_staff, json=event))["id"]
    facility = {"community_id": ids["a_community"], "kind": "life", "name": "卫生服务站", "lat": 30.2, "lon": 120.2}
    ids["a_facility"] = (await made("POST", "/v1/facilities", a_staff, json=facility))["id"]
    for kind, item in (("hazards", "a_hazard"), ("grid-events", "a_event"), ("inspections", "a_inspection")):
        asked = await made("POST", f"/v1/{kind}/{ids[item]}/attachments", a_staff, json=_attachment_body())
        ids[f"{item}_attachment"] = asked["id"]  # pending: the sweep's calls are refused before it matters

    # deliberation: two proposals of A (an employee's) and an open consultation of A's enterprises
    proposal = {"community_id": ids["a_community"], "title": "增设停车区", "body": "午间占道", "category": "traffic"}
    author = identity(Role.employee, enterprise_id=a_enterprise, community_ids=[a_community])
    ids["a_proposal"] = (await made("POST", "/v1/proposals", author, json=proposal))["id"]
    ids["a_proposal_twin"] = (await made("POST", "/v1/proposals", author, json=proposal))["id"]
    question: dict[str, Any] = {"code": "site", "label_zh": "选址", "label_en": "Site", "datatype": "single_choice"}
    question["choices"] = [{"key": "a", "label_zh": "甲", "label_en": "A"}]
    survey: dict[str, Any] = {"community_id": ids["a_community"], "title": "选址征询", "audience": "enterprises"}
    survey |= {"questions": [question], "closes_at": f"{_soon(7)}T09:00:00Z"}
    ids["a_consultation"] = (await made("POST", "/v1/consultations", a_staff, json=survey))["id"]
    await made("POST", f"/v1/consultations/{ids['a_consultation']}/transitions", a_staff, 200, json={"to": "open"})

    # identity: a person of A signed in by SMS (their session), on duty in A's grid with its role granted
    pair = await _sms_sign_in(platform, client, "139" + "".join(secrets.choice("0123456789") for _ in range(8)))
    bearer = {"Authorization": f"Bearer {pair['access_token']}"}
    sessions = await client.get("/v1/auth/sessions", headers=bearer)
    assert sessions.status_code == 200, sessions.text
    ids["a_session"] = sessions.json()["items"][0]["id"]
    me = await client.get("/v1/accounts/me", headers=bearer)
    assert me.status_code == 200, me.text
    ids["a_account"] = account = me.json()["id"]
    person = {"community_id": ids["a_community"], "name": "李雷", "phone": "13800000001", "user_subject": account}
    on_duty = (await made("POST", "/v1/grid-workers", a_staff, json=person))["id"]
    duty = {"worker_id": on_duty, "role": "deputy", "valid_from": "2021-01-01"}
    await made("POST", f"/v1/grids/{ids['a_grid']}/duties", a_staff, json=duty)
    grant = {"role": "grid_worker", "grid_id": ids["a_grid"]}
    ids["a_grant"] = (await made("POST", f"/v1/accounts/{ids['a_account']}/grants", admin(), json=grant))["id"]

    # identity: an invitation of A's enterprise
    path = f"/v1/accounts/enterprises/{ids['a_enterprise']}/invitations"
    ids["a_invitation"] = (await made("POST", path, representative, json={"expires_in_hours": 24}))["id"]


async def _sms_sign_in(platform: RunningPlatform, client: httpx.AsyncClient, phone: str) -> dict[str, Any]:
    """A person's sign-in by SMS code through the gateway (read from the fake phone); the sign-in
    paths share one anonymous budget per address, which an earlier gate may have spent."""
    for _ in range(3):
        sent = await client.post("/v1/auth/sms/codes", json={"phone": phone})
        if sent.status_code != 429:
            break
        await asyncio.sleep(min(61, int(sent.headers.get("retry-after", "1"))))
    assert sent.status_code == 202, sent.text
    async with httpx.AsyncClient(base_url=platform.fake_url("fake-sms")) as inbox:
        messages = (await inbox.get("/_fake/inbox", params={"phone": phone})).json()["messages"]
    signed = await client.post("/v1/auth/sms/session", json={"phone": phone, "code": messages[-1]["params"]["code"]})
    assert signed.status_code == 200, signed.text
    pair: dict[str, Any] = signed.json()
    return pair


def _uscc() -> str:
    from tests.registry.factories import uscc

    return uscc()


def _documented(document: dict[str, Any], method: str, template: str) -> set[int]:
    operation = document["paths"][template][method.lower()]
    return {int(status) for status in operation["responses"] if status.isdigit()}


def _params() -> list[Any]:
    return [pytest.param(key, id=f"{key[0]} {key[1]}") for key in CASES]


@pytest.fixture(scope="module")
def document(platform: RunningPlatform) -> dict[str, Any]:
    return served_document(platform.gateway_url)


@pytest.mark.parametrize("route", _params())
async def test_another_owners_caller_is_refused(
    route: tuple[str, str], world: World, document: dict[str, Any], platform: RunningPlatform
) -> None:
    method, template = route
    case = CASES[route]
    roles = TABLE[route] - {Role.platform_admin, Role.service}
    outsiders = [world.outsider(role) for role in sorted(roles)] + list(case.also(world))
    assert outsiders, f"{method} {template}: no outsider to send; exempt it instead"
    documented = _documented(document, method, template)
    path = case.path(world)
    body = case.body(world)
    let_in: list[str] = []
    async with platform.client(timeout=30) as client:
        for who in outsiders:
            headers = platform.auth(who) | {"If-Match": '"v1"', "Accept-Language": "en"}
            answer = await client.request(method, path, json=body, headers=headers)
            if answer.status_code not in REFUSALS or answer.status_code not in documented:
                label = ",".join(sorted(who.roles))
                let_in.append(f"{label}: {answer.status_code} {answer.text[:300]}")
    assert let_in == [], f"{method} {path}: another owner's caller was not refused with a documented 403/404"
