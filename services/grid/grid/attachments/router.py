"""`/v1/{hazards,grid-events,inspections}/{id}/attachments`: photos and files of an item.

No `from __future__ import annotations` here: the routes are built by a function, and FastAPI
reads the body model of each from the function's real annotations.
"""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from grid.attachments import service
from grid.attachments.schemas import (
    AttachmentList,
    AttachmentPending,
    AttachmentRead,
    EventAttachmentCreate,
    HazardAttachmentCreate,
    InspectionAttachmentCreate,
)
from grid.attachments.states import ItemKind
from shared.attachments import AttachmentCreateBase
from shared.auth import CurrentIdentity, Role, allow
from shared.errors import problem_responses
from shared.uow import UnitOfWorkDep

FIELD = (Role.platform_admin, Role.community_staff, Role.grid_worker)


def attachment_router(
    prefix: str,
    kind: ItemKind,
    id_name: str,
    body_model: type[AttachmentCreateBase],
    roles: tuple[Role, ...],
    noun: str,
) -> APIRouter:
    """The four attachment routes of one kind of item (`{id_name}` in the path)."""
    router = APIRouter(prefix=prefix, tags=["attachments"])
    ItemId = Annotated[uuid.UUID, Path(alias=id_name)]
    stage_query: Any = Query(None, description="Only files of this stage", max_length=20)

    @router.post(
        f"/{{{id_name}}}/attachments",
        status_code=201,
        summary=f"Ask to upload a file to a {noun}",
        dependencies=[allow(*roles)],
        responses=problem_responses(403, 404, 409, 422, 503),
        operation_id=f"request_{kind}_attachment",
    )
    async def request_upload(
        item_id: ItemId,
        body: body_model,  # type: ignore[valid-type]
        uow: UnitOfWorkDep,
        identity: CurrentIdentity,
        response: Response,
    ) -> AttachmentPending:
        """A short-lived signed target: POST the form `fields` and the file as `file` there, then confirm.

        The file never passes the API's 1 MiB body limit. Limits: `size` up to 10 MiB, 9 files an item."""
        pending = await service.request_upload(uow, identity, kind, item_id, body)
        response.headers["Location"] = pending.confirm_path.removesuffix("/confirm")
        return pending

    @router.post(
        f"/{{{id_name}}}/attachments/{{attachment_id}}/confirm",
        summary=f"Confirm an uploaded file of a {noun}",
        dependencies=[allow(*roles)],
        responses=problem_responses(403, 404, 409, 410, 422, 503),
        operation_id=f"confirm_{kind}_attachment",
    )
    async def confirm(
        item_id: ItemId, attachment_id: uuid.UUID, uow: UnitOfWorkDep, identity: CurrentIdentity
    ) -> AttachmentRead:
        """The uploader only: size, SHA-256 and the real type are checked, EXIF is removed, a thumbnail is made;
        then the file is visible and the item's history says so. A refused file is deleted."""
        return await service.confirm(uow, identity, kind, item_id, attachment_id)

    @router.get(
        f"/{{{id_name}}}/attachments",
        summary=f"The files of a {noun}",
        dependencies=[allow(*roles)],
        responses=problem_responses(403, 404, 503),
        operation_id=f"list_{kind}_attachments",
    )
    async def list_attachments(
        item_id: ItemId, uow: UnitOfWorkDep, identity: CurrentIdentity, stage: str | None = stage_query
    ) -> AttachmentList:
        """Confirmed files, oldest first, with download and thumbnail links valid for a few minutes."""
        return AttachmentList(items=await service.list_attachments(uow, identity, kind, item_id, stage))

    @router.delete(
        f"/{{{id_name}}}/attachments/{{attachment_id}}",
        status_code=204,
        summary=f"Remove a file of a {noun}",
        dependencies=[allow(*roles)],
        responses=problem_responses(403, 404, 409),
        operation_id=f"remove_{kind}_attachment",
    )
    async def remove(
        item_id: ItemId, attachment_id: uuid.UUID, uow: UnitOfWorkDep, identity: CurrentIdentity
    ) -> Response:
        """Its uploader or the community's staff; refused once the item is closed (evidence is only added to)."""
        await service.remove(uow, identity, kind, item_id, attachment_id)
        return Response(status_code=204)

    return router


hazard_attachments = attachment_router(
    "/v1/hazards", "hazard", "hazard_id", HazardAttachmentCreate, (*FIELD, Role.enterprise_rep), "hazard"
)
event_attachments = attachment_router(
    "/v1/grid-events", "grid_event", "event_id", EventAttachmentCreate, (*FIELD, Role.enterprise_rep), "grid event"
)
inspection_attachments = attachment_router(
    "/v1/inspections", "inspection", "inspection_id", InspectionAttachmentCreate, FIELD, "inspection"
)
