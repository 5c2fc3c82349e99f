"""SQL for request attachments: the shared statements (shared/attachment_repository.py) on `requests.attachment`."""

from __future__ import annotations

from service_requests.attachments.models import RequestAttachment
from shared.attachment_repository import AttachmentRepositoryBase


class RequestAttachmentRepository(AttachmentRepositoryBase):
    model = RequestAttachment
    scope = ("request_id",)
