"""The deliberation domain's status sets and kinds, defined once: models (CHECK constraints), schemas
(`Literal`s through these tuples) and services read them from here."""

from __future__ import annotations

from typing import Literal

COMMITTEE_STATUSES = ("active", "ended")
CommitteeStatus = Literal["active", "ended"]

PROPOSAL_CATEGORIES = (
    "environment",
    "traffic",
    "safety",
    "public_service",
    "enterprise_service",
    "employee_life",
    "other",
)
ProposalCategory = Literal[
    "environment", "traffic", "safety", "public_service", "enterprise_service", "employee_life", "other"
]
# open → threshold_reached → on_agenda → decided; open/threshold_reached → merged or answered (closed by staff)
PROPOSAL_STATUSES = ("open", "threshold_reached", "on_agenda", "decided", "merged", "answered")
ProposalStatus = Literal["open", "threshold_reached", "on_agenda", "decided", "merged", "answered"]
SUPPORTABLE = frozenset({"open", "threshold_reached"})
PLACEABLE = frozenset({"open", "threshold_reached"})  # may go on an agenda
SUPPORTER_KINDS = ("enterprise", "person")

OUTCOMES = ("adopted", "rejected", "referred")
Outcome = Literal["adopted", "rejected", "referred"]
VOTE_CHOICES = ("for", "against", "abstain")
VoteChoice = Literal["for", "against", "abstain"]

AUDIENCES = ("enterprises", "employees")
Audience = Literal["enterprises", "employees"]
CONSULTATION_STATUSES = ("draft", "open", "closed")
ConsultationStatus = Literal["draft", "open", "closed"]
CONSULTATION_TRANSITIONS: dict[str, frozenset[str]] = {
    "draft": frozenset({"open"}),
    "open": frozenset({"closed"}),
    "closed": frozenset(),
}
QUESTION_KINDS = ("single_choice", "multiple_choice", "number", "text")

ACTION_STATUSES = ("open", "in_progress", "done")
ActionStatus = Literal["open", "in_progress", "done"]


def sql_in(column: str, values: tuple[str, ...]) -> str:
    """A CHECK clause: `column IN ('a', 'b')`."""
    return f"{column} IN (" + ", ".join(f"'{value}'" for value in values) + ")"


def quorum_of(seats: int) -> int:
    """More than half of the seats (7 seats: 4 members present)."""
    return seats // 2 + 1
