"""WeChat's refusals as the platform's Problem Details (docs/identity.md, "WeChat mini-program")."""

from __future__ import annotations

from shared.errors import Conflict, Forbidden, InvalidRequest, RateLimited, ServiceUnavailable, ValidationFailed
from shared.i18n import Text


class WeChatCodeInvalid(InvalidRequest):
    """40029 (wrong or expired) and 40163 (already used): one answer."""

    code = "WECHAT_CODE_INVALID"
    title = Text("微信登录凭证无效或已使用", "The WeChat code is invalid, expired or already used")


class WeChatRateLimited(RateLimited):
    code = "WECHAT_RATE_LIMITED"
    title = Text("微信接口调用过于频繁,请稍后再试", "WeChat says: too many calls; try again in a minute")


class WeChatUserRisky(Forbidden):
    code = "WECHAT_USER_RISKY"
    title = Text("微信判定该用户存在风险,暂不能登录", "WeChat flags this user as high-risk; sign-in refused")


class WeChatUnavailable(ServiceUnavailable):
    code = "WECHAT_UNAVAILABLE"
    title = Text("微信服务繁忙,请稍后再试", "WeChat is busy or unreachable; try again later")


class PhoneTaken(Conflict):
    code = "PHONE_TAKEN"
    title = Text("该手机号已绑定其他账号", "This phone number belongs to another account")


class PhoneNotMainland(ValidationFailed):
    code = "PHONE_NOT_MAINLAND"
    title = Text("仅支持中国大陆手机号", "Only mainland China mobile numbers can be bound")
