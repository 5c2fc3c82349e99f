"""Join-request statuses and invitation states, defined once (models, schemas, services)."""

from __future__ import annotations

from typing import Literal

JOIN_REQUEST_STATUSES = ("pending", "approved", "rejected")
JoinRequestStatus = Literal["pending", "approved", "rejected"]
# What a decision moves a pending request to.
DECISIONS: dict[str, JoinRequestStatus] = {"approve": "approved", "reject": "rejected"}

# An invitation's state is derived from its timestamps (never stored).
InvitationStatus = Literal["active", "used", "expired", "cancelled"]
