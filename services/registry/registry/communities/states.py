"""The community types and generations, defined once (the model's CHECKs and the schemas read them).

The four industrial types of the specification, and `residential` for ordinary communities such
as Zhongxing, from which industrial communities are carved out.
"""

from __future__ import annotations

from typing import Literal, get_args

CommunityType = Literal[
    "tech_innovation", "cultural_creative", "smart_manufacturing", "business_building", "residential"
]
Generation = Literal["1.0", "2.0"]
COMMUNITY_TYPES: tuple[CommunityType, ...] = get_args(CommunityType)
GENERATIONS: tuple[Generation, ...] = get_args(Generation)


def one_of(column: str, values: tuple[str, ...]) -> str:
    """The SQL of a CHECK that `column` holds one of `values`."""
    return f"{column} IN ({', '.join(repr(value) for value in values)})"
