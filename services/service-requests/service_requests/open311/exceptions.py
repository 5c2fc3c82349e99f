"""Open311 errors: rendered in the specification's error format by the facade's handler."""

from __future__ import annotations

from shared.errors import Forbidden, InvalidRequest, NotFound
from shared.i18n import Text


class UnknownFormat(NotFound):
    code = "OPEN311_UNKNOWN_FORMAT"
    title = Text("仅支持 .json 与 .xml", "Only .json and .xml are served")


class ServiceCodeNotFound(NotFound):
    code = "OPEN311_SERVICE_NOT_FOUND"
    title = Text("service_code 不存在", "service_code not found")


class ApiKeyRequired(Forbidden):
    code = "OPEN311_API_KEY_REQUIRED"
    title = Text("提交请求需要合作方 api_key", "Submitting requires a partner api_key")


class Open311BadRequest(InvalidRequest):
    code = "OPEN311_BAD_REQUEST"
    title = Text("Open311 请求参数有误", "Invalid Open311 request")
