"""USCC check characters against published codes and a check character worked by hand (GB 32100-2015)."""

from __future__ import annotations

import pytest

from registry.enterprises.uscc import check_character, is_valid, problem
from tests.registry.factories import gb32100_check, uscc

# Codes as printed on the companies' business licences (national enterprise credit information system).
PUBLISHED = {
    "91330100799655058B": "阿里巴巴(中国)有限公司",
    "914403001922038216": "华为技术有限公司",
    "91440300708461136T": "深圳市腾讯计算机系统有限公司",
    "91110000802100433B": "北京百度网讯科技有限公司",
    "9111000071093123XX": "国家电网有限公司",
}


@pytest.mark.parametrize("code", PUBLISHED)
def test_published_codes_are_valid_and_one_changed_character_is_not(code: str) -> None:
    assert is_valid(code)
    assert check_character(code[:17]) == code[17]
    for position in (0, 8, 16, 17):
        changed = code[:position] + ("1" if code[position] != "1" else "2") + code[position + 1 :]
        assert problem(changed) == "the check character does not match (GB 32100-2015)", changed


def test_the_check_character_worked_by_hand() -> None:
    # 9 1 3 3 0 1 0 0 7 9 9 6 5 5 0 5 8 times the weights 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28:
    # 9+3+27+81+0+26+0+0+140+261+225+78+40+120+0+150+224 = 1384; 1384 mod 31 = 20; 31 - 20 = 11 = "B".
    assert check_character("91330100799655058") == "B"
    first17 = "A1000000000000000"  # 10*1 + 1*3 = 13: 31 - 13 = 18 = "J"
    assert check_character(first17) == "J"
    zero_sum = "00000000000000000"  # sum 0: 31 - 0 = 31, written "0"
    assert check_character(zero_sum) == "0"


def test_the_factories_codes_are_valid_for_the_registry() -> None:
    codes = [uscc() for _ in range(50)]
    assert len(set(codes)) == 50
    assert all(is_valid(code) and gb32100_check(code[:17]) == code[17] for code in codes)
