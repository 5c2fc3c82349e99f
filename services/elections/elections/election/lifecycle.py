"""The election lifecycle: creating, listing, and moving through the states of `states.py`."""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from collections.abc import Awaitable, Callable
from typing import Any
from zoneinfo import ZoneInfo

from elections.counting.rules import Rules
from elections.counting.tally import RoundSpec
from elections.election.exceptions import WrongPhase
from elections.election.journal import (
    append,
    ensure_staff,
    event,
    fan_out,
    load,
    present,
    public_election,
    refuse,
    rules_of,
)
from elections.election.models import Candidate, Election
from elections.election.repository import BallotRepository, ElectionRepository
from elections.election.results import ballot_candidates, certify, tally
from elections.election.roll import roll_fingerprint
from elections.election.schemas import ElectionCreate, ElectionOut, TransitionIn
from elections.election.states import FINISHED, OPEN_FOR_VOTING, SUSPENDABLE, TRANSITIONS, ElectionStatus
from shared.auth import Identity
from shared.errors import ValidationFailed
from shared.i18n import Text
from shared.pagination import Page, encode_cursor
from shared.uow import UnitOfWork

SHANGHAI = ZoneInfo("Asia/Shanghai")

RollFetcher = Callable[[uuid.UUID, dt.date], Awaitable[list[dict[str, Any]]]]
Step = Callable[[UnitOfWork, Election, RollFetcher], Awaitable[None]]


async def create_election(uow: UnitOfWork, identity: Identity, body: ElectionCreate) -> ElectionOut:
    """Create a draft election; its rules are fixed and logged now."""
    ensure_staff(identity, body.community_id)
    election = Election(
        id=uuid.uuid4(),
        community_id=body.community_id,
        title=body.title,
        status=ElectionStatus.draft,
        rules={**body.rules.model_dump(mode="json"), "objection_window_hours": body.objection_window_hours},
        record_date=body.record_date,
        lot_values={},
    )
    elections = uow.repository(ElectionRepository)
    elections.add(election)
    await elections.flush()
    await append(uow, election, "rules_fixed", public_election(election))
    await event(uow, election, "ElectionCreated")
    await elections.flush()
    return present(election)


async def list_elections(
    uow: UnitOfWork, identity: Identity, community_id: uuid.UUID | None, after: tuple[Any, ...] | None, limit: int
) -> Page[ElectionOut]:
    """Newest first, keyset-paginated (every caller with a user role lists)."""
    rows = await uow.repository(ElectionRepository).page(community_id, after, limit + 1)
    last = rows[limit - 1] if len(rows) > limit else None
    next_cursor = encode_cursor([last.created_at.isoformat(), last.id]) if last is not None else None
    return Page[ElectionOut](items=[present(e) for e in rows[:limit]], next_cursor=next_cursor)


async def get_election(uow: UnitOfWork, identity: Identity, election_id: uuid.UUID) -> ElectionOut:
    return present(await load(uow, election_id))


async def transition(
    uow: UnitOfWork, identity: Identity, election_id: uuid.UUID, body: TransitionIn, fetch_roll: RollFetcher
) -> ElectionOut:
    """Move the election one step, with the checks that step implies."""
    election = await load(uow, election_id, for_update=True)
    ensure_staff(identity, election.community_id)
    current, target = ElectionStatus(election.status), body.to
    _check_closes_at(body)
    if target == ElectionStatus.voided:
        await _void(uow, election, body.reason)
    elif target == ElectionStatus.suspended:
        if current not in SUSPENDABLE:
            raise refuse(f"{current} 状态不能暂停", f"An election in {current} cannot be suspended")
        if not body.reason:
            raise ValidationFailed(errors=[{"detail": "a reason is required", "pointer": "/reason"}])
        election.suspended_from = current
        election.status = ElectionStatus.suspended
        await append(uow, election, "suspended", {"from": current.value, "reason": body.reason})
    elif current == ElectionStatus.suspended:
        if target != election.suspended_from:
            raise refuse("暂停的选举只能恢复到原状态", f"A suspended election resumes to {election.suspended_from}")
        election.status, election.suspended_from = target, None
        await append(uow, election, "resumed", {"to": target.value, "reason": body.reason})
    else:
        if target not in TRANSITIONS[current]:
            raise refuse(f"不能从 {current} 转到 {target}", f"No transition from {current} to {target}")
        await _STEPS[target](uow, election, fetch_roll)
        election.status = target
        if target in OPEN_FOR_VOTING:
            election.voting_closes_at = body.closes_at
    await uow.flush()
    await event(uow, election, "ElectionStatusChanged", previous=current.value)
    await uow.flush()
    return present(election)


def _check_closes_at(body: TransitionIn) -> None:
    """`closes_at` goes with opening a round only, and lies in the future."""
    if body.closes_at is None:
        return
    if body.to not in OPEN_FOR_VOTING:
        detail = "only with voting_open or runoff_open"
        raise ValidationFailed(errors=[{"detail": detail, "pointer": "/closes_at", "code": "CLOSES_AT_NOT_ALLOWED"}])
    if body.closes_at <= dt.datetime.now(dt.UTC):
        detail = "must be in the future"
        raise ValidationFailed(errors=[{"detail": detail, "pointer": "/closes_at", "code": "CLOSES_AT_PAST"}])


async def rerun(uow: UnitOfWork, identity: Identity, election_id: uuid.UUID) -> ElectionOut:
    """A new draft election with the same rules, after a voided one."""
    old = await load(uow, election_id)
    ensure_staff(identity, old.community_id)
    if old.status != ElectionStatus.voided:
        raise WrongPhase(Text("只有已作废的选举可以重新举行", "Only a voided election can be re-run"))
    election = Election(
        id=uuid.uuid4(),
        community_id=old.community_id,
        title=old.title,
        status=ElectionStatus.draft,
        rules=dict(old.rules),
        record_date=max(old.record_date, dt.datetime.now(SHANGHAI).date()),
        lot_values={},
        rerun_of=old.id,
    )
    elections = uow.repository(ElectionRepository)
    elections.add(election)
    await elections.flush()
    await append(uow, election, "rules_fixed", public_election(election) | {"rerun_of": str(old.id)})
    await elections.flush()
    return present(election)


# -- the steps --------------------------------------------------------------------------------


async def _void(uow: UnitOfWork, election: Election, reason: str | None) -> None:
    if election.status in FINISHED:
        raise refuse("该选举已结束", "The election is already finished")
    quorum_failed = election.status == ElectionStatus.tallied and (election.result or {}).get("status") == "voided"
    if not reason and not quorum_failed:
        raise ValidationFailed(errors=[{"detail": "a reason is required", "pointer": "/reason"}])
    election.status = ElectionStatus.voided
    await append(uow, election, "voided", {"reason": reason or "quorum not met", "quorum_failed": quorum_failed})


async def _to_nomination(uow: UnitOfWork, election: Election, _: RollFetcher) -> None:
    await append(uow, election, "nomination_opened", {})


async def _to_review(uow: UnitOfWork, election: Election, _: RollFetcher) -> None:
    candidates = await uow.repository(ElectionRepository).list_candidates(election.id)
    if not candidates:
        raise refuse("尚无候选人提名", "No candidate has been nominated")
    await append(uow, election, "nomination_closed", {"nominated": len(candidates)})


async def _to_published(uow: UnitOfWork, election: Election, _: RollFetcher) -> None:
    rules = rules_of(election)
    candidates = await uow.repository(ElectionRepository).list_candidates(election.id)
    if any(c.status == "nominated" for c, _ in candidates):
        raise refuse("仍有候选人未审核", "Some candidates are not reviewed yet")
    approved = sorted((c for c, _ in candidates if c.status == "approved"), key=lambda c: (c.name, str(c.id)))
    _check_candidate_count(rules, len(approved))
    for number, candidate in enumerate(approved, start=1):
        candidate.ballot_number = number
    election.published_at = dt.datetime.now(dt.UTC)
    await append(uow, election, "candidates_published", {"candidates": [_candidate_json(c) for c in approved]})


def _candidate_json(candidate: Candidate) -> dict[str, Any]:
    return {"candidate_id": str(candidate.id), "name": candidate.name, "ballot_number": candidate.ballot_number}


def _check_candidate_count(rules: Rules, approved: int) -> None:
    if not rules.min_candidates <= approved <= rules.max_candidates:
        raise refuse(
            f"差额选举需要 {rules.min_candidates} 至 {rules.max_candidates} 名候选人,当前 {approved} 名",
            f"A contested election needs {rules.min_candidates} to {rules.max_candidates} approved candidates;"
            f" there are {approved}",
        )


async def _to_roll_frozen(uow: UnitOfWork, election: Election, fetch_roll: RollFetcher) -> None:
    elections = uow.repository(ElectionRepository)
    hours = int(election.rules.get("objection_window_hours", 72))
    assert election.published_at is not None
    if dt.datetime.now(dt.UTC) < election.published_at + dt.timedelta(hours=hours):
        raise refuse("公示期尚未结束", "The publication (objection) window has not ended")
    if await elections.open_objections(election.id):
        raise refuse("仍有未处理的异议", "Some objections are still undecided")
    approved = [c for c, _ in await elections.list_candidates(election.id) if c.status == "approved"]
    _check_candidate_count(rules_of(election), len(approved))
    if election.record_date > dt.datetime.now(SHANGHAI).date():
        raise refuse("登记日尚未到来", "The record date is in the future")
    items = await fetch_roll(election.community_id, election.record_date)
    await elections.insert_roll(election.id, items)
    election.roll_fingerprint = roll_fingerprint(items)
    election.roll_size = len(items)
    await append(
        uow,
        election,
        "roll_frozen",
        {"as_of": election.record_date.isoformat(), "fingerprint": election.roll_fingerprint, "size": len(items)},
    )
    # each representative hears that their enterprise is on the roll (identity resolves who they are)
    enterprise_ids = [str(item["enterprise_id"]) for item in items]
    await fan_out(uow, election, "ElectionRollFrozen", enterprise_ids, status=ElectionStatus.roll_frozen.value)


async def _to_voting_open(uow: UnitOfWork, election: Election, _: RollFetcher) -> None:
    if not election.roll_size:
        raise refuse("选民名册为空", "The roll is empty")
    rules = rules_of(election)
    candidates = await ballot_candidates(uow, election)
    _check_candidate_count(rules, len(candidates))
    await uow.repository(ElectionRepository).insert_secret(election.id, secrets.token_bytes(32))
    await _open_round(uow, election, RoundSpec("main", tuple(candidates), rules.seats, "majority"))


async def _open_round(uow: UnitOfWork, election: Election, spec: RoundSpec) -> None:
    election.current_round += 1
    election.round_spec = spec.to_json()
    payload = {"round_no": election.current_round, **spec.to_json(), "lot_sources": rules_of(election).lot_sources}
    await append(uow, election, "voting_opened", payload)


async def _close_round(uow: UnitOfWork, election: Election, _: RollFetcher) -> None:
    ballots = uow.repository(BallotRepository)
    await ballots.lock_out_casts(election.id)  # waits for every cast in flight
    cast = await ballots.ballots_cast(election.id, election.current_round)
    await append(uow, election, "voting_closed", {"round_no": election.current_round, "ballots_cast": cast})


async def _to_tallied(uow: UnitOfWork, election: Election, _: RollFetcher) -> None:
    await tally(uow, election)


async def _to_runoff(uow: UnitOfWork, election: Election, _: RollFetcher) -> None:
    next_round = (election.result or {}).get("next_round")
    if not next_round:
        raise refuse("计票结果不需要再次投票", "The result calls for no further round")
    spec = RoundSpec(next_round["kind"], tuple(next_round["candidates"]), next_round["places"], next_round["threshold"])
    await _open_round(uow, election, spec)


async def _to_certified(uow: UnitOfWork, election: Election, _: RollFetcher) -> None:
    await certify(uow, election)


async def _to_published_result(uow: UnitOfWork, election: Election, _: RollFetcher) -> None:
    await append(uow, election, "published", {"result_hash": election.result_hash})


_STEPS: dict[ElectionStatus, Step] = {
    ElectionStatus.nomination: _to_nomination,
    ElectionStatus.candidate_review: _to_review,
    ElectionStatus.candidates_published: _to_published,
    ElectionStatus.roll_frozen: _to_roll_frozen,
    ElectionStatus.voting_open: _to_voting_open,
    ElectionStatus.voting_closed: _close_round,
    ElectionStatus.tallied: _to_tallied,
    ElectionStatus.runoff_open: _to_runoff,
    ElectionStatus.runoff_closed: _close_round,
    ElectionStatus.certified: _to_certified,
    ElectionStatus.published: _to_published_result,
}
