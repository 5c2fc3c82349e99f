"""Database constraints whose violation is a client's conflict (409), not a server error."""

from __future__ import annotations

from identity.grants.exceptions import GrantExists, JoinRequestExists
from identity.wechat.exceptions import PhoneTaken
from shared.errors import ConstraintProblem
from shared.i18n import Text

CONSTRAINT_PROBLEMS: dict[str, ConstraintProblem] = {
    # one account per verified phone (a WeChat binding of a number another account signed in with)
    "uq_account_phone": ConstraintProblem(
        PhoneTaken, Text("该手机号已绑定其他账号", "This phone number belongs to another account"), "/code"
    ),
    # one live grant per (account, role, scope)
    "uq_role_grant_live": ConstraintProblem(
        GrantExists, Text("该账号已拥有此角色(同一范围)", "The account already holds this role in this scope"), "/role"
    ),
    # one pending join request per (account, enterprise)
    "uq_join_request_pending": ConstraintProblem(
        JoinRequestExists,
        Text("已有待处理的加入申请", "A join request for this enterprise is already pending"),
        "/enterprise_id",
    ),
}
