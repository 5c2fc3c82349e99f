"""Factories for the service-request tests: a community, its staff, enterprises and their people."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from shared.auth import Identity, Role
from tests.support.identities import auth, identity


@dataclass
class World:
    """One community with staff, two enterprises in it, and a community next door."""

    community_id: uuid.UUID = field(default_factory=uuid.uuid4)
    other_community_id: uuid.UUID = field(default_factory=uuid.uuid4)
    enterprise_id: uuid.UUID = field(default_factory=uuid.uuid4)
    other_enterprise_id: uuid.UUID = field(default_factory=uuid.uuid4)

    def staff(self) -> Identity:
        return identity(Role.community_staff, community_ids=[self.community_id])

    def other_staff(self) -> Identity:
        return identity(Role.community_staff, community_ids=[self.other_community_id])

    def rep(self, enterprise_id: uuid.UUID | None = None) -> Identity:
        return identity(
            Role.enterprise_rep, enterprise_id=enterprise_id or self.enterprise_id, community_ids=[self.community_id]
        )

    def employee(self, enterprise_id: uuid.UUID | None = None) -> Identity:
        return identity(
            Role.employee, enterprise_id=enterprise_id or self.enterprise_id, community_ids=[self.community_id]
        )

    def partner(self, partner_id: uuid.UUID, kind: str = "bank") -> Identity:
        return identity(Role.partner, partner_id=partner_id, partner_kind=kind)


@pytest.fixture
def world() -> World:
    return World()


def type_body(community_id: uuid.UUID, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "community_id": str(community_id),
        "code": f"svc-{uuid.uuid4().hex[:8]}",
        "name_zh": "融资咨询",
        "name_en": "Financing consultation",
        "description_zh": "银行融资对接",
        "category": "enterprise",
        "scenario": "enterprise_service",
        "requester_roles": ["enterprise_rep", "employee"],
        "form": [
            {
                "code": "amount",
                "label_zh": "金额",
                "label_en": "Amount",
                "datatype": "number",
                "required": True,
                "order": 1,
            },
            {
                "code": "purpose",
                "label_zh": "用途",
                "label_en": "Purpose",
                "datatype": "single_choice",
                "order": 2,
                "choices": [
                    {"key": "working_capital", "label_zh": "流动资金", "label_en": "Working capital"},
                    {"key": "equipment", "label_zh": "设备", "label_en": "Equipment"},
                ],
            },
        ],
        "handler": {"kind": "community_staff"},
        "deadlines": {
            "acknowledge": {"amount": 4, "unit": "working_hours"},
            "resolve": {"amount": 5, "unit": "working_days"},
        },
    }
    body.update(overrides)
    return body


async def create_type(client: httpx.AsyncClient, world: World, **overrides: Any) -> dict[str, Any]:
    response = await client.post(
        "/v1/service-types", json=type_body(world.community_id, **overrides), headers=auth(world.staff())
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def submit(
    client: httpx.AsyncClient, who: Identity, type_id: str, description: str = "想了解贷款贴息政策", **extra: Any
) -> httpx.Response:
    body = {"type_id": type_id, "description": description, "answers": {"amount": 300}, **extra}
    return await client.post("/v1/service-requests", json=body, headers=auth(who))


async def act(
    client: httpx.AsyncClient, who: Identity, request_id: str, action: str, version: int, **extra: Any
) -> httpx.Response:
    return await client.post(
        f"/v1/service-requests/{request_id}/transitions",
        json={"action": action, **extra},
        headers={**auth(who), "If-Match": f'"v{version}"'},
    )


async def feed_events(
    client: httpx.AsyncClient, event_type: str, count: int, wait_seconds: float = 20.0
) -> list[dict[str, Any]]:
    """Events of one type from the feed, waiting until `count` have a feed position.

    The feed positions an event only once every older transaction on the server has ended, and
    other test runs share the server, so a fresh event may take a moment to appear.
    """
    deadline = asyncio.get_running_loop().time() + wait_seconds
    while True:
        feed = await client.get("/internal/events", params={"limit": 1000}, headers=auth(identity(Role.service)))
        found = [event for event in feed.json()["items"] if event["type"] == event_type]
        if len(found) >= count or asyncio.get_running_loop().time() > deadline:
            return found
        await asyncio.sleep(0.2)
