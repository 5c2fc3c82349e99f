"""Demo elections in the IoT community: one certified (a past record date) with the committee formed from it,
one with voting open.

Everything goes through the elections API in-process, so the record is what a real election leaves
and `python -m elections.verify` passes on it. At seed time no registry is serving, so the roll
comes from the registry's app run in-process, built by the caller (`tools/run.py`), so this service
imports no other. An
election whose title exists is left as it is, so seeding twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from asgi_lifespan import LifespanManager
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from elections.approve import signed_approval
from elections.settings import Settings
from shared.auth import IDENTITY_HEADER, Identity, Role, mint_internal_token
from shared.clients import service_headers
from shared.demo import IOT_ID
from shared.settings import PlatformSettings

PAST_TITLE = "物联网产业社区第一届治理委员会选举"
PAST_RECORD_DATE = dt.date(2025, 12, 1)
OPEN_TITLE = "物联网产业社区第二届治理委员会补选"
CANDIDATES = ("周建国", "吴晓燕", "郑海涛", "孙丽娟", "钱志明", "冯雪梅")
# The certified election: how many ballots approve which candidates (by position above); 周 and 吴
# on every ballot, 郑 on most, 孙 and 钱 on about half, 冯 on few.
PAST_BALLOTS = ((8, (0, 1, 2, 3, 4)), (6, (0, 1, 2, 3, 5)), (5, (0, 1, 2, 4)), (3, (0, 1, 3, 4)), (2, ()))
OPEN_BALLOTS = ((4, (0, 1, 2, 3, 4)), (3, (0, 2, 3, 5)))
STAFF = Identity(subject="demo-staff-iot", roles=frozenset({Role.community_staff}), community_ids=frozenset({IOT_ID}))


class _Demo:
    """The elections API in-process, with tokens minted for the demo's people."""

    def __init__(self, client: httpx.AsyncClient, registry: httpx.AsyncClient, secret: str) -> None:
        self.client, self.registry, self.secret = client, registry, secret

    def auth(self, who: Identity) -> dict[str, str]:
        return {IDENTITY_HEADER: mint_internal_token(who, self.secret, ttl_seconds=600)}

    async def call(self, method: str, path: str, who: Identity, body: Any = None, ok: int = 200) -> Any:
        response = await self.client.request(method, path, json=body, headers=self.auth(who))
        if response.status_code != ok:
            raise RuntimeError(f"demo elections: {method} {path} answered {response.status_code}: {response.text}")
        return response.json()

    async def registry_roll(self, as_of: dt.date) -> list[dict[str, Any]]:
        response = await self.registry.get(
            f"/internal/communities/{IOT_ID}/roll",
            params={"as_of": as_of.isoformat()},
            headers=service_headers("elections", self.secret),
        )
        response.raise_for_status()
        items: list[dict[str, Any]] = response.json()["items"]
        return [item for item in items if item["representative_subject"]]

    async def titles(self) -> set[str]:
        listed = await self.call("GET", f"/v1/elections?community_id={IOT_ID}&limit=100", STAFF)
        return {item["title"] for item in listed["items"]}


def _rep(entry: dict[str, Any]) -> Identity:
    return Identity(
        subject=entry["representative_subject"],
        roles=frozenset({Role.enterprise_rep}),
        enterprise_id=uuid.UUID(entry["enterprise_id"]),
        community_ids=frozenset({IOT_ID}),
    )


async def _election(
    demo: _Demo, title: str, record_date: dt.date, ballots: tuple[tuple[int, tuple[int, ...]], ...]
) -> str:
    """Create, nominate, review, publish, freeze and open; cast `ballots`; the election's id."""
    voters = await demo.registry_roll(record_date)
    created = await demo.call(
        "POST",
        "/v1/elections",
        STAFF,
        {
            "community_id": str(IOT_ID),
            "title": title,
            "record_date": record_date.isoformat(),
            "rules": {"seats": 5},
            "objection_window_hours": 0,
        },
        ok=201,
    )
    election = f"/v1/elections/{created['id']}"

    async def step(to: str) -> None:
        await demo.call("POST", f"{election}/transitions", STAFF, {"to": to})

    await step("nomination")
    for name, nominator in zip(CANDIDATES, voters, strict=False):
        await demo.call("POST", f"{election}/candidates", _rep(nominator), {"name": name, "kind": "single"}, ok=201)
    await step("candidate_review")
    for candidate in (await demo.call("GET", f"{election}/candidates", STAFF))["items"]:
        review = {"decision": "approve", "reason": "符合候选人条件"}
        await demo.call("POST", f"{election}/candidates/{candidate['id']}/reviews", STAFF, review)
    for to in ("candidates_published", "roll_frozen", "voting_open"):
        await step(to)
    listed = (await demo.call("GET", f"{election}/candidates", STAFF))["items"]
    by_name = {candidate["name"]: candidate["id"] for candidate in listed}
    casting = iter(voters)
    for count, positions in ballots:
        for _ in range(count):
            choices = [by_name[CANDIDATES[position]] for position in positions]
            await demo.call("POST", f"{election}/ballots", _rep(next(casting)), {"choices": choices}, ok=201)
    return str(created["id"])


async def _certify(demo: _Demo, election_id: str) -> None:
    election = f"/v1/elections/{election_id}"
    for to in ("voting_closed", "tallied"):
        await demo.call("POST", f"{election}/transitions", STAFF, {"to": to})
    result_hash = (await demo.call("GET", f"{election}/result", STAFF))["result_hash"]
    for number in range(1, 4):
        observer = Identity(
            subject=f"demo-observer-iot-{number}",
            roles=frozenset({Role.election_observer}),
            election_ids=frozenset({uuid.UUID(election_id)}),
        )
        body = signed_approval(Ed25519PrivateKey.generate(), election_id, observer.subject, result_hash)
        await demo.call("POST", f"{election}/certifications", observer, body)
    await demo.call("POST", f"{election}/transitions", STAFF, {"to": "certified"})


async def _committee(demo: _Demo) -> None:
    """The committee formed from the certified election, unless the community has one (docs/deliberation.md)."""
    if (await demo.call("GET", f"/v1/committees?community_id={IOT_ID}", STAFF))["items"]:
        return
    listed = await demo.call("GET", f"/v1/elections?community_id={IOT_ID}&limit=100", STAFF)
    (past,) = [item["id"] for item in listed["items"] if item["title"] == PAST_TITLE]
    body = {"election_id": past, "term_starts_on": "2026-01-01", "support_threshold": 10}
    await demo.call("POST", "/v1/committees", STAFF, body, ok=201)


RegistryApp = Callable[[str, SecretStr], FastAPI]
"""Builds the registry's app for a database and an internal secret (the caller's: tools/run.py)."""


@asynccontextmanager
async def _services(database_url: str, registry_app_for: RegistryApp) -> AsyncIterator[_Demo]:
    from elections.app import create_app

    secret = SecretStr(secrets.token_urlsafe(48))
    async with LifespanManager(registry_app_for(database_url, secret)) as registry_manager:
        registry_transport = httpx.ASGITransport(app=registry_manager.app)
        settings = Settings(database_url=database_url, internal_token_secret=secret, registry_feed_enabled=False)
        async with (
            LifespanManager(create_app(settings, registry_transport=registry_transport)) as manager,
            httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url="http://elections") as client,
            httpx.AsyncClient(transport=registry_transport, base_url="http://registry") as registry,
        ):
            yield _Demo(client, registry, secret.get_secret_value())


async def seed(database_url: str, registry_app_for: RegistryApp) -> None:
    """Load the demo elections (idempotent: an election whose title exists is kept). The roll comes
    from the registry's app run in process, which the caller builds (no service imports another)."""
    engine = create_async_engine(PlatformSettings(database_url=database_url).async_database_url)
    try:
        async with engine.connect() as lock:
            # two seeders at once (parallel `make seed`) must not both create the elections
            await lock.execute(text("SELECT pg_advisory_lock(hashtext('elections:seed'))"))
            try:
                async with _services(database_url, registry_app_for) as demo:
                    titles = await demo.titles()
                    if PAST_TITLE not in titles:
                        await _certify(demo, await _election(demo, PAST_TITLE, PAST_RECORD_DATE, PAST_BALLOTS))
                    await _committee(demo)
                    if OPEN_TITLE not in titles:
                        today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
                        await _election(demo, OPEN_TITLE, today, OPEN_BALLOTS)
            finally:
                await lock.execute(text("SELECT pg_advisory_unlock(hashtext('elections:seed'))"))
    finally:
        await engine.dispose()
