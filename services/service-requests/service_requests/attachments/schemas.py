"""Bodies of the request attachment routes: the shared ones with the form field a file answers."""

from __future__ import annotations

from pydantic import BaseModel, Field

from shared.attachments import AttachmentCreateBase, AttachmentPending, AttachmentRead

__all__ = ["AttachmentPending"]


class RequestAttachmentCreate(AttachmentCreateBase):
    field: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        pattern=r"^[a-z][a-z0-9_]*$",
        description="The form attribute this file belongs to; a partner sees it only if that attribute is shareable",
        examples=["business_licence"],
    )


class RequestAttachmentRead(AttachmentRead):
    field: str | None


class RequestAttachmentList(BaseModel):
    items: list[RequestAttachmentRead]
