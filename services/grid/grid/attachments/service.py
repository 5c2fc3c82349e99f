"""Attachments: ask for an upload, confirm it, list with short-lived links, remove; the sweep of expired uploads.

The file goes from the client to the store directly (an S3 POST policy, or the local store's signed
path); the service sees it only on confirmation, when it checks it (shared/attachments.py). Only
then does the row become `confirmed` and the file visible, and the item's history says so.
"""

from __future__ import annotations

import datetime as dt
import uuid

from grid.attachments.items import Item, load_item, lock_item, record, require_stage
from grid.attachments.models import Attachment
from grid.attachments.repository import AttachmentRepository
from grid.attachments.states import ItemKind
from shared.attachments import (
    AttachmentAlreadyConfirmed,
    AttachmentCreateBase,
    AttachmentEvidenceClosed,
    AttachmentLimitReached,
    AttachmentNotFound,
    AttachmentPending,
    AttachmentRead,
    AttachmentSettings,
    confirm_pending,
    keys_of,
    links,
    remove_objects,
    require_size,
    upload_form,
)
from shared.auth import Identity
from shared.db import utcnow
from shared.i18n import Text
from shared.scope import require_staff
from shared.storage import ObjectStore
from shared.uow import UnitOfWork

PATHS: dict[ItemKind, str] = {"hazard": "/v1/hazards", "grid_event": "/v1/grid-events", "inspection": "/v1/inspections"}
SWEEP_GRACE = dt.timedelta(minutes=1)  # an upload that started just before its target expired may still land


def _settings(uow: UnitOfWork) -> AttachmentSettings:
    settings: AttachmentSettings = uow.app.state.settings
    return settings


def _store(uow: UnitOfWork) -> ObjectStore:
    store: ObjectStore = uow.app.state.object_store
    return store


def _base(row: Attachment) -> str:
    """The object keys' common part: made by the platform, never from the client's file name."""
    return f"grid/{row.item_kind}/{row.item_id}/{row.id}"


async def request_upload(
    uow: UnitOfWork, identity: Identity, kind: ItemKind, item_id: uuid.UUID, body: AttachmentCreateBase
) -> AttachmentPending:
    """A pending attachment in a free slot of the item, and where to upload the file."""
    settings = _settings(uow)
    require_size(body.size, settings.attachment_max_bytes)
    item = await load_item(uow, identity, kind, item_id)
    stage: str | None = getattr(body, "stage", None)
    require_stage(item, stage)
    expires = dt.timedelta(seconds=settings.attachment_upload_seconds)
    values: dict[str, object] = {
        "item_kind": kind,
        "item_id": item.id,
        "community_id": item.community_id,
        "stage": stage,
        "name": body.name,
        "declared_type": body.content_type,
        "declared_size": body.size,
        "sha256": body.sha256,
        "uploaded_by": identity.subject,
        "status": "pending",
        "expires_at": utcnow() + expires,
    }
    row = await uow.repository(AttachmentRepository).claim_slot(values, settings.attachment_max_per_item)
    if row is None:
        limit = settings.attachment_max_per_item
        raise AttachmentLimitReached(
            Text(f"每项最多 {limit} 个附件", f"An item holds at most {limit} files"), extra={"limit": limit}
        )
    form = await upload_form(_store(uow), _base(row), body.content_type, body.size, expires)
    confirm = f"{PATHS[kind]}/{item.id}/attachments/{row.id}/confirm"
    return AttachmentPending(
        id=row.id, name=row.name, stage=row.stage, expires_at=row.expires_at, upload=form, confirm_path=confirm
    )


async def _row(uow: UnitOfWork, item: Item, attachment_id: uuid.UUID, *, for_update: bool = False) -> Attachment:
    row = await uow.repository(AttachmentRepository).get(attachment_id, for_update=for_update)
    if row is None or row.item_kind != item.kind or row.item_id != item.id:
        raise AttachmentNotFound()
    found: Attachment = row
    return found


async def confirm(
    uow: UnitOfWork, identity: Identity, kind: ItemKind, item_id: uuid.UUID, attachment_id: uuid.UUID
) -> AttachmentRead:
    """Check the upload and make it visible; the row is locked, so of two confirmations one wins.

    A refused file is deleted from the store and its row stays pending (invisible) until it expires
    or its uploader removes it; while the target is valid the right bytes may be sent again.
    """
    item = await load_item(uow, identity, kind, item_id)
    row = await _row(uow, item, attachment_id, for_update=True)
    now = utcnow()
    values = await confirm_pending(
        row, identity.subject, _store(uow), _base(row), _settings(uow).attachment_max_bytes, now
    )
    confirmed = await uow.repository(AttachmentRepository).mark_confirmed(row.id, values)
    if confirmed is None:
        raise AttachmentAlreadyConfirmed()
    await record(uow, identity, item, "attachment_added", _note(confirmed), {"attachment_id": str(confirmed.id)})
    return await _present(uow, confirmed)


def _note(row: Attachment) -> str:
    return f"{row.stage or 'file'}: {row.name} ({row.id})"[:2000]


async def _present(uow: UnitOfWork, row: Attachment) -> AttachmentRead:
    expires = dt.timedelta(seconds=_settings(uow).attachment_download_seconds)
    url, thumbnail = await links(_store(uow), _base(row), row.name, row.has_thumbnail, expires)
    assert row.confirmed_at is not None and row.size is not None and row.content_type is not None
    return AttachmentRead(
        id=row.id,
        name=row.name,
        stage=row.stage,
        content_type=row.content_type,
        size=row.size,
        sha256=row.sha256,
        width=row.width,
        height=row.height,
        uploaded_by=row.uploaded_by,
        confirmed_at=row.confirmed_at,
        url=url,
        thumbnail_url=thumbnail,
        links_expire_at=utcnow() + expires,
    )


async def list_attachments(
    uow: UnitOfWork, identity: Identity, kind: ItemKind, item_id: uuid.UUID, stage: str | None
) -> list[AttachmentRead]:
    """Confirmed files of an item the caller may read, oldest first, each with fresh links."""
    item = await load_item(uow, identity, kind, item_id)
    item_key: dict[str, object] = {"item_kind": kind, "item_id": item.id}
    rows = await uow.repository(AttachmentRepository).confirmed_of(item_key, stage=stage)
    return [await _present(uow, row) for row in rows]


async def remove(
    uow: UnitOfWork, identity: Identity, kind: ItemKind, item_id: uuid.UUID, attachment_id: uuid.UUID
) -> None:
    """The uploader (or the community's staff) removes a file; never evidence of a closed item."""
    await lock_item(uow, kind, item_id)
    item = await load_item(uow, identity, kind, item_id)
    row = await _row(uow, item, attachment_id, for_update=True)
    if row.uploaded_by != identity.subject:
        require_staff(identity, item.community_id)
    if row.status == "confirmed":
        if item.closed:
            raise AttachmentEvidenceClosed(extra={"status_now": item.status})
        await record(uow, identity, item, "attachment_removed", _note(row), {"attachment_id": str(row.id)})
    await uow.repository(AttachmentRepository).remove(row.id)
    await uow.flush()
    await remove_objects(_store(uow), _base(row))


async def sweep_expired(uow: UnitOfWork, store: ObjectStore, now: dt.datetime) -> int:
    """Remove pending uploads whose target expired, and their objects (a job; each row is claimed once)."""
    rows = await uow.repository(AttachmentRepository).claim_expired(now - SWEEP_GRACE)
    for row in rows:
        await remove_objects(store, _base(row))
    return len(rows)


__all__ = ["confirm", "keys_of", "list_attachments", "remove", "request_upload", "sweep_expired"]
