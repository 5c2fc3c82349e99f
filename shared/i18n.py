"""`Accept-Language` negotiation: zh-CN (the default) or en. Only human text is translated."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, Request, Response

Language = Literal["zh-CN", "en"]
DEFAULT_LANGUAGE: Language = "zh-CN"


def negotiate_language(header: str | None) -> Language:
    """Pick zh-CN or en from an Accept-Language header; `zh_CN` and `zh-Hans-CN` count as zh-CN."""
    if not header:
        return DEFAULT_LANGUAGE
    choices: list[tuple[float, int, Language]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().replace("_", "-").lower().split("-")[0]
        if primary == "zh":
            choices.append((quality, -position, "zh-CN"))
        elif primary == "en":
            choices.append((quality, -position, "en"))
    choices = [choice for choice in choices if choice[0] > 0]
    return max(choices)[2] if choices else DEFAULT_LANGUAGE


@dataclass(frozen=True, slots=True)
class Text:
    """A human string in both languages."""

    zh: str
    en: str

    def render(self, language: Language) -> str:
        return self.en if language == "en" else self.zh


async def request_language(request: Request, response: Response) -> Language:
    """The language the caller asked for; the response says which one it is in."""
    language = negotiate_language(request.headers.get("accept-language"))
    response.headers["Content-Language"] = language
    return language


RequestLanguage = Annotated[Language, Depends(request_language)]
