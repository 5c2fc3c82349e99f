"""A stand-in for the registry's internal contract (roll endpoint and event feed), in memory.

Used until the registry's own `/internal/communities/{id}/roll` lands; it serves exactly the
documented shapes, and refuses callers without the internal identity header.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Header, HTTPException


@dataclass
class Enterprise:
    enterprise_id: uuid.UUID
    uscc: str
    name: str
    representative_subject: str | None


@dataclass
class FakeRegistry:
    rolls: dict[uuid.UUID, list[Enterprise]] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)

    def add_community(self, community_id: uuid.UUID, size: int) -> list[Enterprise]:
        prefix = community_id.hex[:6].upper()
        members = [
            Enterprise(uuid.uuid4(), f"91330108{prefix}{n:04d}", f"企业{n:04d}", f"rep-{uuid.uuid4().hex[:12]}")
            for n in range(size)
        ]
        self.rolls[community_id] = members
        return members

    def publish(self, event_type: str, enterprise_id: uuid.UUID, payload: dict[str, Any]) -> None:
        self.events.append(
            {
                "seq": len(self.events) + 1,
                "event_id": str(uuid.uuid4()),
                "type": event_type,
                "aggregate_type": "enterprise",
                "aggregate_id": str(enterprise_id),
                "occurred_at": dt.datetime.now(dt.UTC).isoformat(),
                "payload": payload,
            }
        )

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/internal/communities/{community_id}/roll")
        async def roll(
            community_id: uuid.UUID, as_of: dt.date, x_platform_identity: str | None = Header(None)
        ) -> dict[str, Any]:
            if not x_platform_identity:
                raise HTTPException(401)
            members = sorted(self.rolls.get(community_id, []), key=lambda e: e.uscc)
            return {
                "community_id": str(community_id),
                "as_of": as_of.isoformat(),
                "items": [
                    {
                        "enterprise_id": str(e.enterprise_id),
                        "uscc": e.uscc,
                        "name": e.name,
                        "representative_subject": e.representative_subject,
                    }
                    for e in members
                ],
            }

        @app.get("/internal/events")
        async def events(
            after: int = 0, limit: int = 100, x_platform_identity: str | None = Header(None)
        ) -> dict[str, Any]:
            if not x_platform_identity:
                raise HTTPException(401)
            items = [e for e in self.events if e["seq"] > after][:limit]
            return {"items": items, "last_seq": items[-1]["seq"] if items else after}

        return app
