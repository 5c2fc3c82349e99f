"""Domain errors of elections; each leaves as Problem Details with a stable code."""

from __future__ import annotations

from shared.errors import Conflict, Forbidden, NotFound, ServiceUnavailable, ValidationFailed
from shared.i18n import Text


class ElectionNotFound(NotFound):
    code = "ELECTION_NOT_FOUND"
    title = Text("选举不存在", "Election not found")


class CandidateNotFound(NotFound):
    code = "CANDIDATE_NOT_FOUND"
    title = Text("候选人不存在", "Candidate not found")


class ObjectionNotFound(NotFound):
    code = "OBJECTION_NOT_FOUND"
    title = Text("异议不存在", "Objection not found")


class TrackerNotFound(NotFound):
    code = "TRACKER_NOT_FOUND"
    title = Text("查无此选票追踪码", "No ballot has this tracker code")


class TransitionRefused(Conflict):
    code = "TRANSITION_REFUSED"
    title = Text("选举当前状态不允许此操作", "The election's state does not allow this step")


class WrongPhase(Conflict):
    code = "WRONG_PHASE"
    title = Text("选举当前阶段不允许此操作", "Not possible in the election's current phase")


class VotingClosed(Conflict):
    code = "VOTING_CLOSED"
    title = Text("投票未开放或已结束", "Voting is not open")


class NotOnRoll(Forbidden):
    code = "NOT_ON_ROLL"
    title = Text("该企业不在本次选举的选民名册中", "The enterprise is not on this election's roll")


class NotCurrentRepresentative(Forbidden):
    code = "NOT_CURRENT_REPRESENTATIVE"
    title = Text("您不是该企业当前的授权代表", "You are not the enterprise's current authorised representative")


class EntitlementLost(Forbidden):
    code = "ENTITLEMENT_LOST"
    title = Text("该企业已注销,丧失未行使的投票权", "The enterprise was deregistered and lost its uncast vote")


class NotStaffOfCommunity(Forbidden):
    code = "NOT_STAFF_OF_COMMUNITY"
    title = Text("您不是该社区的工作人员", "You are not staff of this community")


class NotObserverOfElection(Forbidden):
    code = "NOT_OBSERVER_OF_ELECTION"
    title = Text("您不是本次选举的监票人", "You are not an observer of this election")


class NotInCommunity(Forbidden):
    code = "NOT_IN_COMMUNITY"
    title = Text("您的企业不在该社区", "Your enterprise is not in this community")


class InvalidBallotChoices(ValidationFailed):
    code = "INVALID_BALLOT"
    title = Text("选票无效", "Invalid ballot")


class ResultMismatch(Conflict):
    code = "RESULT_HASH_MISMATCH"
    title = Text("结果哈希与当前计票结果不符", "The result hash is not the current result's")


class ApprovalSignatureInvalid(ValidationFailed):
    code = "APPROVAL_SIGNATURE_INVALID"
    title = Text("确认签名无效", "The approval's signature does not verify")


class AlreadyApproved(Conflict):
    code = "ALREADY_APPROVED"
    title = Text("您已确认过本次选举结果", "You have already approved this election's result")


class CrossCheckDisagreement(Conflict):
    code = "TALLY_CROSSCHECK_FAILED"
    title = Text("独立复核计票结果不一致,不能认证", "The independent recount disagrees; certification is blocked")


class RegistryUnavailable(ServiceUnavailable):
    code = "REGISTRY_UNAVAILABLE"
    title = Text("登记服务暂不可用", "The registry service is unavailable")
