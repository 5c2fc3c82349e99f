"""Field-level validation messages in zh-CN and en.

Pydantic's own messages are English only. Each error type it raises (and each one our
validators raise through `invalid`) has a message here in both languages, filled from the
error's context (limits, expected values), never from the submitted input.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic_core import PydanticCustomError

from shared.i18n import Language, Text

# error type -> (zh, en); `{name}` fields come from the error's `ctx`
MESSAGES: dict[str, tuple[str, str]] = {
    "missing": ("必填字段", "Field required"),
    "extra_forbidden": ("不允许的字段", "Extra fields are not permitted"),
    "string_type": ("应为字符串", "Input should be a valid string"),
    "string_too_short": ("至少 {min_length} 个字符", "String should have at least {min_length} characters"),
    "string_too_long": ("至多 {max_length} 个字符", "String should have at most {max_length} characters"),
    "string_pattern_mismatch": ("格式不正确", "String does not match the expected format"),
    "string_unicode": ("应为有效的 Unicode 字符串", "Input should be a valid Unicode string"),
    "int_type": ("应为整数", "Input should be a valid integer"),
    "int_parsing": ("应为整数", "Input should be a valid integer"),
    "int_from_float": ("应为整数，不能带小数", "Input should be a valid integer, without a fraction"),
    "float_type": ("应为数字", "Input should be a valid number"),
    "float_parsing": ("应为数字", "Input should be a valid number"),
    "finite_number": ("应为有限数字", "Input should be a finite number"),
    "decimal_type": ("应为十进制数", "Input should be a valid decimal"),
    "decimal_parsing": ("应为十进制数", "Input should be a valid decimal"),
    "decimal_max_digits": ("至多 {max_digits} 位数字", "Decimal should have at most {max_digits} digits"),
    "decimal_max_places": ("至多 {decimal_places} 位小数", "Decimal should have at most {decimal_places} places"),
    "bool_type": ("应为布尔值", "Input should be a valid boolean"),
    "bool_parsing": ("应为布尔值", "Input should be a valid boolean"),
    "greater_than": ("应大于 {gt}", "Input should be greater than {gt}"),
    "greater_than_equal": ("应大于或等于 {ge}", "Input should be greater than or equal to {ge}"),
    "less_than": ("应小于 {lt}", "Input should be less than {lt}"),
    "less_than_equal": ("应小于或等于 {le}", "Input should be less than or equal to {le}"),
    "multiple_of": ("应为 {multiple_of} 的倍数", "Input should be a multiple of {multiple_of}"),
    "date_type": ("应为日期（YYYY-MM-DD）", "Input should be a valid date (YYYY-MM-DD)"),
    "date_parsing": ("应为日期（YYYY-MM-DD）", "Input should be a valid date (YYYY-MM-DD)"),
    "date_from_datetime_parsing": ("应为日期（YYYY-MM-DD）", "Input should be a valid date (YYYY-MM-DD)"),
    "date_from_datetime_inexact": ("日期不应带时间", "A date should have no time part"),
    "datetime_type": ("应为 RFC 3339 日期时间", "Input should be an RFC 3339 datetime"),
    "datetime_parsing": ("应为 RFC 3339 日期时间", "Input should be an RFC 3339 datetime"),
    "datetime_from_date_parsing": ("应为 RFC 3339 日期时间", "Input should be an RFC 3339 datetime"),
    "timezone_aware": ("日期时间须带时区", "The datetime needs a time zone"),
    "time_type": ("应为时间（HH:MM）", "Input should be a valid time (HH:MM)"),
    "time_parsing": ("应为时间（HH:MM）", "Input should be a valid time (HH:MM)"),
    "uuid_type": ("应为 UUID", "Input should be a valid UUID"),
    "uuid_parsing": ("应为 UUID", "Input should be a valid UUID"),
    "enum": ("应为以下之一：{expected}", "Input should be one of: {expected}"),
    "literal_error": ("应为以下之一：{expected}", "Input should be one of: {expected}"),
    "list_type": ("应为数组", "Input should be a valid list"),
    "tuple_type": ("应为数组", "Input should be a valid list"),
    "set_type": ("应为数组", "Input should be a valid list"),
    "dict_type": ("应为对象", "Input should be a valid object"),
    "model_type": ("应为对象", "Input should be a valid object"),
    "model_attributes_type": ("应为对象", "Input should be a valid object"),
    "too_short": ("至少 {min_length} 项", "Should have at least {min_length} items"),
    "too_long": ("至多 {max_length} 项", "Should have at most {max_length} items"),
    "json_invalid": ("JSON 格式错误", "Invalid JSON"),
    "json_type": ("应为 JSON", "Input should be valid JSON"),
    "url_parsing": ("应为有效的 URL", "Input should be a valid URL"),
    "url_type": ("应为有效的 URL", "Input should be a valid URL"),
    "url_scheme": ("URL 协议应为 {expected_schemes}", "URL scheme should be {expected_schemes}"),
    "url_too_long": ("URL 至多 {max_length} 个字符", "URL should have at most {max_length} characters"),
    "value_error": ("取值无效", "Invalid value"),
    "assertion_error": ("取值无效", "Invalid value"),
    "union_tag_invalid": ("类型标记无效，应为 {expected_tags}", "Invalid tag, expected one of {expected_tags}"),
    "union_tag_not_found": ("缺少类型标记 {discriminator}", "The discriminator {discriminator} is missing"),
    "bytes_too_long": ("至多 {max_length} 字节", "Should have at most {max_length} bytes"),
    "bytes_too_short": ("至少 {min_length} 字节", "Should have at least {min_length} bytes"),
}
FALLBACK = ("取值无效", "Invalid value")


def invalid(code: str, zh: str, en: str) -> PydanticCustomError:
    """A validator's own error, in both languages (raise it instead of a bare `ValueError`)."""
    return PydanticCustomError(code, en, {"zh": zh})


def _plain(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value  # "0", not "0.0"


def _fill(template: str, context: Mapping[str, Any]) -> str:
    try:
        return template.format(**{key: _plain(value) for key, value in context.items() if key != "error"})
    except (KeyError, IndexError, ValueError):
        return template.split("{", 1)[0].rstrip("：: ") or template


def field_message(error: Mapping[str, Any], language: Language) -> str:
    """The human message of one pydantic error, in `language`; never the submitted input."""
    error_type = str(error.get("type", ""))
    context: Mapping[str, Any] = error.get("ctx") or {}
    if "zh" in context:  # raised through `invalid`
        return Text(str(context["zh"]), str(error.get("msg", ""))).render(language)
    zh, en = MESSAGES.get(error_type, FALLBACK)
    return _fill(en if language == "en" else zh, context)
