"""Errors from talking to the registry."""

from __future__ import annotations

from shared.errors import NotFound, ServiceUnavailable
from shared.i18n import Text


class RegistryUnavailable(ServiceUnavailable):
    code = "REGISTRY_UNAVAILABLE"
    title = Text("登记服务暂不可用", "The registry is unavailable")


class RegistryBuildingNotFound(NotFound):
    code = "BUILDING_NOT_FOUND"
    title = Text("楼宇不存在", "Building not found")


class RegistryCommunityNotFound(NotFound):
    code = "COMMUNITY_NOT_FOUND"
    title = Text("社区不存在", "Community not found")
