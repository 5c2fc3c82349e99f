"""Activity errors."""

from __future__ import annotations

from shared.errors import Conflict, NotFound
from shared.i18n import Text


class ActivityNotFound(NotFound):
    code = "ACTIVITY_NOT_FOUND"
    title = Text("活动不存在", "Activity not found")


class AlreadyEnrolled(Conflict):
    code = "ALREADY_ENROLLED"
    title = Text("您已报名或在候补名单中", "You are already enrolled or waitlisted")


class NotEnrolled(NotFound):
    code = "NOT_ENROLLED"
    title = Text("您没有报名该活动", "You are not enrolled in this activity")


class ActivityCancelled(Conflict):
    code = "ACTIVITY_CANCELLED"
    title = Text("活动已取消", "The activity is cancelled")


class ActivityStarted(Conflict):
    code = "ACTIVITY_STARTED"
    title = Text("活动已开始，不能再报名", "The activity has started; enrolment is closed")
