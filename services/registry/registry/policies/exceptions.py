"""Policy errors."""

from __future__ import annotations

from shared.errors import Conflict, Forbidden, NotFound
from shared.i18n import Text


class PolicyNotFound(NotFound):
    code = "POLICY_NOT_FOUND"
    title = Text("政策不存在", "Policy not found")


class PolicyNotOffered(NotFound):
    code = "POLICY_NOT_OFFERED"
    title = Text("该政策未推送给本企业", "This policy was not offered to this enterprise")


class PolicyAlreadyAnswered(Conflict):
    code = "POLICY_ALREADY_ANSWERED"
    title = Text("本企业已对该政策作出另一答复", "The enterprise already gave another answer to this policy")


class NotYourEnterprise(Forbidden):
    code = "FORBIDDEN"
    title = Text("只能查看本企业的政策", "You may see your own enterprise's policies only")
