"""Why a notice could not be sent, as Problem Details (the provider's own code in `errcode` / `provider_code`).

Unreachable providers answer the sign-in's own 503s: `WECHAT_UNAVAILABLE`, `SMS_UNAVAILABLE`.
"""

from __future__ import annotations

from shared.errors import Conflict, ValidationFailed
from shared.i18n import Text


class WeChatNotBound(Conflict):
    code = "WECHAT_NOT_BOUND"
    title = Text("该账号未绑定微信小程序", "The account has not signed in through the mini-program")


class WeChatRefused(Conflict):
    """43101: the user refused the template, or has no subscription left to spend."""

    code = "WECHAT_REFUSED"
    title = Text("用户拒绝接收或订阅次数已用完", "The user refused this template or has no subscription left")


class WeChatDataInvalid(ValidationFailed):
    code = "WECHAT_DATA_INVALID"
    title = Text("微信拒绝了模板或其数据", "WeChat refused the template or its data")


class PhoneNotVerified(Conflict):
    code = "PHONE_NOT_VERIFIED"
    title = Text("该账号未绑定已验证的手机号", "The account has no verified phone")


class SmsTemplateRefused(ValidationFailed):
    code = "SMS_TEMPLATE_REFUSED"
    title = Text("短信服务拒绝了模板或其参数", "The SMS provider refused the template or its parameters")
