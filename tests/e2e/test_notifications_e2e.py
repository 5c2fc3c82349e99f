"""Issue 17's acceptance through the real gateway and processes: a resolved request reaches its
requester's inbox within 2 seconds and the fake WeChat server gets exactly one subscribe message
(none without a subscription); a WeChat server down and back up delivers what was queued, once;
the notifications process killed mid-fan-out writes every recipient's notification exactly once."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import asyncpg
import httpx
import pytest

from shared.auth import Identity, Role
from tests.e2e.conftest import RunningPlatform
from tests.e2e.test_people_sign_in import bearer, mini_program_sign_in
from tests.service_requests.conftest import World, type_body
from tools.devdb import asyncpg_dsn

pytestmark = pytest.mark.e2e
PROGRESS = "tmpl-request-progress"
WORKING = "NOTIFICATIONS_WORKERS_ENABLED"


@pytest.fixture(scope="module", autouse=True)
def notifications_working(platform: RunningPlatform) -> Iterator[None]:
    """The session's notifications process runs without its background work (in-process tests drive
    each step by hand on the same database); this module's tests need the real thing."""
    process = platform.services["notifications"]
    process.env = process.env | {WORKING: "true"}
    process.stop()
    process.start()
    yield
    process.env = {key: value for key, value in process.env.items() if key != WORKING}
    process.stop()
    process.start()


async def wechat_messages(platform: RunningPlatform, openid: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(base_url=platform.fake_url("fake-wechat")) as wechat:
        found: list[dict[str, Any]] = (await wechat.get("/_fake/messages", params={"openid": openid})).json()[
            "messages"
        ]
        return found


async def inbox_item(
    client: httpx.AsyncClient, headers: dict[str, str], kind: str, within: float, about: str | None = None
) -> dict[str, Any]:
    """Poll the inbox until a notification of `kind` (about request `about`) is there, or fail after `within` s."""
    deadline = time.monotonic() + within
    while True:
        items: list[dict[str, Any]] = (await client.get("/v1/notifications", headers=headers)).json()["items"]
        found = [
            item
            for item in items
            if item["kind"] == kind and (about is None or item["link"] == f"/v1/service-requests/{about}")
        ]
        if found:
            return found[0]
        assert time.monotonic() < deadline, f"no {kind} in the inbox after {within} s: {items}"
        await asyncio.sleep(0.05)


async def until(check: Any, within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not await check():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.2)


class Story:
    """An employee signed in through the mini-program (so WeChat knows their openid), with a
    requester token for that account, and a staff member of their community."""

    def __init__(self, platform: RunningPlatform, client: httpx.AsyncClient) -> None:
        self.platform, self.client = platform, client
        self.world = World()
        self.staff = platform.auth(self.world.staff())
        self.openid = f"notify-{uuid.uuid4().hex[:10]}"
        self.versions: dict[str, int] = {}

    async def sign_in(self) -> None:
        phone = f"136{uuid.uuid4().int % 10**8:08d}"
        pair = await mini_program_sign_in(self.platform, self.client, self.openid, phone)
        me = await self.client.get("/v1/accounts/me", headers=bearer(pair))
        assert me.status_code == 200, me.text
        # The account is the requester: an employee token for its subject (the invitation flow that
        # grants `employee` is issue 16's own e2e test).
        who = Identity.model_validate(
            {
                "subject": me.json()["id"],
                "roles": [Role.employee, Role.account],
                "enterprise_id": self.world.enterprise_id,
                "community_ids": [self.world.community_id],
            }
        )
        self.requester = self.platform.auth(who)
        created = await self.client.post(
            "/v1/service-types", json=type_body(self.world.community_id), headers=self.staff
        )
        assert created.status_code == 201, created.text
        self.type_id = created.json()["id"]

    async def subscribe(self) -> None:
        report = await self.client.post(
            "/v1/notifications/wechat-subscriptions", json={"results": {PROGRESS: "accept"}}, headers=self.requester
        )
        assert report.status_code == 201, report.text

    async def file_and_start(self) -> str:
        body = {"type_id": self.type_id, "description": "办公室空调不制冷", "answers": {"amount": 1}}
        key = {"Idempotency-Key": str(uuid.uuid4())}
        filed = await self.client.post("/v1/service-requests", json=body, headers=self.requester | key)
        assert filed.status_code == 201, filed.text
        request_id: str = filed.json()["id"]
        self.versions[request_id] = 1
        for action in ("accept", "start"):
            await self.act(request_id, action)
        await inbox_item(self.client, self.requester, "request.acknowledged", 10, request_id)
        return request_id

    async def act(self, request_id: str, action: str, **extra: str) -> None:
        moved = await self.client.post(
            f"/v1/service-requests/{request_id}/transitions",
            json={"action": action, **extra},
            headers=self.staff | {"If-Match": f'"v{self.versions[request_id]}"'},
        )
        assert moved.status_code == 200, moved.text
        self.versions[request_id] = moved.json()["version"]


async def test_a_resolved_request_reaches_the_requester_and_wechat_exactly_once(platform: RunningPlatform) -> None:
    async with platform.client(timeout=30) as client:
        story = Story(platform, client)
        await story.sign_in()

        # not subscribed: the inbox only
        quiet = await story.file_and_start()
        await story.act(quiet, "resolve", reason="已维修")
        await inbox_item(client, story.requester, "request.resolved", 10, quiet)

        # subscribed (after the acknowledgement went out, so the one message is the resolution's)
        request_id = await story.file_and_start()
        await story.subscribe()
        await story.act(request_id, "resolve", reason="已更换压缩机")
        resolved_at = time.monotonic()
        item = await inbox_item(client, story.requester, "request.resolved", 2.0, request_id)  # issue 17: within 2 s
        assert time.monotonic() - resolved_at < 2.0
        assert item["link"] == f"/v1/service-requests/{request_id}"

        await until(lambda: _count(platform, story.openid, 1), 15, "the subscribe message never reached WeChat")
        await asyncio.sleep(1.5)  # a second send, if there were one, would be here by now
        [message] = await wechat_messages(platform, story.openid)
        assert message["template_id"] == PROGRESS
        assert message["page"] == f"pages/requests/detail?id={request_id}"
        assert len(message["data"]["thing1"]) <= 20 and message["data"]["phrase2"] == "已办结"
        subscriptions = await client.get("/v1/notifications/wechat-subscriptions", headers=story.requester)
        assert subscriptions.json() == {"open": {}}  # the one-time subscription is spent

        # someone else cannot see or mark it
        other = platform.auth(story.world.employee())
        assert (await client.get("/v1/notifications", headers=other)).json()["items"] == []
        stolen = await client.post(f"/v1/notifications/{item['id']}/read", headers=other)
        assert stolen.status_code == 404


async def _count(platform: RunningPlatform, openid: str, expected: int) -> bool:
    return len(await wechat_messages(platform, openid)) >= expected


async def test_wechat_down_then_up_delivers_every_queued_message_once(platform: RunningPlatform) -> None:
    async with platform.client(timeout=30) as client:
        story = Story(platform, client)
        await story.sign_in()
        requests = [await story.file_and_start() for _ in range(2)]
        for _ in requests:
            await story.subscribe()
        wechat = platform.fakes["fake-wechat"]
        wechat.stop()
        try:
            for request_id in requests:
                await story.act(request_id, "resolve", reason="已处理")
            for request_id in requests:
                await inbox_item(client, story.requester, "request.resolved", 10, request_id)
            await asyncio.sleep(5)  # several failed attempts while WeChat is away
        finally:
            wechat.start()
        await until(lambda: _count(platform, story.openid, 2), 30, "queued messages were lost")
        await asyncio.sleep(1.5)
        delivered = await wechat_messages(platform, story.openid)
        assert sorted(message["page"] for message in delivered) == sorted(
            f"pages/requests/detail?id={request_id}" for request_id in requests
        )


async def test_killed_mid_fan_out_every_recipient_has_the_message_once(platform: RunningPlatform) -> None:
    """A dispatch naming 20,000 people (as a feed event's rule would write it) is fanned out 200 at
    a time; the process is SIGKILLed part-way and started again; each person has exactly one row."""
    recipients = [f"fanout-{uuid.uuid4().hex[:6]}-{n}" for n in range(20_000)]
    event_id = uuid.uuid4()
    dsn = asyncpg_dsn(platform.service_env["DATABASE_URL"])
    notifications = platform.services["notifications"]
    notifications.env = notifications.env | {"NOTIFICATIONS_FANOUT_PAGE_SIZE": "200", WORKING: "true"}
    notifications.stop()
    notifications.start()
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(
            """INSERT INTO notifications.dispatch (event_id, kind, feed, selector, context, urgent)
               VALUES ($1, 'activity.cancelled', 'service-requests', $2::jsonb, $3::jsonb, false)""",
            event_id,
            json.dumps({"parts": [{"kind": "subjects", "subjects": recipients}]}),
            '{"title": "篮球友谊赛"}',
        )

        async def written() -> int:
            return int(
                await connection.fetchval(
                    "SELECT count(*) FROM notifications.notification WHERE event_id = $1", event_id
                )
            )

        deadline = time.monotonic() + 60
        while await written() < 2_000:
            assert time.monotonic() < deadline, "the fan-out did not start"
            await asyncio.sleep(0.05)
        notifications.kill()
        at_kill = await written()
        assert at_kill < len(recipients), "the fan-out finished before the kill; nothing was tested"
        notifications.start()
        deadline = time.monotonic() + 120
        while (
            await connection.fetchval("SELECT status FROM notifications.dispatch WHERE event_id = $1", event_id)
            != "done"
        ):
            assert time.monotonic() < deadline, "the fan-out did not finish after the restart"
            await asyncio.sleep(0.2)
        rows = await connection.fetch(
            "SELECT recipient, count(*) AS n FROM notifications.notification WHERE event_id = $1 GROUP BY recipient",
            event_id,
        )
        assert len(rows) == len(recipients) and {row["n"] for row in rows} == {1}
        assert {row["recipient"] for row in rows} == set(recipients)
    finally:
        await connection.close()
        notifications.env = {k: v for k, v in notifications.env.items() if k != "NOTIFICATIONS_FANOUT_PAGE_SIZE"}
        notifications.stop()
        notifications.start()


async def test_a_published_policy_reaches_the_matched_enterprises_representative(
    platform: RunningPlatform, database_url: str
) -> None:
    """Issue 18: the registry's `PolicyOffered` event, through the notifications process's registry
    feed and identity's live grants, becomes the representative's inbox notification (the inbox is
    written at any hour; WeChat waits for the quiet hours to end)."""
    from tests.identity.notices_support import account, grant
    from tests.registry.factories import uscc
    from tests.support.identities import admin

    async with platform.client(timeout=30) as client:
        code = f"NTF-{uuid.uuid4().hex[:6].upper()}"
        body: dict[str, Any] = {"code": code, "name_zh": code, "name_en": code, "type": "business_building"}
        community = (await client.post("/v1/communities", json=body | {"street": "长河街道"},
                                       headers=platform.auth(admin()))).json()["id"]  # fmt: skip
        tower = {"name": "通知大厦", "kind": "office_tower", "address": "江南大道", "community_id": community,
                 "valid_from": "2020-01-01"}  # fmt: skip
        building = (await client.post("/v1/buildings", json=tower, headers=platform.auth(admin()))).json()["id"]
        firm = {"uscc": uscc(), "name": f"杭州{code}科技有限公司", "legal_representative": "张三",
                "industry_section": "I", "site": {"building_id": building, "valid_from": "2021-01-01"}}  # fmt: skip
        enterprise = (await client.post("/v1/enterprises", json=firm, headers=platform.auth(admin()))).json()["id"]
        person = await account(database_url)
        await grant(database_url, person, "enterprise_rep", enterprise_id=uuid.UUID(enterprise))

        policy = {"community_id": community, "title": "软件企业房租补贴", "issuer": "滨江区经信局",
                  "summary": "软件企业房租补贴。", "valid_from": "2026-01-01",
                  "rules": [{"field": "industry_section", "any_of": ["I"]}]}  # fmt: skip
        published = await client.post("/v1/policies", json=policy, headers=platform.auth(admin()))
        assert published.status_code == 201 and published.json()["matched"] == 1, published.text
        rep = platform.auth(
            Identity.model_validate(
                {"subject": str(person), "roles": [Role.enterprise_rep, Role.account], "enterprise_id": enterprise}
            )  # fmt: skip
        )
        deadline = time.monotonic() + 20
        while True:
            items = (await client.get("/v1/notifications", headers=rep)).json()["items"]
            if any(item["kind"] == "registry.policy_offered" for item in items):
                break
            assert time.monotonic() < deadline, f"no policy offer in the representative's inbox: {items}"
            await asyncio.sleep(0.2)
        [item] = [item for item in items if item["kind"] == "registry.policy_offered"]
        assert item["link"] == f"/v1/policies/{published.json()['id']}" and "软件企业房租补贴" in item["body"]
