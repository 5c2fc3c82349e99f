"""The pieces the rules table is written with: a rule, its templates, its recipient selectors, and
filling a template from an event (notifications/rules.py is the table itself)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.i18n import Text

Payload = Mapping[str, Any]
Selector = dict[str, Any]


@dataclass(frozen=True, slots=True)
class WeChatTemplate:
    """A subscribe-message template of the mini-program: its id, the page a tap opens and its fields
    (data key -> payload key, or `=literal`)."""

    name: str
    template_id: str
    title: Text
    page: str
    fields: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class SmsTemplate:
    """An SMS template approved at the provider; `params` maps its variables to payload keys."""

    code: str
    params: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Rule:
    kind: str
    feed: str
    event_type: str
    recipients: Callable[[Payload], list[Selector]]
    title: Text
    body: Text
    link: str | None = None
    when: Callable[[Payload], bool] = lambda payload: True
    wechat: WeChatTemplate | None = None
    sms: SmsTemplate | None = None
    urgent: bool = False
    delay: dt.timedelta | None = None  # written this long after the event (a reminder)
    cancelled_by: tuple[str, str] | None = None  # (event type, payload key) that calls a delayed one off
    subject_key: str | None = None  # the payload key a cancellation matches
    summary: str = ""

    @property
    def channels(self) -> tuple[str, ...]:
        return ("inbox",) + (("wechat",) if self.wechat else ()) + (("sms",) if self.sms else ())

    @property
    def optional_channels(self) -> tuple[str, ...]:
        """What a person may switch off (nothing, for urgent rules)."""
        return () if self.urgent else tuple(channel for channel in self.channels if channel != "inbox")


# --- recipients -----------------------------------------------------------------------------------


def _ids(value: object) -> list[str]:
    if isinstance(value, str) and value:
        return [value]
    if isinstance(value, list):
        return [str(item) for item in value if isinstance(item, str) and item]
    return []


def subjects(*keys: str) -> Callable[[Payload], list[Selector]]:
    """The people the event names by subject (`requester_subject`, a list under `subjects`, ...)."""

    def select(payload: Payload) -> list[Selector]:
        found = [subject for key in keys for subject in _ids(payload.get(key))]
        unique = list(dict.fromkeys(found))
        return [{"kind": "subjects", "subjects": unique}] if unique else []

    return select


def grants(kind: str, scope: str, key: str) -> Callable[[Payload], list[Selector]]:
    """Holders of a grant in the scopes the event names (`enterprise_reps` of `enterprise_ids`, ...)."""

    def select(payload: Payload) -> list[Selector]:
        ids = _ids(payload.get(key))
        return [{"kind": kind, scope: ids}] if ids else []

    return select


def either(*choices: Callable[[Payload], list[Selector]]) -> Callable[[Payload], list[Selector]]:
    """The first choice that names anybody (the assignee, else the community's staff)."""

    def select(payload: Payload) -> list[Selector]:
        for choice in choices:
            found = choice(payload)
            if found:
                return found
        return []

    return select


def every(*parts: Callable[[Payload], list[Selector]]) -> Callable[[Payload], list[Selector]]:
    def select(payload: Payload) -> list[Selector]:
        return [selector for part in parts for selector in part(payload)]

    return select


def action(*names: str) -> Callable[[Payload], bool]:
    return lambda payload: payload.get("action") in names


def field_is(key: str, *values: object) -> Callable[[Payload], bool]:
    return lambda payload: payload.get(key) in values


REQUESTER = subjects("requester_subject")
ASSIGNEE_OR_STAFF = either(subjects("assignee_subject"), grants("community_staff", "community_ids", "community_id"))
STAFF = grants("community_staff", "community_ids", "community_id")
WORKER = subjects("worker_subject", "worker_subjects")

# --- WeChat templates (ids of the mini-program's templates; settings may replace them) ----------

REQUEST_PROGRESS = WeChatTemplate(
    "request_progress",
    "tmpl-request-progress",
    Text("服务进度通知", "Request progress"),
    "pages/requests/detail?id={request_id}",
    {"thing1": "title", "phrase2": "status_phrase", "time3": "occurred_at", "thing4": "note"},
)
ACTIVITY_NOTICE = WeChatTemplate(
    "activity_notice",
    "tmpl-activity-notice",
    Text("活动报名通知", "Activity notice"),
    "pages/activities/detail?id={activity_id}",
    {"thing1": "title", "time2": "starts_at", "phrase3": "status_phrase"},
)
GRID_TASK = WeChatTemplate(
    "grid_task",
    "tmpl-grid-task",
    Text("网格任务提醒", "Grid task"),
    "pages/grid/tasks",
    {"thing1": "title", "phrase2": "status_phrase", "time3": "occurred_at"},
)
ELECTION_NOTICE = WeChatTemplate(
    "election_notice",
    "tmpl-election-notice",
    Text("选举通知", "Election notice"),
    "pages/elections/detail?id={election_id}",
    {"thing1": "title", "phrase2": "status_phrase", "time3": "occurred_at"},
)
WECHAT_TEMPLATES = {
    template.name: template for template in (REQUEST_PROGRESS, ACTIVITY_NOTICE, GRID_TASK, ELECTION_NOTICE)
}

URGENT_SMS = SmsTemplate("SMS_490100001", {"title": "title", "status": "status_phrase"})


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "-"


def fill(template: str, context: Mapping[str, Any]) -> str:
    """`template` with `{key}`s from the context; a missing key reads "-" (never a KeyError)."""
    return template.format_map(_Blank(context))


@dataclass(frozen=True, slots=True)
class Rendered:
    title: Text
    body: Text
    link: str | None
    extra: dict[str, Any] = field(default_factory=dict)


def render(rule: Rule, context: Mapping[str, Any]) -> Rendered:
    return Rendered(
        Text(fill(rule.title.zh, context)[:200], fill(rule.title.en, context)[:200]),
        Text(fill(rule.body.zh, context), fill(rule.body.en, context)),
        fill(rule.link, context)[:300] if rule.link else None,
    )
