"""Where a request comes from: the address the gateway saw (`X-Forwarded-For`) and the user agent."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request


@dataclass(frozen=True, slots=True)
class Caller:
    ip: str | None
    user_agent: str | None


def caller(request: Request) -> Caller:
    # The gateway drops any X-Forwarded-* a client sent and sets its own (gateway/proxy.py).
    forwarded = request.headers.get("x-forwarded-for")
    ip = forwarded.split(",")[-1].strip() if forwarded else (request.client.host if request.client else None)
    agent = request.headers.get("user-agent")
    return Caller(ip=ip[:64] if ip else None, user_agent=agent[:300] if agent else None)


CallerDep = Annotated[Caller, Depends(caller)]
