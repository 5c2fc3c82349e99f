"""Bodies of the SMS sign-in."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from identity.accounts.phones import PhoneNumber


class CodeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"phone": "13800138000"}]})

    phone: PhoneNumber


class CodeSent(BaseModel):
    """The same answer whether the number has an account or not."""

    expires_in: int = Field(description="Seconds the code stays valid", examples=[300])
    resend_after: int = Field(description="Seconds before another code may be asked for", examples=[60])


class SmsSignIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"phone": "13800138000", "code": "123456"}]}
    )

    phone: PhoneNumber
    code: str = Field(min_length=6, max_length=6, pattern=r"^[0-9]{6}$")
