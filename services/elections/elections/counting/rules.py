"""The rules of one election, fixed (and logged) before voting opens."""

from __future__ import annotations

from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.field_messages import invalid
from shared.iso import JsonInt


class Rules(BaseModel):
    """Defaults follow the committee-election rules; every field is public."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    seats: JsonInt = Field(7, ge=5, le=9, description="Committee seats; odd, 5 to 9")
    term_years: JsonInt = Field(3, ge=1, le=5)
    min_candidates_over_seats: JsonInt = Field(
        1, ge=1, description="Contested election: at least seats + this many approved candidates"
    )
    max_candidates_ratio_percent: JsonInt = Field(150, ge=100, le=300, description="At most seats × this / 100")
    lot_sources: list[str] = Field(
        default_factory=lambda: [
            "China Welfare Lottery Double Colour Ball (双色球): six red balls of the first draw after voting closes",
            "Shanghai Composite Index closing value × 100 on the first trading day after voting closes",
        ],
        min_length=1,
        max_length=5,
        description="Public sources of randomness for a tie lot (RFC 3797), named before voting opens",
    )
    observers: JsonInt = Field(5, ge=1, le=15, description="Observers appointed (n)")
    certification_quorum: JsonInt = Field(3, ge=1, le=15, description="Observer approvals needed to certify (k)")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.seats % 2 == 0:
            raise invalid("seats_even", "席位数须为奇数", "seats must be odd")
        if self.certification_quorum > self.observers:
            raise invalid(
                "quorum_over_observers", "确认所需人数不得超过监票人数", "certification_quorum cannot exceed observers"
            )
        return self

    @property
    def min_candidates(self) -> int:
        return self.seats + self.min_candidates_over_seats

    @property
    def max_candidates(self) -> int:
        return self.seats * self.max_candidates_ratio_percent // 100
