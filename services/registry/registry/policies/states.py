"""Policy vocabulary, defined once: the facts a rule may test and the answers a representative gives."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal, get_args


class ListField(StrEnum):
    """Facts tested by membership (`any_of`)."""

    community = "community"  # a site there today
    industry_section = "industry_section"  # GB/T 4754-2017 section letter
    industry_code = "industry_code"  # GB/T 4754-2017 code prefix (division, group or class)
    building_kind = "building_kind"  # the kind of a building it has a site in today


class RangeField(StrEnum):
    """Facts tested by an inclusive range (`min`, `max`)."""

    headcount = "headcount"  # employees in the latest figures reported on or before today
    years_since_founding = "years_since_founding"  # whole years since its first day of `active` status
    graduates = "graduates"  # bachelor's degree or higher, latest figures
    high_level_talents = "high_level_talents"  # recognised talents, latest figures


Answer = Literal["applied", "not_relevant"]
ANSWERS: tuple[Answer, ...] = get_args(Answer)


class RuleField(StrEnum):
    """Every fact a rule may test (the API's enumeration): `ListField` and `RangeField` together."""

    community = "community"
    industry_section = "industry_section"
    industry_code = "industry_code"
    building_kind = "building_kind"
    headcount = "headcount"
    years_since_founding = "years_since_founding"
    graduates = "graduates"
    high_level_talents = "high_level_talents"


LIST_FIELDS = frozenset(field.value for field in ListField)
