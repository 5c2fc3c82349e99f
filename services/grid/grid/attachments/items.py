"""The three kinds of item a file can belong to: who may read and add to each, when it is closed,
and where its history is written. The read rules are the item's own (grid/access.py and the events
service's), plus the enterprise concerned by a hazard, whose representative adds the repair photo."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from grid.access import in_grid, require_grid
from grid.attachments.states import ItemKind
from grid.events.models import GridEventHistory
from grid.events.repository import EventRepository
from grid.events.service import load_event
from grid.events.transitions import TERMINAL
from grid.grids.repository import GridRepository
from grid.hazards.exceptions import HazardNotFound
from grid.hazards.models import HazardHistory
from grid.hazards.repository import HazardRepository
from grid.inspections.exceptions import InspectionNotFound
from grid.inspections.models import InspectionHistory
from grid.inspections.repository import InspectionRepository
from grid.workers.repository import WorkerRepository
from shared.auth import Identity, Role
from shared.errors import Forbidden
from shared.i18n import Text
from shared.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class Item:
    kind: ItemKind
    id: uuid.UUID
    community_id: uuid.UUID
    status: str
    closed: bool  # evidence may then be added, never removed
    stages: frozenset[str]  # the stages this caller may add


class StageNotYours(Forbidden):
    code = "ATTACHMENT_STAGE_NOT_ALLOWED"
    title = Text("您不能在此阶段添加附件", "You may not add files at this stage")


_ROLE_ORDER = (Role.platform_admin, Role.community_staff, Role.grid_worker, Role.enterprise_rep)


def acting_role(identity: Identity) -> str:
    return next((str(role) for role in _ROLE_ORDER if role in identity.roles), sorted(identity.roles)[0])


async def load_item(uow: UnitOfWork, identity: Identity, kind: ItemKind, item_id: uuid.UUID) -> Item:
    """The item, if the caller may read it (403 or 404 otherwise)."""
    if kind == "hazard":
        return await _hazard(uow, identity, item_id)
    if kind == "grid_event":
        return await _event(uow, identity, item_id)
    return await _inspection(uow, identity, item_id)


async def _hazard(uow: UnitOfWork, identity: Identity, hazard_id: uuid.UUID) -> Item:
    hazard = await uow.repository(HazardRepository).get(hazard_id)
    if hazard is None:
        raise HazardNotFound()
    concerned = Role.enterprise_rep in identity.roles and identity.enterprise_id == hazard.enterprise_id
    grid = await uow.repository(GridRepository).get(hazard.grid_id)
    parent = grid.parent_id if grid else None
    if in_grid(identity, hazard.community_id, hazard.grid_id, parent):
        stages = frozenset({"found", "rectified", "verified"})
    elif concerned and hazard.enterprise_id is not None:
        stages = frozenset({"rectified"})  # the enterprise photographs its repair
    else:
        raise Forbidden(Text("只能查看自己网格或本企业的隐患", "You may see hazards of your grids or your enterprise"))
    return Item("hazard", hazard.id, hazard.community_id, hazard.status, hazard.status == "verified", stages)


async def _event(uow: UnitOfWork, identity: Identity, event_id: uuid.UUID) -> Item:
    event = await load_event(uow, identity, event_id)  # staff, workers of its grid, its handler, its reporter
    field = identity.staff_of(event.community_id)
    if not field and event.grid_id is not None and Role.grid_worker in identity.roles:
        grid = await uow.repository(GridRepository).get(event.grid_id)
        field = grid is not None and in_grid(identity, event.community_id, grid.id, grid.parent_id)
    handler = False
    if event.handler_type == "grid_worker" and event.handler_worker_id is not None:
        worker = await uow.repository(WorkerRepository).get(event.handler_worker_id)
        handler = worker is not None and worker.user_subject == identity.subject
    stages = {"report"} if event.reporter_subject == identity.subject or field else set()
    if field or handler:
        stages.add("handling")
    if field:
        stages.add("verification")
    return Item("grid_event", event.id, event.community_id, event.status, event.status in TERMINAL, frozenset(stages))


async def _inspection(uow: UnitOfWork, identity: Identity, inspection_id: uuid.UUID) -> Item:
    inspection = await uow.repository(InspectionRepository).get(inspection_id)
    if inspection is None:
        raise InspectionNotFound()
    grid = await uow.repository(GridRepository).get(inspection.grid_id)
    require_grid(identity, inspection.community_id, inspection.grid_id, grid.parent_id if grid else None)
    # a visit is a record once made: its evidence can be added to, never removed
    return Item("inspection", inspection.id, inspection.community_id, "recorded", True, frozenset())


def require_stage(item: Item, stage: str | None) -> None:
    if item.kind == "inspection":
        return
    if stage not in item.stages:
        raise StageNotYours(extra={"allowed_stages": sorted(item.stages)})


async def lock_item(uow: UnitOfWork, kind: ItemKind, item_id: uuid.UUID) -> None:
    """Hold the item's row until commit, so a file is never removed while the item closes (call it
    before the item is first read in the transaction, so the read sees the locked row)."""
    if kind == "hazard":
        await uow.repository(HazardRepository).get(item_id, for_update=True)
    elif kind == "grid_event":
        await uow.repository(EventRepository).get(item_id, for_update=True)


async def record(uow: UnitOfWork, identity: Identity, item: Item, action: str, note: str, data: dict[str, str]) -> None:
    """The item's history: `attachment_added` or `attachment_removed`."""
    if item.kind == "hazard":
        history = HazardHistory(
            hazard_id=item.id,
            action=action,
            from_status=item.status,
            to_status=item.status,
            actor=identity.subject,
            note=note,
        )
        await uow.repository(HazardRepository).add_history(history)
    elif item.kind == "grid_event":
        event_history = GridEventHistory(
            event_id=item.id,
            action=action,
            from_status=item.status,
            to_status=item.status,
            actor=identity.subject,
            actor_role=acting_role(identity),
            note=note,
            data=data,
        )
        await uow.repository(EventRepository).add_history(event_history)
    else:
        visit = InspectionHistory(inspection_id=item.id, action=action, actor=identity.subject, note=note)
        await uow.repository(InspectionRepository).add_history(visit)
