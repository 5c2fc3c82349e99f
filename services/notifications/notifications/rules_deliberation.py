"""The deliberation rules (the elections feed's proposals, meetings, consultations and actions;
docs/deliberation.md), apart from `rules.py` to keep each file one a reader holds in their head."""

from __future__ import annotations

from notifications.rule_parts import Rule, field_is, grants
from shared.i18n import Text

ELECT = "elections"

DELIBERATION_RULES: tuple[Rule, ...] = (
    Rule(
        "deliberation.threshold_reached",
        ELECT,
        "ProposalThresholdReached",
        grants("community_staff", "community_ids", "community_id"),
        Text("议题附议已达标", "A proposal reached its threshold"),
        Text(
            "议题「{title}」附议已达 {support_count},须于 {agenda_due_on} 前列入议程。",
            "'{title}' has {support_count} supports: put it on an agenda by {agenda_due_on}.",
        ),
        summary="the community's staff: a proposal must go on an agenda",
    ),
    Rule(
        "deliberation.meeting_scheduled",
        ELECT,
        "MeetingScheduled",
        grants("community_reps", "community_ids", "community_id"),
        Text("议事会已安排", "A committee meeting is scheduled"),
        Text(
            "议事会「{title}」定于 {scheduled_at} 在{location}召开。", "'{title}' meets at {scheduled_at}, {location}."
        ),
        summary="representatives of the community: a meeting is scheduled",
    ),
    Rule(
        "deliberation.decision_taken",
        ELECT,
        "DecisionTaken",
        grants("community_reps", "community_ids", "community_id"),
        Text("议事会已作出决定", "The committee decided"),
        Text("「{title}」:{outcome}。", "'{title}': {outcome}."),
        summary="representatives of the community: a decision on an item",
    ),
    Rule(
        "deliberation.consultation_open",
        ELECT,
        "ConsultationOpened",
        grants("community_reps", "community_ids", "community_id"),
        Text("征询已开始", "A consultation is open"),
        Text(
            "「{title}」征询贵企业意见,截止 {closes_at}。", "'{title}' asks your enterprise; it closes at {closes_at}."
        ),
        when=field_is("audience", "enterprises"),
        summary="representatives of the community: an enterprise consultation opens",
    ),
    Rule(
        "deliberation.consultation_open_employees",
        ELECT,
        "ConsultationOpened",
        grants("community_employees", "community_ids", "community_id"),
        Text("征询已开始", "A consultation is open"),
        Text("「{title}」征询您的意见,截止 {closes_at}。", "'{title}' asks you; it closes at {closes_at}."),
        when=field_is("audience", "employees"),
        summary="employees of the community: an employee consultation opens",
    ),
    Rule(
        "deliberation.consultation_closed",
        ELECT,
        "ConsultationClosed",
        grants("community_reps", "community_ids", "community_id"),
        Text("征询结果已公布", "Consultation results are published"),
        Text("「{title}」已结束,结果已公布。", "'{title}' has closed; its results are published."),
        summary="representatives of the community: a consultation closes with its results",
    ),
    Rule(
        "deliberation.action_overdue",
        ELECT,
        "ActionOverdue",
        grants("community_staff", "community_ids", "community_id"),
        Text("督办事项已逾期", "An action is overdue"),
        Text(
            "「{title}」(责任人 {owner})已过期限 {due_on},进度 {progress}%。",
            "'{title}' (owner {owner}) passed its due date {due_on} at {progress}%.",
        ),
        summary="the community's staff: an adopted decision's action is overdue",
    ),
)

DELIBERATION_PHRASES = {
    "deliberation.threshold_reached": "待列入议程",
    "deliberation.meeting_scheduled": "议事会安排",
    "deliberation.decision_taken": "已决定",
    "deliberation.consultation_open": "征询开始",
    "deliberation.consultation_open_employees": "征询开始",
    "deliberation.consultation_closed": "结果公布",
    "deliberation.action_overdue": "已逾期",
}
