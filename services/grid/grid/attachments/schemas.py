"""Bodies of the attachment routes: the shared ones (shared/attachments.py) with each item's stages."""

from __future__ import annotations

from pydantic import BaseModel, Field

from grid.attachments.states import EventStage, HazardStage
from shared.attachments import AttachmentCreateBase, AttachmentPending, AttachmentRead

__all__ = ["AttachmentPending", "AttachmentRead"]


class HazardAttachmentCreate(AttachmentCreateBase):
    stage: HazardStage = Field(default="found", description="found 发现 / rectified 整改 / verified 复核")


class EventAttachmentCreate(AttachmentCreateBase):
    stage: EventStage = Field(default="report", description="report 上报 / handling 处置 / verification 核查")


class InspectionAttachmentCreate(AttachmentCreateBase):
    pass


class AttachmentList(BaseModel):
    items: list[AttachmentRead]
