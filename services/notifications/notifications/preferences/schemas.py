"""Bodies of the preference endpoints."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

OptionalChannel = Literal["wechat", "sms"]


class KindRead(BaseModel):
    """A kind of notification, its channels and the caller's choice."""

    kind: str = Field(examples=["request.resolved"])
    summary: str = Field(description="Who receives it, when")
    urgent: bool = Field(description="Urgent kinds ignore preferences and quiet hours")
    channels: list[str] = Field(description="Every channel it is sent on (the inbox always)")
    optional_channels: list[str] = Field(description="The channels a person may switch off")
    chosen: list[str] = Field(description="The optional channels the caller receives it on")


class PreferenceWrite(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {"channels": []}})

    channels: list[OptionalChannel] = Field(
        max_length=2, description="The optional channels wanted besides the inbox (empty: the inbox only)"
    )
