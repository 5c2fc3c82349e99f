"""The election lifecycle as data, defined once: the status set and its transitions.

`models.Election`'s CHECK constraint, the schemas' `ElectionStatus`, the services' checks and the OpenAPI
(the enum, and the transition table in `TransitionIn`'s description) all read this module;
`tests/elections/test_states.py` checks the database's constraint and the cast function against it.
"""

from __future__ import annotations

from enum import StrEnum


class ElectionStatus(StrEnum):
    """Every state an election can be in (a `str`, so it compares and stores as its value)."""

    draft = "draft"
    nomination = "nomination"
    candidate_review = "candidate_review"
    candidates_published = "candidates_published"
    roll_frozen = "roll_frozen"
    voting_open = "voting_open"
    voting_closed = "voting_closed"
    tallied = "tallied"
    runoff_open = "runoff_open"
    runoff_closed = "runoff_closed"
    certified = "certified"
    published = "published"
    suspended = "suspended"
    voided = "voided"


STATUSES: tuple[str, ...] = tuple(status.value for status in ElectionStatus)
# A member hashes as its name: equal to its value, so a plain `str` from the database is found in
# the sets below.
assert all(status.name == status.value for status in ElectionStatus)

# Each state and the states a staff transition may lead to from it (suspension and voiding aside).
TRANSITIONS: dict[ElectionStatus, frozenset[ElectionStatus]] = {
    ElectionStatus.draft: frozenset({ElectionStatus.nomination}),
    ElectionStatus.nomination: frozenset({ElectionStatus.candidate_review}),
    ElectionStatus.candidate_review: frozenset({ElectionStatus.candidates_published}),
    ElectionStatus.candidates_published: frozenset({ElectionStatus.roll_frozen}),
    ElectionStatus.roll_frozen: frozenset({ElectionStatus.voting_open}),
    ElectionStatus.voting_open: frozenset({ElectionStatus.voting_closed}),
    ElectionStatus.voting_closed: frozenset({ElectionStatus.tallied}),
    ElectionStatus.tallied: frozenset({ElectionStatus.runoff_open, ElectionStatus.certified}),
    ElectionStatus.runoff_open: frozenset({ElectionStatus.runoff_closed}),
    ElectionStatus.runoff_closed: frozenset({ElectionStatus.tallied}),
    ElectionStatus.certified: frozenset({ElectionStatus.published}),
    ElectionStatus.published: frozenset(),
    ElectionStatus.voided: frozenset(),
    ElectionStatus.suspended: frozenset(),  # resumes to the state it was suspended from
}

# Ballots are taken in these states (the cast function `elections.cast_ballot` checks the same set).
OPEN_FOR_VOTING: frozenset[ElectionStatus] = frozenset({ElectionStatus.voting_open, ElectionStatus.runoff_open})
# Finished: no transition, no voiding.
FINISHED: frozenset[ElectionStatus] = frozenset(
    {ElectionStatus.certified, ElectionStatus.published, ElectionStatus.voided}
)
# Suspension and voiding are possible from every state that is not finished (or suspended).
SUSPENDABLE: frozenset[ElectionStatus] = frozenset(TRANSITIONS) - FINISHED - {ElectionStatus.suspended}
# A frozen roll that registry events still change (deregistration, a new representative).
LIVE_ROLL: frozenset[ElectionStatus] = frozenset(
    {
        ElectionStatus.roll_frozen,
        ElectionStatus.voting_open,
        ElectionStatus.voting_closed,
        ElectionStatus.tallied,
        ElectionStatus.runoff_open,
        ElectionStatus.runoff_closed,
        ElectionStatus.suspended,
    }
)


def describe_transitions() -> str:
    """The transition table as Markdown, for the OpenAPI description of `TransitionIn.to`."""
    rows = [
        f"`{source}` → {', '.join(f'`{t}`' for t in sorted(targets)) or '—'}" for source, targets in TRANSITIONS.items()
    ]
    return (
        "The next state. "
        + "; ".join(rows)
        + ". `suspended` (from "
        + ", ".join(f"`{s}`" for s in sorted(SUSPENDABLE))
        + ") and `voided` (from any state not finished) need a `reason`; a suspended election resumes"
        " to the state it was suspended from."
    )
