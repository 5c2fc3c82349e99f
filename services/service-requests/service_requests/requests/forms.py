"""Answers checked against a service type's form (the Open311-style attribute list)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from service_requests.requests.exceptions import AnswersInvalid
from shared.i18n import Text

MAX_STRING = 200
MAX_TEXT = 4000


def _problem(code: str, detail: str) -> dict[str, str]:
    return {"detail": detail, "pointer": f"/answers/{code}"}


def _check(attribute: dict[str, Any], value: Any) -> tuple[Any, str | None]:
    """The normalised value, or an error message."""
    datatype = attribute["datatype"]
    keys = [choice["key"] for choice in attribute.get("choices", [])]
    if datatype in ("string", "text"):
        limit = MAX_STRING if datatype == "string" else MAX_TEXT
        if not isinstance(value, str) or not value.strip():
            return None, "must be a non-empty string"
        return (value, None) if len(value) <= limit else (None, f"at most {limit} characters")
    if datatype == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None, "must be a number"
        return value, None
    if datatype == "date":
        try:
            return dt.date.fromisoformat(value).isoformat(), None
        except (TypeError, ValueError):
            return None, "must be a date YYYY-MM-DD"
    if datatype == "single_choice":
        return (value, None) if isinstance(value, str) and value in keys else (None, f"must be one of {keys}")
    if datatype == "multi_choice":
        if not isinstance(value, list) or not value or any(item not in keys for item in value):
            return None, f"must be a non-empty list of {keys}"
        if len(set(value)) != len(value):
            return None, "choices must not repeat"
        return value, None
    return None, "unknown datatype"


def validate_answers(form: list[dict[str, Any]], answers: dict[str, Any]) -> dict[str, Any]:
    """Every required attribute answered, every answer typed right, nothing unknown; else 422."""
    by_code = {attribute["code"]: attribute for attribute in form}
    errors = [_problem(code, "not a question of this form") for code in answers if code not in by_code]
    cleaned: dict[str, Any] = {}
    for code, attribute in by_code.items():
        value = answers.get(code)
        if value is None or value == "" or value == []:
            if attribute.get("required"):
                errors.append(_problem(code, "required"))
            continue
        normalised, message = _check(attribute, value)
        if message is not None:
            errors.append(_problem(code, message))
        else:
            cleaned[code] = normalised
    if errors:
        raise AnswersInvalid(Text("请检查表单中标出的字段", "Check the marked answers"), errors=errors)
    return cleaned
