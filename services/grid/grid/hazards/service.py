"""The hazard lifecycle: reported → rectifying → rectified → verified (or sent back), history alongside."""

from __future__ import annotations

import datetime as dt
import uuid

from grid.access import require_grid, visible_grids
from grid.grids.exceptions import GridNotFound
from grid.grids.repository import GridRepository
from grid.hazards.exceptions import HazardNotFound, HazardTransitionNotAllowed
from grid.hazards.models import Hazard, HazardHistory
from grid.hazards.repository import HazardRepository
from grid.hazards.schemas import HazardCreate, HazardDetail, HazardHistoryRead, HazardRead, HazardTransition
from grid.hazards.states import HAZARD_TRANSITIONS, INITIAL, OVERDUE_STATUSES
from grid.outbox import emit
from grid.workers.repository import WorkerRepository
from shared.auth import Identity
from shared.dates import business_date, business_today
from shared.i18n import Text
from shared.scope import require_staff
from shared.uow import UnitOfWork


def is_overdue(hazard: Hazard, today: dt.date) -> bool:
    return hazard.status in OVERDUE_STATUSES and hazard.deadline < today


def present(hazard: Hazard, today: dt.date | None = None) -> HazardRead:
    read = HazardRead.model_validate(hazard)
    return read.model_copy(update={"overdue": is_overdue(hazard, today or business_today())})


async def record_hazard(
    uow: UnitOfWork,
    identity: Identity,
    *,
    community_id: uuid.UUID,
    body: HazardCreate,
    inspection_id: uuid.UUID | None = None,
) -> Hazard:
    """Enter a hazard in the ledger (the caller has checked the grid)."""
    hazard = Hazard(
        community_id=community_id,
        inspection_id=inspection_id,
        reported_by=identity.subject,
        status=INITIAL,
        **body.model_dump(),
    )
    history = HazardHistory(action="report", from_status=None, to_status=INITIAL, actor=identity.subject)
    hazard = await uow.repository(HazardRepository).add(hazard, history)
    await _notice(uow, "HazardAssigned", hazard, business_today())
    return hazard


async def _notice(uow: UnitOfWork, event_type: str, hazard: Hazard, day: dt.date) -> None:
    """A hazard event naming the grid's workers on duty (by subject) and the enterprise concerned."""
    workers = await uow.repository(WorkerRepository).subjects_on_duty(hazard.grid_id, day)
    payload = {
        "hazard_id": str(hazard.id),
        "community_id": str(hazard.community_id),
        "grid_id": str(hazard.grid_id),
        "building_id": str(hazard.building_id),
        "enterprise_id": str(hazard.enterprise_id) if hazard.enterprise_id else None,
        "level": hazard.level,
        "deadline": hazard.deadline.isoformat(),
        "worker_subjects": workers,
    }
    await emit(uow, event_type, "hazard", hazard.id, payload)


async def notice_overdue(uow: UnitOfWork, now: dt.datetime) -> int:
    """HazardOverdue once per hazard not rectified by its deadline (a job; the claim makes it once)."""
    today = business_date(now)
    claimed = await uow.repository(HazardRepository).claim_overdue(today, now)
    for hazard in claimed:
        await _notice(uow, "HazardOverdue", hazard, today)
    return len(claimed)


async def report_hazard(uow: UnitOfWork, identity: Identity, body: HazardCreate) -> HazardRead:
    """A hazard reported directly (not from an inspection finding)."""
    grid = await uow.repository(GridRepository).get(body.grid_id)
    if grid is None:
        raise GridNotFound()
    require_grid(identity, grid.community_id, grid.id, grid.parent_id)
    return present(await record_hazard(uow, identity, community_id=grid.community_id, body=body))


async def load_hazard(uow: UnitOfWork, identity: Identity, hazard_id: uuid.UUID, *, for_update: bool = False) -> Hazard:
    hazard = await uow.repository(HazardRepository).get(hazard_id, for_update=for_update)
    if hazard is None:
        raise HazardNotFound()
    grid = await uow.repository(GridRepository).get(hazard.grid_id)
    require_grid(identity, hazard.community_id, hazard.grid_id, grid.parent_id if grid else None)
    return hazard


async def get_hazard(uow: UnitOfWork, identity: Identity, hazard_id: uuid.UUID) -> HazardDetail:
    """The hazard, its overdue flag and every change."""
    return await _detail(uow, await load_hazard(uow, identity, hazard_id))


async def _detail(uow: UnitOfWork, hazard: Hazard) -> HazardDetail:
    history = await uow.repository(HazardRepository).history(hazard.id)
    return HazardDetail(
        **present(hazard).model_dump(), history=[HazardHistoryRead.model_validate(row) for row in history]
    )


async def transition(uow: UnitOfWork, identity: Identity, hazard_id: uuid.UUID, body: HazardTransition) -> HazardDetail:
    """Apply one lifecycle step under a row lock; the history row is written in the same transaction."""
    hazard = await load_hazard(uow, identity, hazard_id, for_update=True)
    step = HAZARD_TRANSITIONS[body.action]
    if identity.roles.isdisjoint(step.roles):
        require_staff(identity, hazard.community_id)
    if hazard.status not in step.sources:
        raise HazardTransitionNotAllowed(
            Text(f"隐患当前为 {hazard.status}", f"The hazard is {hazard.status}"),
            extra={"status_now": hazard.status, "allowed_from": list(step.sources)},
        )
    previous = hazard.status
    hazard.status = step.target
    await uow.flush()
    await uow.repository(HazardRepository).add_history(
        HazardHistory(
            hazard_id=hazard.id,
            action=body.action,
            from_status=previous,
            to_status=step.target,
            actor=identity.subject,
            note=body.note,
        )
    )
    return await _detail(uow, hazard)


async def list_hazards(
    uow: UnitOfWork,
    identity: Identity,
    community_id: uuid.UUID,
    *,
    status: str | None,
    overdue: bool,
    after: tuple[dt.datetime, uuid.UUID] | None,
    limit: int,
) -> list[HazardRead]:
    """Staff see the community's ledger; grid workers the hazards of their grids."""
    grid_ids = visible_grids(identity, community_id)
    hazards = await uow.repository(HazardRepository).list_filtered(
        community_id=community_id,
        grid_ids=grid_ids,
        status=status,
        overdue_on=business_today() if overdue else None,
        after=after,
        limit=limit,
    )
    today = business_today()
    return [present(hazard, today) for hazard in hazards]
