"""Rules of grid workers: one primary per grid at a time (the database enforces it), deputies, history."""

from __future__ import annotations

import datetime as dt
import uuid

from grid.grids.exceptions import GridRetired, OutsideGridValidity
from grid.grids.models import Grid
from grid.workers.exceptions import DutyNotFound, WorkerNotFound, WorkerOutsideCommunity
from grid.workers.models import GridDuty, GridWorker
from grid.workers.repository import WorkerRepository
from grid.workers.schemas import DutyCreate, DutyEnd, DutyRead, WorkerCreate, WorkerRead
from shared.auth import Identity, Role
from shared.i18n import Text
from shared.scope import require_staff
from shared.uow import UnitOfWork


def present_worker(identity: Identity, worker: GridWorker) -> WorkerRead:
    """The worker as the caller may see them: the phone number is for staff only."""
    read = WorkerRead.model_validate(worker)
    if not identity.staff_of(worker.community_id):
        read = read.model_copy(update={"phone": None})
    return read


async def create_worker(uow: UnitOfWork, identity: Identity, body: WorkerCreate) -> WorkerRead:
    require_staff(identity, body.community_id)
    worker = GridWorker(**body.model_dump())
    return present_worker(identity, await uow.repository(WorkerRepository).add(worker))


async def get_worker(uow: UnitOfWork, identity: Identity, worker_id: uuid.UUID) -> WorkerRead:
    """Staff of the community, or the worker themself (without the phone number)."""
    return present_worker(identity, await _load_worker(uow, identity, worker_id))


async def _load_worker(uow: UnitOfWork, identity: Identity, worker_id: uuid.UUID) -> GridWorker:
    """Staff of the worker's community, or the worker themself."""
    worker = await uow.repository(WorkerRepository).get(worker_id)
    if worker is None:
        raise WorkerNotFound()
    if not identity.staff_of(worker.community_id) and not (
        Role.grid_worker in identity.roles and worker.user_subject == identity.subject
    ):
        require_staff(identity, worker.community_id)
    return worker


async def list_workers(
    uow: UnitOfWork, identity: Identity, community_id: uuid.UUID, after: tuple[str, uuid.UUID] | None, limit: int
) -> list[WorkerRead]:
    require_staff(identity, community_id)
    workers = await uow.repository(WorkerRepository).list_for_community(community_id, after, limit)
    return [present_worker(identity, worker) for worker in workers]


async def add_duty(uow: UnitOfWork, identity: Identity, grid: Grid, body: DutyCreate) -> DutyRead:
    """Put a worker on duty in the grid; a second primary for an overlapping period → 409."""
    require_staff(identity, grid.community_id)
    if grid.retired:
        raise GridRetired()
    if body.valid_from < grid.valid_from or (
        grid.valid_to is not None and (body.valid_to is None or body.valid_to > grid.valid_to)
    ):
        raise OutsideGridValidity(Text("值守期间须在网格有效期内", "The duty must lie within the grid's validity"))
    worker = await uow.repository(WorkerRepository).get(body.worker_id)
    if worker is None:
        raise WorkerNotFound()
    if worker.community_id != grid.community_id:
        raise WorkerOutsideCommunity()
    duty = GridDuty(grid_id=grid.id, **body.model_dump())
    return DutyRead.model_validate(await uow.repository(WorkerRepository).add_duty(duty))


async def end_duty(uow: UnitOfWork, identity: Identity, grid: Grid, duty_id: uuid.UUID, body: DutyEnd) -> DutyRead:
    require_staff(identity, grid.community_id)
    duty = await uow.repository(WorkerRepository).get_duty(duty_id)
    if duty is None or duty.grid_id != grid.id:
        raise DutyNotFound()
    if body.ended_on <= duty.valid_from or (duty.valid_to is not None and body.ended_on > duty.valid_to):
        raise OutsideGridValidity(Text("结束日期须在值守期间内", "The end date must fall within the duty"))
    duty.valid_to = body.ended_on
    await uow.flush()
    return DutyRead.model_validate(duty)


async def grid_duties(uow: UnitOfWork, grid: Grid, as_of: dt.date | None) -> list[DutyRead]:
    duties = await uow.repository(WorkerRepository).duties(grid_id=grid.id, as_of=as_of)
    return [DutyRead.model_validate(duty) for duty in duties]


async def worker_duties(uow: UnitOfWork, identity: Identity, worker_id: uuid.UUID) -> list[DutyRead]:
    """The worker's duty history, oldest first (staff of the community, or the worker themself)."""
    worker = await _load_worker(uow, identity, worker_id)
    duties = await uow.repository(WorkerRepository).duties(worker_id=worker.id)
    return [DutyRead.model_validate(duty) for duty in duties]
