"""Bodies of the mini-program sign-in and phone binding."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

# wx.login() and getPhoneNumber codes: opaque, URL-safe
WeChatCodeText = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")


class MiniProgramSignIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"code": "0a3Xb2000ZqUuH1n0J000"}]})

    code: str = WeChatCodeText


class PhoneBinding(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"code": "e31968a7f94cc5ee25fafc2aef"}]})

    code: str = WeChatCodeText
