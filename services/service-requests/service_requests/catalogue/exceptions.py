"""Catalogue errors."""

from __future__ import annotations

from shared.errors import Conflict, Forbidden, NotFound
from shared.i18n import Text


class ServiceTypeNotFound(NotFound):
    code = "SERVICE_TYPE_NOT_FOUND"
    title = Text("服务事项不存在", "Service type not found")


class ServiceTypeCodeTaken(Conflict):
    code = "SERVICE_TYPE_CODE_TAKEN"
    title = Text("该社区已有相同编码的服务事项", "The community already has a service type with this code")


class NotStaffOfCommunity(Forbidden):
    code = "FORBIDDEN"
    title = Text("只能管理本社区的数据", "You may only manage your own community")


class BrandsAlreadySet(Conflict):
    code = "BRANDS_ALREADY_SET"
    title = Text(
        "该社区已设置品牌名称,请带 If-Match 修改", "The community has its brand names: send If-Match to change them"
    )
