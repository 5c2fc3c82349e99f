"""Errors of the residents' views."""

from __future__ import annotations

from shared.errors import Conflict, Forbidden, ValidationFailed
from shared.i18n import Text


class NotYourBuilding(Forbidden):
    code = "NOT_YOUR_BUILDING"
    title = Text("您的企业不在该楼宇办公", "Your enterprise has no site in this building")


class NotYourEnterprise(Forbidden):
    code = "NOT_YOUR_ENTERPRISE"
    title = Text("只能处理本企业的事项", "You may act only on your own enterprise's records")


class NoEnterprise(Forbidden):
    code = "NO_ENTERPRISE"
    title = Text("身份未关联企业", "Your identity names no enterprise")


class BuildingHasNoGrid(ValidationFailed):
    code = "BUILDING_HAS_NO_GRID"
    title = Text("该楼宇今日未划入任何网格", "The building belongs to no grid today")


class NoRectificationRequested(Conflict):
    code = "NO_RECTIFICATION_REQUESTED"
    title = Text("该隐患当前没有待回复的整改要求", "The hazard has no rectification request to answer")
