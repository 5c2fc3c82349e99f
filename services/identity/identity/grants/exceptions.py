"""Errors of the grant, invitation, join-request and audit endpoints."""

from __future__ import annotations

from shared.errors import Conflict, Forbidden, InvalidRequest, NotFound, RateLimited, ServiceUnavailable
from shared.i18n import Text


class GrantNotAllowed(Forbidden):
    code = "GRANT_NOT_ALLOWED"
    title = Text("无权授予或撤销该角色", "You may not grant or revoke this role")


class GrantExists(Conflict):
    code = "GRANT_EXISTS"
    title = Text("该账号已拥有此角色(同一范围)", "The account already holds this role in this scope")


class GrantNotFound(NotFound):
    code = "GRANT_NOT_FOUND"
    title = Text("授权不存在", "Grant not found")


class GridNotFound(NotFound):
    code = "GRID_NOT_FOUND"
    title = Text("网格不存在", "Grid not found")


class GridServiceUnavailable(ServiceUnavailable):
    code = "GRID_SERVICE_UNAVAILABLE"
    title = Text("网格服务暂不可用", "The grid service is unavailable")


class NotYourEnterprise(Forbidden):
    code = "NOT_YOUR_ENTERPRISE"
    title = Text("只能管理本企业的邀请与加入申请", "You may act only for your own enterprise")


class InvitationInvalid(InvalidRequest):
    # one code for unknown, used, cancelled and expired: no oracle
    code = "INVITATION_INVALID"
    title = Text("邀请码无效或已过期", "The invitation code is invalid or expired")


class InvitationNotFound(NotFound):
    code = "INVITATION_NOT_FOUND"
    title = Text("邀请不存在", "Invitation not found")


class TooManyAttempts(RateLimited):
    code = "TOO_MANY_ATTEMPTS"
    title = Text("尝试次数过多,请稍后再试", "Too many attempts; try again later")


class JoinRequestExists(Conflict):
    code = "JOIN_REQUEST_EXISTS"
    title = Text("已有待处理的加入申请", "A join request for this enterprise is already pending")


class JoinRequestNotFound(NotFound):
    code = "JOIN_REQUEST_NOT_FOUND"
    title = Text("加入申请不存在或已处理", "Join request not found or already decided")


class GridDutyMissing(Conflict):
    """A `grid_worker` grant follows the grid service's duty roster, never the other way round."""

    code = "GRID_DUTY_MISSING"
    title = Text(
        "网格服务中没有该账号在此网格的在岗记录", "The grid service has no duty of this account's worker in that grid"
    )
