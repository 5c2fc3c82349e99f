"""The building kinds, defined once (the model's CHECK and the schemas read them)."""

from __future__ import annotations

from typing import Literal, get_args

BuildingKind = Literal[
    "office_tower",
    "commercial_complex",
    "serviced_apartments",
    "industrial_park",
    "residential_compound",
    "other",
]
BUILDING_KINDS: tuple[BuildingKind, ...] = get_args(BuildingKind)
