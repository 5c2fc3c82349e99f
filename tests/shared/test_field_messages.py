"""Field-level validation messages follow Accept-Language, and the response says its language."""

from __future__ import annotations

import re
import typing

import httpx
import pydantic_core
import pytest

from shared.field_messages import MESSAGES, field_message
from tests.support.identities import admin, auth

CJK = re.compile("[\u4e00-\u9fff]")
SECRET_INPUT = "输入-not-echoed-" + "x" * 40
BAD_COMMUNITY = {
    "code": "bad code!",  # pattern
    "name_zh": SECRET_INPUT * 3,  # too long
    "type": "castle",  # enum
    "street": "",  # too short
    "area_km2": -1,  # greater than
    "established_on": "yesterday",  # date
    "surplus": 1,  # extra
}


async def _post(registry_app: httpx.AsyncClient, language: str) -> httpx.Response:
    headers = {**auth(admin()), "Accept-Language": language}
    return await registry_app.post("/v1/communities", json=BAD_COMMUNITY, headers=headers)


async def test_field_messages_are_chinese_by_default_and_english_on_request(registry_app: httpx.AsyncClient) -> None:
    chinese = await _post(registry_app, "zh-CN")
    english = await _post(registry_app, "en")
    assert chinese.status_code == english.status_code == 422
    assert chinese.headers["Content-Language"] == "zh-CN" and english.headers["Content-Language"] == "en"
    zh_items = {item["pointer"]: item for item in chinese.json()["errors"]}
    en_items = {item["pointer"]: item for item in english.json()["errors"]}
    assert set(zh_items) == set(en_items) == {f"/{field}" for field in BAD_COMMUNITY} | {"/name_en"}
    for pointer, item in zh_items.items():
        assert CJK.search(item["detail"]), (pointer, item["detail"])
        assert not CJK.search(en_items[pointer]["detail"]), (pointer, en_items[pointer]["detail"])
        assert item["code"] == en_items[pointer]["code"]  # codes are never translated
    assert zh_items["/name_zh"]["detail"] == "至多 100 个字符"
    assert zh_items["/name_en"]["detail"] == "必填字段" and en_items["/name_en"]["detail"] == "Field required"
    assert en_items["/area_km2"]["detail"] == "Input should be greater than 0"
    assert SECRET_INPUT not in chinese.text and "castle" not in english.text


async def test_a_validator_of_our_own_speaks_both_languages(registry_app: httpx.AsyncClient) -> None:
    response = await registry_app.post(
        "/v1/enterprises",
        json={"uscc": "91330108MA27Y0000X", "name": "杭州测试有限公司"},
        headers={**auth(admin()), "Accept-Language": "zh-CN"},
    )
    assert response.status_code == 422
    uscc = next(item for item in response.json()["errors"] if item.get("pointer") == "/uscc")
    assert uscc["code"] == "USCC_INVALID" and uscc["detail"].startswith("统一社会信用代码无效")


def test_every_common_error_type_has_both_messages() -> None:
    error_types = set(typing.get_args(pydantic_core.core_schema.ErrorType))
    assert set(MESSAGES) <= error_types, set(MESSAGES) - error_types  # no misspelt type
    for error_type, (zh, en) in MESSAGES.items():
        assert CJK.search(zh) and not CJK.search(en), error_type


@pytest.mark.parametrize(
    ("error", "zh", "en"),
    [
        ({"type": "too_long", "ctx": {"max_length": 5}}, "至多 5 项", "Should have at most 5 items"),
        ({"type": "less_than_equal", "ctx": {"le": 1}}, "应小于或等于 1", "Input should be less than or equal to 1"),
        ({"type": "enum", "ctx": {"expected": "'a'"}}, "应为以下之一：'a'", "Input should be one of: 'a'"),
        ({"type": "greater_than", "ctx": {}}, "应大于", "Input should be greater than"),  # context missing
        ({"type": "no_such_type"}, "取值无效", "Invalid value"),
    ],
)
def test_messages_are_filled_from_the_context_only(error: dict[str, object], zh: str, en: str) -> None:
    assert field_message(error, "zh-CN") == zh
    assert field_message(error, "en") == en
