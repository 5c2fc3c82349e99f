"""Errors of emergency campaigns."""

from __future__ import annotations

from shared.errors import Conflict, NotFound, ValidationFailed
from shared.i18n import Text


class CampaignNotFound(NotFound):
    code = "CAMPAIGN_NOT_FOUND"
    title = Text("排查行动不存在", "Campaign not found")


class CampaignEnded(Conflict):
    code = "CAMPAIGN_ENDED"
    title = Text("排查行动已结束", "The campaign has ended")


class CheckInExists(Conflict):
    code = "CHECK_IN_EXISTS"
    title = Text("该楼宇当天已报到", "The building has already checked in that day")


class CheckInDayInvalid(ValidationFailed):
    code = "CHECK_IN_DAY_INVALID"
    title = Text("报到日期不在行动期间或晚于今天", "The day is outside the campaign or in the future")


class CampaignTooLong(ValidationFailed):
    code = "CAMPAIGN_TOO_LONG"
    title = Text("排查行动期间过长", "The campaign is too long")
