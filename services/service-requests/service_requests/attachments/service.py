"""Files of service requests: ask for an upload, confirm it, list with short-lived links, remove; the sweep.

Who: anyone who may see the request (its requester, their enterprise's representative, the
community's staff, the partner it is routed to). A partner sees, adds and is told about only the
files of form attributes the request's type version marks `shareable`, and only with the
requester's consent on record; everyone else sees every file. Confirmations and removals are
timeline entries (`kind = "attachment"`). Files of a closed, rejected or cancelled request stay.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from service_requests.attachments.models import RequestAttachment
from service_requests.attachments.repository import RequestAttachmentRepository
from service_requests.attachments.schemas import RequestAttachmentCreate, RequestAttachmentRead
from service_requests.requests.models import ServiceRequest
from service_requests.requests.repository import RequestRepository
from service_requests.requests.transitions import load_visible, new_event
from service_requests.requests.views import actor_role, actors_of
from service_requests.requests.workflow import TERMINAL, Actor, Status
from shared.attachments import (
    AttachmentAlreadyConfirmed,
    AttachmentEvidenceClosed,
    AttachmentLimitReached,
    AttachmentNotFound,
    AttachmentPending,
    AttachmentSettings,
    confirm_pending,
    links,
    remove_objects,
    require_size,
    upload_form,
)
from shared.auth import Identity, Role
from shared.db import utcnow
from shared.errors import Forbidden, ValidationFailed
from shared.i18n import Text
from shared.storage import ObjectStore
from shared.uow import UnitOfWork

SWEEP_GRACE = dt.timedelta(minutes=1)


class AttachmentFieldUnknown(ValidationFailed):
    code = "ATTACHMENT_FIELD_UNKNOWN"
    title = Text("该服务事项的表单没有此字段", "The request's form has no such field")


class AttachmentNotShared(Forbidden):
    code = "ATTACHMENT_NOT_SHARED"
    title = Text("合作方只能处理可共享字段的文件", "Partners handle only files of shareable fields")


@dataclass(frozen=True, slots=True)
class Access:
    row: ServiceRequest
    partner_only: bool  # the caller sees the shareable files only
    shareable: frozenset[str]
    fields: frozenset[str]

    def sees(self, field: str | None) -> bool:
        return not self.partner_only or (field is not None and field in self.shareable)


def _settings(uow: UnitOfWork) -> AttachmentSettings:
    settings: AttachmentSettings = uow.app.state.settings
    return settings


def _store(uow: UnitOfWork) -> ObjectStore:
    store: ObjectStore = uow.app.state.object_store
    return store


def _base(row: RequestAttachment) -> str:
    return f"requests/{row.request_id}/{row.id}"


async def _access(uow: UnitOfWork, identity: Identity, request_id: uuid.UUID, *, for_update: bool = False) -> Access:
    row = await load_visible(uow.repository(RequestRepository), identity, request_id, for_update=for_update)
    form = row.type_snapshot.get("form", [])
    shareable = frozenset(attribute["code"] for attribute in form if attribute.get("shareable"))
    actors = actors_of(identity, row)
    others = bool({Actor.requester, Actor.staff} & actors) or identity.has(Role.platform_admin)
    partner_only = Actor.partner in actors and not others
    if partner_only and row.share_consent_at is None:
        shareable = frozenset()  # no consent on record: nothing of the request is the partner's
    return Access(row, partner_only, shareable, frozenset(attribute["code"] for attribute in form))


async def request_upload(
    uow: UnitOfWork, identity: Identity, request_id: uuid.UUID, body: RequestAttachmentCreate
) -> AttachmentPending:
    settings = _settings(uow)
    require_size(body.size, settings.attachment_max_bytes)
    access = await _access(uow, identity, request_id)
    if body.field is not None and body.field not in access.fields:
        raise AttachmentFieldUnknown(errors=[{"detail": "not a field of the request's form", "pointer": "/field"}])
    if not access.sees(body.field):
        raise AttachmentNotShared()
    expires = dt.timedelta(seconds=settings.attachment_upload_seconds)
    values: dict[str, object] = {
        "request_id": access.row.id,
        "community_id": access.row.community_id,
        "field": body.field,
        "name": body.name,
        "declared_type": body.content_type,
        "declared_size": body.size,
        "sha256": body.sha256,
        "uploaded_by": identity.subject,
        "status": "pending",
        "expires_at": utcnow() + expires,
    }
    row = await uow.repository(RequestAttachmentRepository).claim_slot(values, settings.attachment_max_per_item)
    if row is None:
        limit = settings.attachment_max_per_item
        raise AttachmentLimitReached(
            Text(f"每项最多 {limit} 个附件", f"A request holds at most {limit} files"), extra={"limit": limit}
        )
    form = await upload_form(_store(uow), _base(row), body.content_type, body.size, expires)
    confirm = f"/v1/service-requests/{access.row.id}/attachments/{row.id}/confirm"
    return AttachmentPending(
        id=row.id, name=row.name, stage=None, expires_at=row.expires_at, upload=form, confirm_path=confirm
    )


async def _own(uow: UnitOfWork, access: Access, attachment_id: uuid.UUID, *, for_update: bool) -> RequestAttachment:
    row = await uow.repository(RequestAttachmentRepository).get(attachment_id, for_update=for_update)
    if row is None or row.request_id != access.row.id or not access.sees(row.field):
        raise AttachmentNotFound()
    found: RequestAttachment = row
    return found


async def confirm(
    uow: UnitOfWork, identity: Identity, request_id: uuid.UUID, attachment_id: uuid.UUID
) -> RequestAttachmentRead:
    """The uploader's confirmation (shared/attachments.py checks the file); one of two at once wins."""
    access = await _access(uow, identity, request_id)
    row = await _own(uow, access, attachment_id, for_update=True)
    now = utcnow()
    values = await confirm_pending(
        row, identity.subject, _store(uow), _base(row), _settings(uow).attachment_max_bytes, now
    )
    confirmed = await uow.repository(RequestAttachmentRepository).mark_confirmed(row.id, values)
    if confirmed is None:
        raise AttachmentAlreadyConfirmed()
    _record(uow, identity, access, confirmed, "attachment_added", now)
    return await _present(uow, confirmed)


def _record(
    uow: UnitOfWork, identity: Identity, access: Access, row: RequestAttachment, action: str, now: dt.datetime
) -> None:
    """A timeline entry; `shared` says whether the routed partner is shown it."""
    data = {"attachment_id": str(row.id), "name": row.name, "field": row.field, "shared": row.field in access.shareable}
    event = new_event(access.row, "attachment", identity.subject, actor_role(identity), now, action=action, data=data)
    uow.repository(RequestRepository).add_event(event)


async def _present(uow: UnitOfWork, row: RequestAttachment) -> RequestAttachmentRead:
    expires = dt.timedelta(seconds=_settings(uow).attachment_download_seconds)
    url, thumbnail = await links(_store(uow), _base(row), row.name, row.has_thumbnail, expires)
    return RequestAttachmentRead(
        id=row.id,
        name=row.name,
        stage=None,
        field=row.field,
        content_type=row.content_type or row.declared_type,
        size=row.size or 0,
        sha256=row.sha256,
        width=row.width,
        height=row.height,
        uploaded_by=row.uploaded_by,
        confirmed_at=row.confirmed_at or row.created_at,
        url=url,
        thumbnail_url=thumbnail,
        links_expire_at=utcnow() + expires,
    )


async def list_attachments(uow: UnitOfWork, identity: Identity, request_id: uuid.UUID) -> list[RequestAttachmentRead]:
    """Confirmed files the caller may see (a partner: those of shareable fields), oldest first."""
    access = await _access(uow, identity, request_id)
    rows = await uow.repository(RequestAttachmentRepository).confirmed_of({"request_id": access.row.id})
    return [await _present(uow, row) for row in rows if access.sees(row.field)]


async def remove(uow: UnitOfWork, identity: Identity, request_id: uuid.UUID, attachment_id: uuid.UUID) -> None:
    """The uploader or the community's staff; never a file of a closed, rejected or cancelled request."""
    access = await _access(uow, identity, request_id, for_update=True)
    row = await _own(uow, access, attachment_id, for_update=True)
    is_staff = identity.staff_of(access.row.community_id)
    if row.uploaded_by != identity.subject and not is_staff:
        raise Forbidden(Text("只能删除自己上传的文件", "You may remove only files you uploaded"))
    if row.status == "confirmed":
        if Status(access.row.status) in TERMINAL:
            raise AttachmentEvidenceClosed(extra={"status_now": access.row.status})
        _record(uow, identity, access, row, "attachment_removed", utcnow())
    await uow.repository(RequestAttachmentRepository).remove(row.id)
    await uow.flush()
    await remove_objects(_store(uow), _base(row))


async def sweep_expired(uow: UnitOfWork, store: ObjectStore, now: dt.datetime) -> int:
    """Remove pending uploads whose target expired, and their objects (a job; each row is claimed once)."""
    rows = await uow.repository(RequestAttachmentRepository).claim_expired(now - SWEEP_GRACE)
    for row in rows:
        await remove_objects(store, _base(row))
    return len(rows)
