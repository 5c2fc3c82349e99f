"""An enterprise's statuses, defined once (the models' CHECKs, the schemas and the service read them)."""

from __future__ import annotations

from typing import Literal, get_args

Status = Literal["active", "moved_out", "deregistered"]
STATUSES: tuple[Status, ...] = get_args(Status)
