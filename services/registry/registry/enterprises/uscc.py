"""The unified social credit code (统一社会信用代码, GB 32100-2015) and its check character."""

from __future__ import annotations

import random
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
VALUES = {character: value for value, character in enumerate(ALPHABET)}
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
BINJIANG_DIVISION = "330108"  # administrative division code of Binjiang district, Hangzhou


def check_character(first17: str) -> str:
    """The 18th character for the first 17: 31 - (weighted sum mod 31), with 31 written as 0."""
    total = sum(VALUES[character] * weight for character, weight in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


WRONG_LENGTH = "must be 18 characters"
WRONG_CHARACTER = "may contain only digits and the letters ABCDEFGHJKLMNPQRTUWXY"
WRONG_CHECK = "the check character does not match (GB 32100-2015)"
REASONS_ZH = {
    WRONG_LENGTH: "须为 18 位",
    WRONG_CHARACTER: "只能包含数字和字母 ABCDEFGHJKLMNPQRTUWXY",
    WRONG_CHECK: "校验码不符（GB 32100-2015）",
}


def problem(code: str) -> str | None:
    """Why `code` is not a valid USCC, or None when it is."""
    if len(code) != 18:
        return WRONG_LENGTH
    if any(character not in VALUES for character in code):
        return WRONG_CHARACTER
    if check_character(code[:17]) != code[17]:
        return WRONG_CHECK
    return None


def is_valid(code: str) -> bool:
    return problem(code) is None


def _normalise(value: object) -> object:
    return value.strip().upper() if isinstance(value, str) else value


def _validate(code: str) -> str:
    reason = problem(code)
    if reason is not None:
        raise PydanticCustomError(
            "uscc_invalid",
            "Invalid unified social credit code: {reason}",
            {"reason": reason, "zh": f"统一社会信用代码无效：{REASONS_ZH[reason]}"},
        )
    return code


# Published: 18 characters of the alphabet in either case, spaces around them allowed (stripped and
# upper-cased before the check); the check character is beyond JSON Schema (422 USCC_INVALID).
PATTERN = r"^ *[0-9A-HJ-NP-RTUW-Ya-hj-np-rtuw-y]{18} *$"

# A body field typed `USCC` answers 422 with `code: USCC_INVALID` and a pointer to the field.
USCC = Annotated[
    str,
    BeforeValidator(_normalise),
    AfterValidator(_validate),
    WithJsonSchema({"type": "string", "pattern": PATTERN}),
]


def _organisation_code(rng: random.Random) -> str:
    """A GB 11714 organisation code: 8 characters and its own check character."""
    body = "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(8))
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(character, 36) * weight for character, weight in zip(body, weights, strict=True))
    check = 11 - total % 11
    return body + ("X" if check == 10 else "0" if check == 11 else str(check))


def make_uscc(seed: int, division: str = BINJIANG_DIVISION) -> str:
    """A deterministic, valid USCC of an enterprise (registration authority 9, category 1)."""
    rng = random.Random(seed)
    first17 = "91" + division + _organisation_code(rng)
    return first17 + check_character(first17)
