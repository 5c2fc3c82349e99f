"""Bodies of `/v1/consultations`. Questions use the catalogue's form kinds (`datatype`, `choices`) in a copy
of their shape: services share no code, and the catalogue's attributes carry what a survey does not."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr, model_validator

from elections.deliberation.states import Audience, ConsultationStatus
from shared.field_messages import invalid
from shared.iso import IsoDateTime, JsonInt, JsonNumber


class Datatype(StrEnum):
    """The catalogue's form kinds (service-requests `Datatype`), the same names and meanings."""

    string = "string"
    number = "number"
    date = "date"
    text = "text"
    single_choice = "single_choice"
    multi_choice = "multi_choice"


class Choice(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")
    label_zh: str = Field(min_length=1, max_length=200)
    label_en: str = Field(min_length=1, max_length=200)


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")
    label_zh: str = Field(min_length=1, max_length=200)
    label_en: str = Field(min_length=1, max_length=200)
    datatype: Datatype
    required: StrictBool = False
    order: JsonInt = Field(0, ge=0)
    choices: list[Choice] = Field(default_factory=list, max_length=100)

    @model_validator(mode="after")
    def _choices_match_type(self) -> Self:
        is_choice = self.datatype in (Datatype.single_choice, Datatype.multi_choice)
        if is_choice and not self.choices:
            raise invalid("choices_missing", "选择类问题至少需要一个选项", "choice questions need at least one choice")
        if not is_choice and self.choices:
            raise invalid("choices_not_allowed", "只有选择类问题可以有选项", "only choice questions have choices")
        if len({choice.key for choice in self.choices}) != len(self.choices):
            raise invalid("choice_keys_repeated", "选项的键不得重复", "choice keys must be unique")
        return self


class ConsultationCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "community_id": "3f0c5a7e-1d2b-4c8e-9f60-0a1b2c3d4e5f",
                    "title": "2027 年社区食堂选址征询",
                    "audience": "enterprises",
                    "closes_at": "2027-01-15T09:00:00Z",
                    "questions": [
                        {
                            "code": "site",
                            "label_zh": "食堂选址",
                            "label_en": "Canteen site",
                            "datatype": "single_choice",
                            "required": True,
                            "choices": [
                                {"key": "tower_a", "label_zh": "A 座", "label_en": "Tower A"},
                                {"key": "complex", "label_zh": "商业综合体", "label_en": "The complex"},
                            ],
                        }
                    ],
                }
            ]
        },
    )

    community_id: uuid.UUID
    title: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=8000)
    audience: Audience = Field(
        description="`enterprises`: one answer per enterprise, by its representative; `employees`: one per person"
    )
    questions: list[Question] = Field(min_length=1, max_length=50)
    opens_at: IsoDateTime | None = Field(None, description="Opened by the periodic job then (or by staff earlier)")
    closes_at: IsoDateTime = Field(description="Closed then by the periodic job (or by staff earlier); results follow")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if len({q.code for q in self.questions}) != len(self.questions):
            raise invalid("question_codes_repeated", "问题代码不得重复", "question codes must be unique")
        if self.opens_at is not None and self.opens_at >= self.closes_at:
            raise invalid("window_empty", "开始时间须早于结束时间", "opens_at must be before closes_at")
        return self


class ConsultationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    community_id: uuid.UUID
    title: str
    description: str
    audience: Audience
    questions: list[Question]
    status: ConsultationStatus
    opens_at: IsoDateTime | None
    closes_at: IsoDateTime
    opened_at: IsoDateTime | None
    closed_at: IsoDateTime | None
    version: int
    created_at: IsoDateTime


class ConsultationTransition(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"to": "open"}, {"to": "closed"}]})

    to: Literal["open", "closed"] = Field(description="`draft` → `open` (before `closes_at`) → `closed`")


AnswerValue = StrictStr | JsonNumber | list[StrictStr]


class AnswerIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"answers": {"site": "tower_a", "comment": "希望尽快开放"}}]}
    )

    answers: dict[str, AnswerValue] = Field(
        max_length=50,
        description="Question code to answer: a choice key (`single_choice`), a list of keys (`multi_choice`), a"
        " number, a date (`YYYY-MM-DD`) or text",
    )


class AnswerReceipt(BaseModel):
    consultation_id: uuid.UUID
    respondent: Literal["enterprise", "person"]
    answered_at: IsoDateTime


class QuestionResult(BaseModel):
    code: str
    datatype: Datatype
    answered: int = Field(description="Answers that gave this question a value")
    choices: dict[str, int] | None = Field(None, description="Choice questions: answers per choice key")
    minimum: float | None = None
    maximum: float | None = None
    mean: float | None = None


class ConsultationResults(BaseModel):
    """Counts only: no names, no text."""

    consultation_id: uuid.UUID
    closed_at: IsoDateTime
    answers: int
    questions: list[QuestionResult]
