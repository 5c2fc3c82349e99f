"""The JSON picker the docs' curl tours use instead of jq."""

from __future__ import annotations

from tools.jsonq import pick, render

DOCUMENT = {"id": "a1", "items": [{"code": "X", "id": "i1", "name": "甲"}, {"code": "Y", "id": "i2", "name": "乙"}]}


def test_fields_lists_filters_and_lengths() -> None:
    assert pick(DOCUMENT, "id") == "a1"
    assert pick(DOCUMENT, "items[].name") == ["甲", "乙"]
    assert pick(DOCUMENT, "items[code=Y].id") == ["i2"]
    assert pick(DOCUMENT, "items.length") == 2


def test_rendering_keeps_chinese_and_prints_strings_raw() -> None:
    assert render("a1") == "a1"
    assert render(["甲"]) == '[\n  "甲"\n]'
