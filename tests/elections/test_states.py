"""The election rules written once, checked where the database holds a copy.

* The `status` CHECK constraint of `elections.election` lists exactly `states.STATUSES`.
* The cast rules live in the SQL function `elections.cast_ballot` (the one source); Python reads
  `OPEN_FOR_VOTING` before it (the open-round cache) and maps its outcomes (`CAST_REFUSALS`). A
  table of cases runs through the real statement (`BallotRepository.cast`) and through the Python
  rules; both must give the expected outcome, and every outcome Python maps must occur.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from elections.election import ballots
from elections.election.ballots import CAST, CAST_OUTCOMES, CAST_REFUSALS, MAY_CAST, STALE_ROUND
from elections.election.exceptions import ElectionNotFound, VotingClosed
from elections.election.models import Election, ElectionSecret, RollEntry
from elections.election.repository import BallotRepository
from elections.election.states import OPEN_FOR_VOTING, STATUSES, ElectionStatus
from shared.db import create_engine, create_sessionmaker
from shared.errors import ProblemError
from shared.settings import PlatformSettings
from shared.uow import UnitOfWork

REPRESENTATIVE = "rep-subject"
CANDIDATE = str(uuid.UUID(int=1))


@dataclass(frozen=True)
class Case:
    """The state a cast meets: election (or none), its key, the round asked, the voter's roll entry."""

    expected: str
    exists: bool = True
    status: ElectionStatus = ElectionStatus.voting_open
    has_key: bool = True
    round_offset: int = 0  # the caller's round minus the election's current round
    on_roll: bool = True
    entitled: bool = True
    representative: str | None = REPRESENTATIVE
    with_ballot: bool = True


GOOD = Case(expected=CAST)
# Each row breaks one rule, or two to show which one wins (the function's order of checks).
PRECEDENCE: list[tuple[str, Case]] = [
    ("a valid ballot is cast", GOOD),
    ("in a runoff too", replace(GOOD, status=ElectionStatus.runoff_open)),
    ("no such election", Case(expected="not_found", exists=False)),
    ("no key: closed", replace(GOOD, has_key=False, expected="closed")),
    ("an old round", replace(GOOD, round_offset=-1, expected=STALE_ROUND)),
    ("not on the roll", replace(GOOD, on_roll=False, expected="not_on_roll")),
    ("deregistered after the freeze", replace(GOOD, entitled=False, expected="entitlement_lost")),
    ("another representative", replace(GOOD, representative="someone-else", expected="not_representative")),
    ("no representative on the roll", replace(GOOD, representative=None, expected="not_representative")),
    ("every check passes, no ballot given", replace(GOOD, with_ballot=False, expected=MAY_CAST)),
    ("closed wins over a stale round", replace(GOOD, has_key=False, round_offset=-1, expected="closed")),
    ("a stale round wins over the roll", replace(GOOD, round_offset=1, on_roll=False, expected=STALE_ROUND)),
    ("the roll wins over entitlement", replace(GOOD, on_roll=False, entitled=False, expected="not_on_roll")),
    (
        "entitlement wins over the representative",
        replace(GOOD, entitled=False, representative="x", expected="entitlement_lost"),
    ),
    (
        "the representative wins over the ballot",
        replace(GOOD, representative="x", with_ballot=False, expected="not_representative"),
    ),
]
# Every status, with its key: open for voting exactly where Python's OPEN_FOR_VOTING says so.
BY_STATUS: list[tuple[str, Case]] = [
    (f"status {status}", replace(GOOD, status=status, expected=CAST if status in OPEN_FOR_VOTING else "closed"))
    for status in ElectionStatus
]
CASES = PRECEDENCE + BY_STATUS


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(PlatformSettings(database_url=database_url).async_database_url)
    try:
        yield engine
    finally:
        await engine.dispose()


def _app(engine: AsyncEngine) -> Any:
    """What a unit of work needs of an app: the engine (the hot path's fallback without a pool)."""
    return SimpleNamespace(state=SimpleNamespace(engine=engine, sessionmaker=create_sessionmaker(engine)))


async def _arrange(app: Any, case: Case) -> tuple[uuid.UUID, uuid.UUID, int]:
    """The election, key and roll entry of `case`; returns (election, enterprise, current round)."""
    election_id, enterprise_id, current_round = uuid.uuid4(), uuid.uuid4(), 1
    if not case.exists:
        return election_id, enterprise_id, current_round
    async with app.state.sessionmaker() as session, session.begin():
        session.add(
            Election(
                id=election_id,
                community_id=uuid.uuid4(),
                title="drift",
                status=case.status.value,
                rules={},
                record_date=dt.date(2026, 12, 1),
                current_round=current_round,
                round_spec={"candidates": [CANDIDATE], "places": 1},
            )
        )
        await session.flush()
        if case.has_key:
            session.add(ElectionSecret(election_id=election_id, link_key=b"k" * 32))
        if case.on_roll:
            session.add(
                RollEntry(
                    election_id=election_id,
                    enterprise_id=enterprise_id,
                    uscc=f"91330108{uuid.uuid4().hex[:10].upper()}",
                    name="Drift Ltd",
                    representative_subject=case.representative,
                    entitled=case.entitled,
                )
            )
    return election_id, enterprise_id, current_round


async def _sql_outcome(app: Any, case: Case) -> str:
    """The outcome of the real cast statement."""
    election_id, enterprise_id, current_round = await _arrange(app, case)
    async with app.state.sessionmaker() as session:
        repository = UnitOfWork(session, app).repository(BallotRepository)
        ballot = (uuid.uuid4(), [CANDIDATE], uuid.uuid4().hex, uuid.uuid4().bytes) if case.with_ballot else None
        row = await repository.cast(
            election_id=election_id,
            enterprise_id=enterprise_id,
            subject=REPRESENTATIVE,
            round_no=current_round + case.round_offset,
            ballot=ballot,
        )
    return row.outcome


def _python_precheck(case: Case) -> type[ProblemError] | None:
    """The refusal the Python side gives before the statement (the open-round cache's check)."""
    if not case.exists:
        return ElectionNotFound
    if case.status not in OPEN_FOR_VOTING or not case.has_key:
        return VotingClosed
    return None


@pytest.mark.parametrize(("name", "case"), CASES, ids=[name for name, _ in CASES])
async def test_the_cast_statement_and_the_python_rules_agree(engine: AsyncEngine, name: str, case: Case) -> None:
    app = _app(engine)
    outcome = await _sql_outcome(app, case)
    assert outcome == case.expected, name
    assert outcome in CAST_OUTCOMES  # Python knows every outcome the statement answers
    precheck = _python_precheck(case)
    if outcome in ("not_found", "closed"):
        assert precheck is CAST_REFUSALS[outcome]  # Python refuses first, and with the same error
    else:
        assert precheck is None  # Python lets through what the statement accepts or refuses later


async def test_the_open_round_check_refuses_what_the_statement_refuses(engine: AsyncEngine) -> None:
    """`ballots._cached_open_round` (the Python side of the first two rules) against the same state."""
    app = _app(engine)
    for status in ElectionStatus:
        for has_key in (True, False):
            case = replace(GOOD, status=status, has_key=has_key)
            election_id, _, _ = await _arrange(app, case)
            async with app.state.sessionmaker() as session:
                repository = UnitOfWork(session, app).repository(BallotRepository)
                try:
                    await ballots._cached_open_round(repository, election_id, fresh=True)
                    refused: type[ProblemError] | None = None
                except ProblemError as problem:
                    refused = type(problem)
            assert refused is _python_precheck(case), (status, has_key)


def test_every_outcome_python_maps_is_one_the_cases_produce() -> None:
    assert {case.expected for _, case in CASES} == CAST_OUTCOMES


async def test_the_status_constraint_lists_exactly_the_python_statuses(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        definition = (
            await connection.execute(
                text(
                    "SELECT pg_get_constraintdef(c.oid) FROM pg_constraint AS c"
                    " JOIN pg_class AS t ON t.oid = c.conrelid JOIN pg_namespace AS n ON n.oid = t.relnamespace"
                    " WHERE n.nspname = 'elections' AND t.relname = 'election' AND c.contype = 'c'"
                    " AND pg_get_constraintdef(c.oid) LIKE '%status%'"
                    " AND pg_get_constraintdef(c.oid) NOT LIKE '%suspended_from%'"
                )
            )
        ).scalar_one()
    assert set(re.findall(r"'([a-z_]+)'", definition)) == set(STATUSES)


async def test_the_cast_function_checks_the_python_open_set(engine: AsyncEngine) -> None:
    """The function's text names the open statuses Python's OPEN_FOR_VOTING holds, no others."""
    async with engine.connect() as connection:
        source = (
            await connection.execute(
                text(
                    "SELECT p.prosrc FROM pg_proc AS p JOIN pg_namespace AS n ON n.oid = p.pronamespace"
                    " WHERE n.nspname = 'elections' AND p.proname = 'cast_ballot'"
                )
            )
        ).scalar_one()
    listed = re.search(r"v_status NOT IN \(([^)]*)\)", source)
    assert listed is not None
    assert set(re.findall(r"'([a-z_]+)'", listed.group(1))) == {status.value for status in OPEN_FOR_VOTING}
