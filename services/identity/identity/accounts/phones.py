"""Mainland mobile numbers, in the one form the identity service stores and compares: `+86` and 11 digits."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field

_MOBILE = re.compile(r"^(?:\+?86)?(1[3-9][0-9]{9})$")


def normalise_phone(text: str) -> str:
    """`13800138000`, `+8613800138000` or `86 138 0013 8000` -> `+8613800138000`; anything else is a ValueError."""
    match = _MOBILE.match(re.sub(r"[\s-]", "", text))
    if match is None:
        raise ValueError("a mainland mobile number: 11 digits starting 13-19, optionally after +86")
    return f"+86{match.group(1)}"


def last_four(phone: str) -> str:
    """What an audit record or a log may keep of a number."""
    return phone[-4:]


# A request field: accepted in the forms above, handed on normalised.
PhoneNumber = Annotated[
    str, Field(min_length=11, max_length=20, examples=["13800138000"]), AfterValidator(normalise_phone)
]
