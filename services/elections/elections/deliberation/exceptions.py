"""Domain errors of deliberation; each leaves as Problem Details with a stable code."""

from __future__ import annotations

from shared.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shared.i18n import Text


class CommitteeNotFound(NotFound):
    code = "COMMITTEE_NOT_FOUND"
    title = Text("治理委员会不存在", "Committee not found")


class ElectionNotCertified(Conflict):
    code = "ELECTION_NOT_CERTIFIED"
    title = Text("选举尚未确认结果", "The election is not certified")


class CommitteeExists(Conflict):
    code = "COMMITTEE_EXISTS"
    title = Text("该选举已组成委员会", "A committee was already formed from this election")


class NoActiveCommittee(Conflict):
    code = "NO_ACTIVE_COMMITTEE"
    title = Text("该社区没有在任的治理委员会", "The community has no committee in office")


class ProposalNotFound(NotFound):
    code = "PROPOSAL_NOT_FOUND"
    title = Text("议题不存在", "Proposal not found")


class AlreadySupported(Conflict):
    code = "ALREADY_SUPPORTED"
    title = Text("您(或您的企业)已附议该议题", "You (or your enterprise) already support this proposal")


class ProposalClosed(Conflict):
    code = "PROPOSAL_CLOSED"
    title = Text("议题当前状态不允许此操作", "The proposal's state does not allow this step")


class MeetingNotFound(NotFound):
    code = "MEETING_NOT_FOUND"
    title = Text("议事会不存在", "Meeting not found")


class ItemNotFound(NotFound):
    code = "AGENDA_ITEM_NOT_FOUND"
    title = Text("议程事项不存在", "Agenda item not found")


class NotCommitteeMember(Forbidden):
    code = "NOT_COMMITTEE_MEMBER"
    title = Text("您不是该委员会委员的现任代表", "You do not sit on this committee")


class AlreadyVoted(Conflict):
    code = "ALREADY_VOTED"
    title = Text("该委员已就此事项表决", "This member has already voted on the item")


class NoQuorum(Conflict):
    code = "NO_QUORUM"
    title = Text("出席委员不足法定人数", "Fewer members present than the quorum")


class AlreadyDecided(Conflict):
    code = "ALREADY_DECIDED"
    title = Text("该事项已作出决定", "The item is already decided")


class VoteDoesNotCarry(Conflict):
    code = "VOTE_DOES_NOT_CARRY"
    title = Text("赞成票未过出席委员半数,不能通过", "Fewer than half of the members present voted for it")


class MinutesApproved(Conflict):
    code = "MINUTES_APPROVED"
    title = Text("会议纪要已审定,不可修改", "The minutes are approved and can no longer change")


class UnknownSeat(ValidationFailed):
    code = "UNKNOWN_SEAT"
    title = Text("委员会没有该席位", "The committee has no such seat")


class ConsultationNotFound(NotFound):
    code = "CONSULTATION_NOT_FOUND"
    title = Text("征询不存在", "Consultation not found")


class ConsultationNotOpen(Conflict):
    code = "CONSULTATION_NOT_OPEN"
    title = Text("征询未开放或已结束", "The consultation is not open")


class ConsultationNotClosed(Conflict):
    code = "CONSULTATION_NOT_CLOSED"
    title = Text("征询结束后才公布结果", "Results are published when the consultation closes")


class AlreadyAnswered(Conflict):
    code = "ALREADY_ANSWERED"
    title = Text("您(或您的企业)已答复该征询", "You (or your enterprise) already answered this consultation")


class NotInAudience(Forbidden):
    code = "NOT_IN_AUDIENCE"
    title = Text("该征询不面向您", "This consultation is not addressed to you")


class InvalidAnswers(ValidationFailed):
    code = "INVALID_ANSWERS"
    title = Text("答复与问题不符", "The answers do not fit the questions")


class ConsultationTransitionRefused(Conflict):
    code = "CONSULTATION_TRANSITION_REFUSED"
    title = Text("征询当前状态不允许此操作", "The consultation's state does not allow this step")


class ActionNotFound(NotFound):
    code = "ACTION_NOT_FOUND"
    title = Text("督办事项不存在", "Action not found")


class ActionDone(Conflict):
    code = "ACTION_DONE"
    title = Text("督办事项已办结", "The action is done")
