"""WeChat subscribe-message field rules, enforced before a message is queued.

`subscribeMessage.send` refuses (errcode 47003) a value that breaks its key's type rule; the
type is the key's letters (`thing1` is a `thing`). The rules, from WeChat's documentation of
subscribe messages ("订阅消息参数值内容限制说明"):

| type | rule |
|---|---|
| `thing` | at most 20 characters |
| `phrase` | at most 5 characters, Chinese characters only |
| `number` | at most 32 digits (a decimal point allowed) |
| `character_string` | at most 32 of letters, digits and symbols |
| `time` | a 24-hour time, optionally with a date: `15:01`, `2026年12月1日 15:01` |
| `date` | a date, optionally with a time: `2026年12月1日`, `2026年12月1日 15:01` |
| `name` | at most 10 characters |
| `phone_number` | at most 17 of digits, `+` and `-` |

`fit` shapes a value to its rule (shortens a `thing`, writes a time in WeChat's form); `check`
refuses what cannot be shaped, so a rule whose template breaks a rule fails in tests, not at WeChat.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

from shared.dates import BUSINESS_ZONE

KEY = re.compile(r"^(?P<type>[a-z_]+?)(?P<n>[0-9]+)$")
_CJK = re.compile(r"^[\u4e00-\u9fff]+$")
_NUMBER = re.compile(r"^[0-9]{1,32}(\.[0-9]+)?$")
_CHARACTER_STRING = re.compile(r"^[0-9A-Za-z!-/:-@\[-`{-~]{1,32}$")
_TIME = re.compile(r"^([0-9]{4}年[0-9]{1,2}月[0-9]{1,2}日 )?[0-9]{1,2}:[0-9]{2}$")
_DATE = re.compile(r"^[0-9]{4}年[0-9]{1,2}月[0-9]{1,2}日( [0-9]{1,2}:[0-9]{2})?$")
_PHONE = re.compile(r"^[0-9+-]{1,17}$")
LIMITS = {"thing": 20, "phrase": 5, "name": 10}


class WeChatFieldError(ValueError):
    """A subscribe-message value that WeChat would refuse."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"{key}: {reason}")
        self.key = key
        self.reason = reason


def field_type(key: str) -> str:
    match = KEY.match(key)
    if match is None:
        raise WeChatFieldError(key, "a data key is a type and a number, like thing1")
    return match.group("type")


def wechat_time(moment: dt.datetime) -> str:
    """`2026年12月1日 15:01` in Asia/Shanghai."""
    local = moment.astimezone(BUSINESS_ZONE)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def fit(key: str, value: object) -> str:
    """The value shaped to its key's rule: times written WeChat's way, long things shortened."""
    kind = field_type(key)
    if kind in ("time", "date") and isinstance(value, dt.datetime):
        return wechat_time(value)
    if kind in ("time", "date") and isinstance(value, str):
        try:
            return wechat_time(dt.datetime.fromisoformat(value))
        except ValueError:
            return value
    text = " ".join(str(value).split())  # no newlines or runs of spaces
    limit = LIMITS.get(kind)
    if kind == "thing" and limit is not None and len(text) > limit:
        return text[: limit - 1] + "…"
    return text


def check(data: Mapping[str, str]) -> None:
    """Raise `WeChatFieldError` for the first value WeChat would refuse."""
    for key, value in data.items():
        kind = field_type(key)
        if not value:
            raise WeChatFieldError(key, "empty")
        limit = LIMITS.get(kind)
        if limit is not None and len(value) > limit:
            raise WeChatFieldError(key, f"at most {limit} characters")
        if kind == "phrase" and not _CJK.match(value):
            raise WeChatFieldError(key, "Chinese characters only")
        pattern = {
            "number": _NUMBER,
            "character_string": _CHARACTER_STRING,
            "time": _TIME,
            "date": _DATE,
            "phone_number": _PHONE,
        }.get(kind)
        if pattern is not None and not pattern.match(value):
            raise WeChatFieldError(key, f"not a valid {kind}")


def render(fields: Mapping[str, str], context: Mapping[str, object]) -> dict[str, str]:
    """The template's data for one event: each key's context value, fitted and checked."""
    data = {key: fit(key, _lookup(source, context)) for key, source in fields.items()}
    check(data)
    return data


def _lookup(source: str, context: Mapping[str, object]) -> object:
    """`"=已受理"` is a literal, `"title"` a context value (missing: "-")."""
    if source.startswith("="):
        return source[1:]
    value = context.get(source)
    return "-" if value is None or value == "" else value
