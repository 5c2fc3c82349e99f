"""Errors of the enterprises domain."""

from __future__ import annotations

from shared.errors import Conflict, NotFound, ValidationFailed
from shared.i18n import Text


class EnterpriseNotFound(NotFound):
    code = "ENTERPRISE_NOT_FOUND"
    title = Text("企业不存在", "Enterprise not found")


class OccupancyNotFound(NotFound):
    code = "OCCUPANCY_NOT_FOUND"
    title = Text("入驻记录不存在", "Site not found")


class UsccTaken(Conflict):
    code = "USCC_TAKEN"
    title = Text("该统一社会信用代码已登记", "An enterprise with this USCC is already registered")


class StatusConflict(Conflict):
    code = "STATUS_CONFLICT"
    title = Text("状态变更与已有记录冲突", "The status change conflicts with the recorded history")


class InvalidDates(ValidationFailed):
    code = "INVALID_DATES"
    title = Text("日期无效", "Invalid dates")


class ImportRejected(ValidationFailed):
    code = "IMPORT_REJECTED"
    title = Text("导入文件有错误,未导入任何记录", "The file has errors; nothing was imported")


class RepresentativePhoneMismatch(Conflict):
    code = "REPRESENTATIVE_PHONE_MISMATCH"
    title = Text("该号码不是企业登记的代表号码", "The phone is not the enterprise's recorded representative phone")
