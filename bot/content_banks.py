"""The content's bilingual banks, as pydantic models that validate them.

Coaching questions and tips, prompts, evaluations, resources and the mentoring
agreement's checklist (``content/<bank>.yaml``).  Apart from
:mod:`bot.content` because building these models (and importing pydantic for
them) is needed only to validate a bank: a start whose content files are all
unchanged since a load that found no problem validates the banks on first use
(the warm-up after ready), see :func:`bot.content.load_content`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

#: bank ids travel inside choice ids such as ``coach:more:<id>``; keep room.
MAX_ITEM_ID = 24


class _Item(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z0-9_]+$", max_length=MAX_ITEM_ID)
    sv: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def text(self, lang: str) -> str:
        return self.sv if lang == "sv" else self.en


class Question(_Item):
    needs: list[Literal["career", "emotional", "practical", "profile", "other", "any"]]
    phase: list[Literal["start", "middle", "end"]] = Field(min_length=1)
    purpose: Literal["opening", "exploring", "options", "action", "reflection"]

    def fits(self, need: str) -> bool:
        return "any" in self.needs or need in self.needs


class Tip(_Item):
    quality: str
    phase: list[Literal["start", "middle", "end"]] = Field(min_length=1)


class CoachingBank(BaseModel):
    model_config = ConfigDict(extra="forbid")
    questions: list[Question] = Field(min_length=60)
    tips: list[Tip] = Field(min_length=6)


class Activity(_Item):
    title_sv: str = Field(min_length=1)
    title_en: str = Field(min_length=1)

    def title(self, lang: str) -> str:
        return self.title_sv if lang == "sv" else self.title_en


class PromptBank(BaseModel):
    model_config = ConfigDict(extra="forbid")
    icebreakers: list[_Item] = Field(min_length=3)
    online_bonding: list[_Item] = Field(min_length=3)
    mentee_prep: list[_Item] = Field(min_length=3)
    mentor_reflection: list[_Item] = Field(min_length=3)
    circle_activities: list[Activity] = Field(min_length=3)


class Option(_Item):
    pass


Role = Literal["mentor", "mentee"]


def _both_roles() -> list[Role]:
    return ["mentor", "mentee"]


class EvalQuestion(_Item):
    kind: Literal["rating", "text", "choice"]
    options: list[Option] = Field(default_factory=list)
    roles: list[Role] = Field(default_factory=_both_roles)


class EvaluationBank(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pulse: list[EvalQuestion] = Field(min_length=3)
    checkin: list[EvalQuestion] = Field(min_length=1)
    midpoint: list[EvalQuestion] = Field(min_length=1)
    final: list[EvalQuestion] = Field(min_length=1)


class Resource(_Item):
    url: str = Field(pattern=r"^https?://")


class ResourceBank(BaseModel):
    model_config = ConfigDict(extra="forbid")
    resources: list[Resource] = Field(min_length=1)


class ChecklistItem(_Item):
    """One point of the mentoring agreement, with the guide's reason for it."""

    title_sv: str
    title_en: str
    why_sv: str
    why_en: str
    kind: Literal["confirm", "support", "goals", "rhythm", "group"] = "confirm"
    circles_only: bool = False

    def title(self, lang: str) -> str:
        return self.title_sv if lang == "sv" else self.title_en

    def why(self, lang: str) -> str:
        return self.why_sv if lang == "sv" else self.why_en


class AgreementBank(BaseModel):
    model_config = ConfigDict(extra="forbid")
    items: list[ChecklistItem] = Field(min_length=10)
    support_options: list[Option] = Field(min_length=5)

    @field_validator("items")
    @classmethod
    def _unique(cls, items: list[ChecklistItem]) -> list[ChecklistItem]:
        ids = [i.id for i in items]
        if len(ids) != len(set(ids)):
            raise ValueError("item ids must be unique")
        return items


BANKS: dict[str, type[BaseModel]] = {
    "coaching": CoachingBank,
    "prompts": PromptBank,
    "evaluations": EvaluationBank,
    "resources": ResourceBank,
    "agreement": AgreementBank,
}
