"""Request errors."""

from __future__ import annotations

from shared.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shared.i18n import Text


class RequestNotFound(NotFound):
    code = "SERVICE_REQUEST_NOT_FOUND"
    title = Text("服务请求不存在", "Service request not found")


class RequestNotVisible(Forbidden):
    code = "FORBIDDEN"
    title = Text("无权查看或处理该请求", "You may not see or act on this request")


class ServiceTypeUnavailable(ValidationFailed):
    code = "SERVICE_TYPE_UNAVAILABLE"
    title = Text("该服务事项不可申请", "This service cannot be requested")


class AnswersInvalid(ValidationFailed):
    code = "ANSWERS_INVALID"
    title = Text("表单填写有误", "The form answers are invalid")


class IllegalTransition(Conflict):
    code = "ILLEGAL_TRANSITION"
    title = Text("当前状态下不能执行该操作", "This action is not allowed in the current status")


class ActionNotPermitted(Forbidden):
    code = "FORBIDDEN"
    title = Text("无权执行该流程操作", "You may not take this action")


class ReasonRequired(ValidationFailed):
    code = "REASON_REQUIRED"
    title = Text("该操作需要填写原因或说明", "This action needs a reason")


class NotRateable(Conflict):
    code = "NOT_RATEABLE"
    title = Text("只有已办结的请求可以评价", "Only a resolved request can be rated")


class AlreadyRated(Conflict):
    code = "FOLLOW_UP_ALREADY_RATED"
    title = Text("整改后的追评只能提交一次", "The follow-up rating after rectification is given once")


class NoReturnVisitOwed(Conflict):
    code = "NO_RETURN_VISIT_OWED"
    title = Text("该请求没有待回访的差评", "This request has no bad rating awaiting a return visit")


class ReturnVisitRecorded(Conflict):
    code = "RETURN_VISIT_ALREADY_RECORDED"
    title = Text("回访已记录", "The return visit is already recorded")


class PartnerNotOffered(ValidationFailed):
    code = "PARTNER_NOT_OFFERED"
    title = Text("该服务事项不能由所选合作方办理", "The chosen partner does not handle this service type")


class ConsentRequired(ValidationFailed):
    code = "SHARE_CONSENT_REQUIRED"
    title = Text("选择合作方办理须同意共享信息", "Choosing a partner requires consent to share the request")


class OutcomeRequired(ValidationFailed):
    code = "OUTCOME_REQUIRED"
    title = Text("合作方办结时须提交办理结果", "A partner resolves with a structured outcome")


class OutcomeKindMismatch(ValidationFailed):
    code = "OUTCOME_KIND_MISMATCH"
    title = Text("办理结果类型与服务事项不符", "The outcome kind does not match the service's handler")


class OutcomeNotAllowed(ValidationFailed):
    code = "OUTCOME_NOT_ALLOWED"
    title = Text("只有办结操作可以提交办理结果", "Only the action resolve carries an outcome")
