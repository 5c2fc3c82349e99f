"""`/v1/service-requests/{request_id}/attachments`: a business licence, an invoice, a photo of the problem."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from service_requests.attachments import service
from service_requests.attachments.schemas import (
    AttachmentPending,
    RequestAttachmentCreate,
    RequestAttachmentList,
    RequestAttachmentRead,
)
from shared.auth import CurrentIdentity, Role, allow
from shared.errors import problem_responses
from shared.uow import UnitOfWorkDep

router = APIRouter(prefix="/v1/service-requests", tags=["attachments"])

PARTICIPANTS = (Role.platform_admin, Role.community_staff, Role.partner, Role.enterprise_rep, Role.employee)


@router.post(
    "/{request_id}/attachments",
    status_code=201,
    summary="Ask to upload a file to a service request",
    dependencies=[allow(*PARTICIPANTS)],
    responses=problem_responses(403, 404, 409, 422, 503),
)
async def request_upload(
    request_id: uuid.UUID,
    body: RequestAttachmentCreate,
    uow: UnitOfWorkDep,
    identity: CurrentIdentity,
    response: Response,
) -> AttachmentPending:
    """A short-lived signed target: POST the form `fields` and the file as `file` there, then confirm.

    The file never passes the API's 1 MiB body limit. Limits: `size` up to 10 MiB, 9 files a request;
    a partner may add files only to shareable fields."""
    pending = await service.request_upload(uow, identity, request_id, body)
    response.headers["Location"] = pending.confirm_path.removesuffix("/confirm")
    return pending


@router.post(
    "/{request_id}/attachments/{attachment_id}/confirm",
    summary="Confirm an uploaded file of a service request",
    dependencies=[allow(*PARTICIPANTS)],
    responses=problem_responses(403, 404, 409, 410, 422, 503),
)
async def confirm(
    request_id: uuid.UUID, attachment_id: uuid.UUID, uow: UnitOfWorkDep, identity: CurrentIdentity
) -> RequestAttachmentRead:
    """The uploader only: size, SHA-256 and the real type are checked, EXIF is removed, a thumbnail is made;
    then the file is visible and the timeline says so. A refused file is deleted."""
    return await service.confirm(uow, identity, request_id, attachment_id)


@router.get(
    "/{request_id}/attachments",
    summary="The files of a service request",
    dependencies=[allow(*PARTICIPANTS)],
    responses=problem_responses(403, 404, 503),
)
async def list_attachments(
    request_id: uuid.UUID, uow: UnitOfWorkDep, identity: CurrentIdentity
) -> RequestAttachmentList:
    """Confirmed files with links valid a few minutes; the routed partner sees only those of shareable fields."""
    return RequestAttachmentList(items=await service.list_attachments(uow, identity, request_id))


@router.delete(
    "/{request_id}/attachments/{attachment_id}",
    status_code=204,
    summary="Remove a file of a service request",
    dependencies=[allow(*PARTICIPANTS)],
    responses=problem_responses(403, 404, 409),
)
async def remove(
    request_id: uuid.UUID, attachment_id: uuid.UUID, uow: UnitOfWorkDep, identity: CurrentIdentity
) -> Response:
    """Its uploader or the community's staff; refused once the request is closed, rejected or cancelled."""
    await service.remove(uow, identity, request_id, attachment_id)
    return Response(status_code=204)
