"""The roll: its fingerprint, the frozen roll, reasoned amendments, and the registry's events."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from elections.counting.chain import digest
from elections.deliberation.committee.repository import CommitteeRepository
from elections.election.exceptions import NotOnRoll, NotStaffOfCommunity, WrongPhase
from elections.election.journal import append, can_watch, ensure_staff, load, present
from elections.election.repository import ElectionRepository
from elections.election.schemas import ElectionOut, RollAmendment, RollEntryOut, RollOut
from elections.election.states import LIVE_ROLL, ElectionStatus
from shared.auth import Identity
from shared.errors import ValidationFailed
from shared.i18n import Text
from shared.outbox import FeedEvent
from shared.uow import UnitOfWork


def roll_fingerprint(items: Sequence[dict[str, Any]]) -> str:
    """SHA-256 of the canonical roll: one `{enterprise_id, uscc, name}` per entry, ordered by USCC."""
    canonical_items = sorted(
        ({"enterprise_id": str(i["enterprise_id"]), "uscc": i["uscc"], "name": i["name"]} for i in items),
        key=lambda item: item["uscc"],
    )
    return digest(canonical_items)


async def roll(uow: UnitOfWork, identity: Identity, election_id: uuid.UUID) -> RollOut:
    """The frozen roll and its fingerprint, for staff of the community and the election's observers."""
    election = await load(uow, election_id)
    if not can_watch(identity, election):
        raise NotStaffOfCommunity()
    entries = await uow.repository(ElectionRepository).list_roll(election.id)
    return RollOut(
        election_id=election.id,
        as_of=election.record_date,
        fingerprint=election.roll_fingerprint,
        size=election.roll_size or 0,
        items=[RollEntryOut.model_validate(e) for e in entries],
    )


async def amend_roll(uow: UnitOfWork, identity: Identity, election_id: uuid.UUID, body: RollAmendment) -> ElectionOut:
    """The only way to change a frozen roll: an explicit, reasoned amendment in the public log."""
    election = await load(uow, election_id, for_update=True)
    ensure_staff(identity, election.community_id)
    if election.status != ElectionStatus.roll_frozen:
        raise WrongPhase(
            Text("只能在名册冻结后、投票开始前修正名册", "The roll is amended between freezing and opening")
        )
    elections = uow.repository(ElectionRepository)
    existing = await elections.get_roll_entry(election.id, body.enterprise_id)
    if body.action == "add":
        if existing is not None or body.uscc is None or body.name is None:
            raise ValidationFailed(
                Text(
                    "新增需要 uscc 与 name,且企业不在名册中",
                    "Adding needs uscc and name of an enterprise not on the roll",
                ),
                errors=[{"detail": "uscc and name required; not already on the roll", "pointer": "/uscc"}],
            )
        added = {
            "enterprise_id": body.enterprise_id,
            "uscc": body.uscc,
            "name": body.name,
            "representative_subject": body.representative_subject,
        }
        await elections.insert_roll(election.id, [added])
        entry = {"enterprise_id": str(body.enterprise_id), "uscc": body.uscc, "name": body.name}
        election.roll_size = (election.roll_size or 0) + 1
    else:
        if existing is None:
            raise NotOnRoll()
        entry = {"enterprise_id": str(existing.enterprise_id), "uscc": existing.uscc, "name": existing.name}
        await elections.delete_roll_entry(election.id, body.enterprise_id)
        election.roll_size = (election.roll_size or 0) - 1
    await append(uow, election, "roll_amended", {"action": body.action, "entry": entry, "reason": body.reason})
    await uow.flush()
    return present(election)


async def on_registry_event(uow: UnitOfWork, event: FeedEvent) -> None:
    """A job: deregistration after the freeze loses the uncast vote; a new representative takes over casting."""
    payload = event.payload
    elections = uow.repository(ElectionRepository)
    if event.type == "EnterpriseStatusChanged" and payload.get("status") == "deregistered":
        enterprise_id = uuid.UUID(str(payload["enterprise_id"]))
        for entry, election in await elections.roll_entries_of_enterprise(enterprise_id, LIVE_ROLL):
            if not entry.entitled:
                continue
            entry.entitled = False
            entry.entitlement_note = f"deregistered on {payload.get('effective_on')}"
            await append(
                uow,
                election,
                "entitlement_lost",
                {"uscc": entry.uscc, "effective_on": payload.get("effective_on"), "reason": "deregistered"},
            )
        await uow.flush()
    elif event.type == "RepresentativeChanged":
        enterprise_id = uuid.UUID(str(payload["enterprise_id"]))
        rows = await elections.roll_entries_of_enterprise(enterprise_id, LIVE_ROLL)
        await elections.set_representative(enterprise_id, payload.get("user_subject"), [e.id for _, e in rows])
        # the committee's seats follow the registry too (docs/deliberation.md)
        await uow.repository(CommitteeRepository).follow_representative(enterprise_id, payload.get("user_subject"))
