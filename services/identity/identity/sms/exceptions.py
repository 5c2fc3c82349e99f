"""Errors of the SMS sign-in: one wording whether the phone has an account or not."""

from __future__ import annotations

from shared.errors import InvalidRequest, RateLimited, ServiceUnavailable
from shared.i18n import Text


class SmsCodeInvalid(InvalidRequest):
    """Wrong, expired, already used or dead after five wrong tries: one answer, no oracle."""

    code = "SMS_CODE_INVALID"
    title = Text("验证码错误或已失效", "The code is wrong or no longer valid")


class SmsTooFrequent(RateLimited):
    code = "SMS_TOO_FREQUENT"
    title = Text("发送过于频繁,请稍后再试", "A code was sent to this number moments ago; wait before asking again")


class SmsDailyLimit(RateLimited):
    code = "SMS_DAILY_LIMIT"
    title = Text("该号码今日验证码已达上限", "This number has had today's codes; try again tomorrow")


class SmsUnavailable(ServiceUnavailable):
    code = "SMS_UNAVAILABLE"
    title = Text("短信服务暂不可用,请稍后再试", "Text messages cannot be sent just now; try again later")
