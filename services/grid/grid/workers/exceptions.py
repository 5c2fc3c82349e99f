"""Errors of grid workers and duties."""

from __future__ import annotations

from shared.errors import Conflict, NotFound, ValidationFailed
from shared.i18n import Text


class WorkerNotFound(NotFound):
    code = "GRID_WORKER_NOT_FOUND"
    title = Text("网格员不存在", "Grid worker not found")


class DutyNotFound(NotFound):
    code = "DUTY_NOT_FOUND"
    title = Text("值守记录不存在", "Duty not found")


class PrimaryWorkerTaken(Conflict):
    code = "PRIMARY_WORKER_TAKEN"
    title = Text("该网格在此期间已有专职网格员", "The grid already has a primary worker for that period")


class WorkerAlreadyOnDuty(Conflict):
    code = "WORKER_ALREADY_ON_DUTY"
    title = Text("该网格员在此期间已在本网格值守", "The worker already has a duty in this grid then")


class WorkerOutsideCommunity(ValidationFailed):
    code = "WORKER_OUTSIDE_COMMUNITY"
    title = Text("网格员不属于网格所在社区", "The worker belongs to another community")


class UserSubjectTaken(Conflict):
    code = "USER_SUBJECT_TAKEN"
    title = Text("该平台账号已关联其他网格员", "This platform account is linked to another worker")
