"""A campaign's statuses, defined once: active until it is ended (with its summary)."""

from __future__ import annotations

from typing import Literal, get_args

CampaignStatus = Literal["active", "ended"]
CampaignKind = Literal["public_health", "safety", "weather", "other"]

CAMPAIGN_STATUSES: tuple[CampaignStatus, ...] = get_args(CampaignStatus)
CAMPAIGN_KINDS: tuple[CampaignKind, ...] = get_args(CampaignKind)
ACTIVE: CampaignStatus = "active"
ENDED: CampaignStatus = "ended"
