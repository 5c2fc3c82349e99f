"""SQL for the grid's attachments: the shared statements (shared/attachment_repository.py) on `grid.attachment`."""

from __future__ import annotations

from grid.attachments.models import Attachment
from shared.attachment_repository import AttachmentRepositoryBase


class AttachmentRepository(AttachmentRepositoryBase):
    model = Attachment
    scope = ("item_kind", "item_id")
