"""The rules: which event tells whom, through which channels, in which words. Review this table.

A rule matches one event type of one feed (and a predicate on its payload), names its recipients
as a *selector* (resolved when the notification is written, from the identity service's accounts
and grants: a representative replaced since the event gets nothing, the new one does), and has a
title and body in zh-CN and en (`str.format` over the event's payload). Every rule writes to the
inbox; `wechat` names a subscribe-message template; `sms` an SMS template, for urgent rules only.
Urgent rules ignore preferences and quiet hours.

Selectors (the identity service's `POST /internal/recipients`):
`subjects` (the token subjects named in the event: no look-up needed for the inbox),
`enterprise_reps`, `community_reps`, `community_staff`, `employees`, `community_employees`, `grid_workers`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Any

from notifications.rule_parts import (
    ACTIVITY_NOTICE,
    ASSIGNEE_OR_STAFF,
    ELECTION_NOTICE,
    GRID_TASK,
    REQUEST_PROGRESS,
    REQUESTER,
    STAFF,
    URGENT_SMS,
    WECHAT_TEMPLATES,
    WORKER,
    Payload,
    Rendered,
    Rule,
    Selector,
    SmsTemplate,
    WeChatTemplate,
    action,
    either,
    every,
    field_is,
    fill,
    grants,
    render,
    subjects,
)
from notifications.rules_deliberation import DELIBERATION_PHRASES, DELIBERATION_RULES
from shared.i18n import Text

__all__ = [
    "Payload",
    "Selector",
    "WeChatTemplate",
    "SmsTemplate",
    "Rule",
    "subjects",
    "grants",
    "either",
    "every",
    "action",
    "field_is",
    "REQUESTER",
    "ASSIGNEE_OR_STAFF",
    "STAFF",
    "WORKER",
    "REQUEST_PROGRESS",
    "ACTIVITY_NOTICE",
    "GRID_TASK",
    "ELECTION_NOTICE",
    "WECHAT_TEMPLATES",
    "URGENT_SMS",
    "Rendered",
    "fill",
    "render",
    "RULES",
    "RULES_BY_KIND",
    "Kind",
    "FEEDS",
    "URGENT_KINDS",
    "STATUS_PHRASES",
    "rules_for",
    "cancellations",
    "context_of",
]


# --- the table ------------------------------------------------------------------------------------

SR, ACT, GRID, ELECT, REG = "service-requests", "service-requests", "grid", "elections", "registry"

RULES: tuple[Rule, ...] = (
    # requester
    Rule(
        "request.acknowledged",
        SR,
        "RequestTransitioned",
        REQUESTER,
        Text("您的诉求已受理", "Your request was acknowledged"),
        Text("「{title}」已由社区受理。", "'{title}' was acknowledged by the community."),
        link="/v1/service-requests/{request_id}",
        when=action("accept"),
        wechat=REQUEST_PROGRESS,
        summary="requester: request acknowledged",
    ),
    Rule(
        "request.info_requested",
        SR,
        "RequestTransitioned",
        REQUESTER,
        Text("您的诉求需要补充信息", "Your request needs more information"),
        Text("「{title}」需要补充:{reason}", "'{title}' needs more information: {reason}"),
        link="/v1/service-requests/{request_id}",
        when=action("request_info"),
        wechat=REQUEST_PROGRESS,
        summary="requester: information requested",
    ),
    Rule(
        "request.resolved",
        SR,
        "RequestTransitioned",
        REQUESTER,
        Text("您的诉求已办结", "Your request was resolved"),
        Text("「{title}」已办结:{reason}", "'{title}' was resolved: {reason}"),
        link="/v1/service-requests/{request_id}",
        when=action("resolve"),
        wechat=REQUEST_PROGRESS,
        summary="requester: request resolved",
    ),
    Rule(
        "request.rating_reminder",
        SR,
        "RequestTransitioned",
        REQUESTER,
        Text("请为办结的诉求评价", "Please rate your resolved request"),
        Text("「{title}」已办结,欢迎评价(好差评)。", "'{title}' was resolved; tell us how it went."),
        link="/v1/service-requests/{request_id}",
        when=action("resolve"),
        delay=dt.timedelta(hours=24),
        cancelled_by=("RequestRated", "request_id"),
        subject_key="request_id",
        summary="requester: rating reminder 24 h after resolve, unless rated",
    ),
    Rule(
        "request.reopened",
        SR,
        "RequestTransitioned",
        every(REQUESTER, subjects("assignee_subject")),
        Text("诉求已重新打开", "A request was reopened"),
        Text("「{title}」已重新打开:{reason}", "'{title}' was reopened: {reason}"),
        link="/v1/service-requests/{request_id}",
        when=action("reopen"),
        wechat=REQUEST_PROGRESS,
        summary="requester and assignee: request reopened",
    ),
    # staff and handlers
    Rule(
        "request.assigned",
        SR,
        "RequestTransitioned",
        subjects("assignee_subject"),
        Text("有诉求指派给您", "A request was assigned to you"),
        Text("「{title}」已指派给您办理。", "'{title}' was assigned to you."),
        link="/v1/service-requests/{request_id}",
        when=action("assign"),
        wechat=REQUEST_PROGRESS,
        summary="assignee: request assigned to me",
    ),
    Rule(
        "request.deadline_approaching",
        SR,
        "RequestDeadlineApproaching",
        ASSIGNEE_OR_STAFF,
        Text("诉求即将超时", "A request's deadline is near"),
        Text("「{title}」的{deadline}时限将于 {due_at} 到期。", "'{title}': the {deadline} deadline is {due_at}."),
        link="/v1/service-requests/{request_id}",
        wechat=REQUEST_PROGRESS,
        summary="assignee (else community staff): acknowledge/resolve deadline close",
    ),
    Rule(
        "request.deadline_passed",
        SR,
        "RequestOverdue",
        ASSIGNEE_OR_STAFF,
        Text("诉求已超时", "A request is overdue"),
        Text("「{title}」已超过办理时限。", "'{title}' is past its deadline."),
        link="/v1/service-requests/{request_id}",
        when=field_is("level", 1),
        wechat=REQUEST_PROGRESS,
        summary="assignee (else community staff): deadline passed",
    ),
    Rule(
        "request.escalated",
        SR,
        "RequestOverdue",
        every(STAFF, subjects("assignee_subject")),
        Text("诉求超时升级", "An overdue request was escalated"),
        Text("「{title}」超时已升级(第{level}级)。", "'{title}' is overdue and escalated (level {level})."),
        link="/v1/service-requests/{request_id}",
        when=lambda payload: int(payload.get("level") or 0) >= 2,
        sms=URGENT_SMS,
        urgent=True,
        summary="community staff and assignee: escalation (urgent, SMS)",
    ),
    # activities
    Rule(
        "activity.enrolled",
        ACT,
        "ActivityEnrolled",
        subjects("subject"),
        Text("活动报名成功", "You are enrolled"),
        Text("您已报名「{title}」,时间 {starts_at}。", "You are enrolled in '{title}' on {starts_at}."),
        when=lambda payload: not payload.get("waitlisted"),
        wechat=ACTIVITY_NOTICE,
        summary="employee: enrolled",
    ),
    Rule(
        "activity.waitlisted",
        ACT,
        "ActivityEnrolled",
        subjects("subject"),
        Text("已进入活动候补名单", "You are on the waiting list"),
        Text("「{title}」名额已满,您在候补名单中。", "'{title}' is full; you are on the waiting list."),
        when=lambda payload: bool(payload.get("waitlisted")),
        wechat=ACTIVITY_NOTICE,
        summary="employee: on the waiting list",
    ),
    Rule(
        "activity.promoted",
        ACT,
        "ActivityEnrolmentPromoted",
        subjects("subject"),
        Text("候补转为正式报名", "You moved up from the waiting list"),
        Text("「{title}」有空位,您已转为正式报名。", "A place opened in '{title}': you are enrolled."),
        wechat=ACTIVITY_NOTICE,
        summary="employee: promoted from the waiting list",
    ),
    Rule(
        "activity.reminder",
        ACT,
        "ActivityReminder",
        subjects("subject", "subjects"),
        Text("活动明天开始", "Your activity is tomorrow"),
        Text("「{title}」将于 {starts_at} 开始。", "'{title}' starts at {starts_at}."),
        wechat=ACTIVITY_NOTICE,
        summary="employee: reminder the day before",
    ),
    Rule(
        "activity.cancelled",
        ACT,
        "ActivityCancelled",
        subjects("subject", "subjects"),
        Text("活动已取消", "An activity was cancelled"),
        Text("您报名的「{title}」已取消。", "'{title}', which you enrolled in, was cancelled."),
        wechat=ACTIVITY_NOTICE,
        summary="enrolled employees: activity cancelled",
    ),
    # grid
    Rule(
        "grid.hazard_assigned",
        GRID,
        "HazardAssigned",
        every(WORKER, grants("enterprise_reps", "enterprise_ids", "enterprise_id")),
        Text("隐患整改任务", "A hazard to follow up"),
        Text(
            "网格内登记了一处{level}隐患,整改期限 {deadline}。",
            "A {level} hazard was recorded in your grid; due {deadline}.",
        ),
        wechat=GRID_TASK,
        summary="grid worker and the enterprise concerned: hazard assigned",
    ),
    Rule(
        "grid.hazard_overdue",
        GRID,
        "HazardOverdue",
        every(WORKER, grants("enterprise_reps", "enterprise_ids", "enterprise_id")),
        Text("隐患整改已逾期", "A hazard is overdue"),
        Text("一处{level}隐患已超过整改期限 {deadline}。", "A {level} hazard is past its deadline of {deadline}."),
        wechat=GRID_TASK,
        summary="grid worker and the enterprise concerned: hazard overdue",
    ),
    Rule(
        "grid.event_dispatched",
        GRID,
        "GridEventDispatched",
        WORKER,
        Text("网格事件派给您", "A grid event was dispatched to you"),
        Text("事件「{title}」已派给您处理。", "Grid event '{title}' was dispatched to you."),
        wechat=GRID_TASK,
        summary="grid worker: grid event dispatched to me",
    ),
    Rule(
        "grid.supervision_yellow",
        GRID,
        "SupervisionFlagged",
        every(WORKER, STAFF),
        Text("督办黄牌", "Yellow supervision flag"),
        Text("事件「{title}」被亮黄牌督办。", "Grid event '{title}' got a yellow supervision flag."),
        when=field_is("level", "yellow"),
        wechat=GRID_TASK,
        summary="the worker and the community staff who supervise: yellow flag",
    ),
    Rule(
        "grid.supervision_red",
        GRID,
        "SupervisionFlagged",
        every(WORKER, STAFF),
        Text("督办红牌", "Red supervision flag"),
        Text("事件「{title}」被亮红牌督办,请立即处理。", "Grid event '{title}' got a red flag: act now."),
        when=field_is("level", "red"),
        sms=URGENT_SMS,
        urgent=True,
        summary="the worker and the community staff who supervise: red flag (urgent, SMS)",
    ),
    Rule(
        "grid.checkin_missing",
        GRID,
        "CampaignCheckInMissing",
        either(grants("grid_workers", "grid_ids", "grid_ids"), STAFF),
        Text("应急排查尚未打卡", "Emergency check-in still missing"),
        Text(
            "「{title}」:您网格内有楼宇今日({day})尚未打卡。",
            "'{title}': a building of your grid has not checked in today ({day}).",
        ),
        sms=URGENT_SMS,
        urgent=True,
        summary="the grid workers of the building (else community staff): check-in missing at 10:00 (urgent, SMS)",
    ),
    Rule(
        "grid.campaign_started",
        GRID,
        "CampaignStarted",
        grants("community_employees", "community_ids", "community_id"),
        Text("应急通知", "Emergency notice"),
        Text(
            "「{title}」已启动,请留意社区通知并配合排查。",
            "'{title}' has started: follow the community's instructions.",
        ),
        sms=URGENT_SMS,
        urgent=True,
        summary="every employee in the community: an emergency campaign starts (urgent, SMS)",
    ),
    # elections
    Rule(
        "election.roll_frozen",
        ELECT,
        "ElectionRollFrozen",
        grants("enterprise_reps", "enterprise_ids", "enterprise_ids"),
        Text("贵企业已列入选民名册", "Your enterprise is on the roll"),
        Text("「{title}」选民名册已确定,贵企业在册。", "The roll of '{title}' is final: your enterprise is on it."),
        wechat=ELECTION_NOTICE,
        summary="each representative on the roll",
    ),
    Rule(
        "election.voting_open",
        ELECT,
        "ElectionStatusChanged",
        grants("community_reps", "community_ids", "community_id"),
        Text("投票已开始", "Voting is open"),
        Text("「{title}」开始投票,每家企业一票。", "Voting in '{title}' is open: one vote per enterprise."),
        when=field_is("status", "voting_open", "runoff_open"),
        wechat=ELECTION_NOTICE,
        summary="representatives of the community: voting opens",
    ),
    Rule(
        "election.closing_soon",
        ELECT,
        "ElectionClosingSoon",
        grants("enterprise_reps", "enterprise_ids", "enterprise_ids"),
        Text("投票将于24小时内截止", "Voting closes within 24 hours"),
        Text(
            "「{title}」将于 {voting_closes_at} 截止,贵企业尚未投票。",
            "'{title}' closes at {voting_closes_at}; your enterprise has not voted.",
        ),
        sms=URGENT_SMS,
        urgent=True,
        summary="representatives whose enterprise has not voted (urgent, SMS)",
    ),
    Rule(
        "election.certified",
        ELECT,
        "ElectionStatusChanged",
        grants("community_reps", "community_ids", "community_id"),
        Text("选举结果已确认", "The election result is certified"),
        Text("「{title}」结果已确认公布。", "The result of '{title}' is certified."),
        when=field_is("status", "certified"),
        wechat=ELECTION_NOTICE,
        summary="representatives of the community: result certified",
    ),
    *DELIBERATION_RULES,  # rules_deliberation.py
    # identity
    Rule(
        "account.role_granted",
        "identity",
        "RoleGranted",
        subjects("subject"),
        Text("您获得了新的角色", "You have a new role"),
        Text("您已获授权:{role_zh}。", "You are now {role_en} on the platform."),
        when=lambda payload: payload.get("source") != "registry",  # a representative hears it from the registry rule
        summary="the account: a role granted (an invitation redeemed, a join request approved, staff appointed)",
    ),
    # registry
    Rule(
        "registry.representative_appointed",
        REG,
        "RepresentativeChanged",
        lambda payload: (
            [{"kind": "enterprise_reps", "enterprise_ids": [str(payload["enterprise_id"])]}]
            if payload.get("enterprise_id")
            else []
        ),
        Text("您已成为企业授权代表", "You are now your enterprise's representative"),
        Text(
            "您已登记为企业授权代表,可代表企业投票和办事。",
            "You represent your enterprise: vote and request on its behalf.",
        ),
        summary="the enterprise's (new) representative",
    ),
    Rule(
        "registry.policy_offered",
        REG,
        "PolicyOffered",
        grants("enterprise_reps", "enterprise_ids", "enterprise_ids"),
        Text("有适合贵企业的政策", "A policy for your enterprise"),
        Text(
            "{issuer}发布的「{title}」与贵企业条件相符,请在「为您推荐的政策」中查看并答复。",
            "'{title}' from {issuer} fits your enterprise: see it under policies for you and answer.",
        ),
        link="/v1/policies/{policy_id}",
        summary="the representatives of each enterprise a published policy matches",
    ),
)

RULES_BY_KIND: dict[str, Rule] = {rule.kind: rule for rule in RULES}
Kind = StrEnum("Kind", {rule.kind.replace(".", "_"): rule.kind for rule in RULES})  # type: ignore[misc]
"""Every kind of notification, as the API's enumeration (`PUT /v1/notifications/kinds/{kind}`)."""
FEEDS: tuple[str, ...] = tuple(dict.fromkeys(rule.feed for rule in RULES))
URGENT_KINDS = frozenset(rule.kind for rule in RULES if rule.urgent)

# the status words a WeChat `phrase` shows (Chinese only, five at most)
STATUS_PHRASES = {
    "request.acknowledged": "已受理",
    "request.info_requested": "待补充",
    "request.resolved": "已办结",
    "request.rating_reminder": "待评价",
    "request.reopened": "已重开",
    "request.assigned": "待办理",
    "request.deadline_approaching": "即将超时",
    "request.deadline_passed": "已超时",
    "request.escalated": "超时升级",
    "activity.enrolled": "报名成功",
    "activity.waitlisted": "候补中",
    "activity.promoted": "已转正",
    "activity.reminder": "明日开始",
    "activity.cancelled": "已取消",
    "grid.hazard_assigned": "待整改",
    "grid.hazard_overdue": "整改逾期",
    "grid.event_dispatched": "待处理",
    "grid.supervision_yellow": "黄牌督办",
    "grid.supervision_red": "红牌督办",
    "grid.checkin_missing": "未打卡",
    "grid.campaign_started": "应急启动",
    "election.roll_frozen": "名册确定",
    "election.voting_open": "投票开始",
    "election.closing_soon": "即将截止",
    "election.certified": "结果确认",
    "registry.representative_appointed": "已登记",
    "registry.policy_offered": "政策推送",
    "account.role_granted": "已授权",
    **DELIBERATION_PHRASES,
}


def rules_for(feed: str, event_type: str, payload: Payload) -> list[Rule]:
    """The rules an event fires."""
    return [rule for rule in RULES if rule.feed == feed and rule.event_type == event_type and rule.when(payload)]


def cancellations(feed: str, event_type: str) -> list[tuple[Rule, str]]:
    """Delayed rules an event calls off, with the payload key that names what it calls off."""
    return [
        (rule, rule.cancelled_by[1])
        for rule in RULES
        if rule.cancelled_by is not None and rule.feed == feed and rule.cancelled_by[0] == event_type
    ]


def context_of(rule: Rule, payload: Payload, occurred_at: dt.datetime, aggregate_id: uuid.UUID) -> dict[str, Any]:
    """What the templates read: the payload, plus the event's time and the rule's status phrase."""
    context: dict[str, Any] = {
        key: value for key, value in payload.items() if isinstance(value, str | int | float | bool)
    }
    context.setdefault("title", "-")
    context.setdefault("reason", "-")
    context.setdefault("aggregate_id", str(aggregate_id))
    context["occurred_at"] = occurred_at.isoformat()
    context["status_phrase"] = STATUS_PHRASES.get(rule.kind, "有更新")
    context["note"] = context.get("reason", "-")
    return context
