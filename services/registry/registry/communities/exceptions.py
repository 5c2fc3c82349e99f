"""Errors of the communities domain."""

from __future__ import annotations

from shared.errors import Conflict, NotFound, ValidationFailed
from shared.i18n import Text


class CommunityNotFound(NotFound):
    code = "COMMUNITY_NOT_FOUND"
    title = Text("社区不存在", "Community not found")


class CommunityCodeTaken(Conflict):
    code = "COMMUNITY_CODE_TAKEN"
    title = Text("社区编码已被使用", "The community code is already used")


class CommunityInUse(Conflict):
    code = "COMMUNITY_IN_USE"
    title = Text("社区仍有楼宇归属记录", "The community has building jurisdiction records")


class DateRangeInvalid(ValidationFailed):
    code = "DATE_RANGE_INVALID"
    title = Text("日期范围无效或过长", "The date range is reversed or too long")
