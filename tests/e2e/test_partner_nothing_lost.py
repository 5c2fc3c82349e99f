"""Issue 7 acceptance: the partner is down for the first attempts and the dispatcher is killed mid-run.

Twenty financing requests are routed to a bank whose simulator is stopped; the standalone worker
logs failed attempts; the simulator comes back; the worker is SIGKILLed while it delivers and a new
one takes over. In the end every message was delivered, each `webhook-id` was processed once
(redeliveries are counted, never acted on twice) and every request got exactly one decision.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any, TypeVar

import httpx

from tests.e2e.conftest import (
    RunningPlatform,
    SimulatorFactory,
    WorkerFactory,
    financing_setup,
)

REQUESTS = 20
T = TypeVar("T")


async def eventually(probe: Callable[[], Awaitable[T]], done: Callable[[T], bool], seconds: float = 60.0) -> T:
    """Call `probe` until `done` holds for its answer; the last answer either way."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        answer = await probe()
        if done(answer) or asyncio.get_running_loop().time() > deadline:
            return answer
        await asyncio.sleep(0.3)


async def test_every_event_arrives_once_though_the_partner_was_down_and_the_worker_killed(
    platform: RunningPlatform, webhook_worker: WorkerFactory, partner_simulator: SimulatorFactory
) -> None:
    async with platform.client() as client:
        setup = await financing_setup(client, platform)
        bank_id, api_key, rep = setup.bank_id, setup.api_key, setup.representative
        bank = {"Authorization": f"Bearer {api_key}"}
        simulator = partner_simulator(api_key)
        await asyncio.to_thread(simulator.start)  # registers its endpoint and keeps the secret
        async with httpx.AsyncClient(base_url=simulator.url) as simulator_client:
            endpoint_id = (await simulator_client.get("/state")).json()["endpoint_id"]
        await asyncio.to_thread(simulator.stop)  # the partner is down
        first_worker = await asyncio.to_thread(webhook_worker)

        amounts = {}
        for number in range(1, REQUESTS + 1):
            amount = 300000 * number  # from the 17th on, above the bank's 5,000,000 limit
            ask = {
                "type_id": setup.type_id,
                "description": f"第 {number} 笔融资申请",
                "answers": {"amount": amount},
                "partner_id": bank_id,
                "share_consent": True,
            }
            submitted = await client.post("/v1/service-requests", json=ask, headers=platform.auth(rep))
            assert submitted.status_code == 201, submitted.text
            amounts[submitted.json()["id"]] = amount

        async def messages() -> list[dict[str, Any]]:
            while True:  # the simulator shares the bank's rate limit at the gateway
                answer = await client.get(f"/v1/webhook-endpoints/{endpoint_id}/messages?limit=100", headers=bank)
                if answer.status_code != 429:
                    break
                await asyncio.sleep(float(answer.headers.get("retry-after", "1")))
            assert answer.status_code == 200, answer.text
            listed: list[dict[str, Any]] = answer.json()
            return listed

        def all_failed_once(listed: list[dict[str, Any]]) -> bool:
            return len(listed) == REQUESTS and all(message["attempt_log"] for message in listed)

        while_down = await eventually(messages, all_failed_once)
        assert all_failed_once(while_down), while_down
        for message in while_down:
            assert message["event_type"] == "RequestRouted" and message["status"] == "pending"
            assert all(attempt["status_code"] is None and attempt["error"] for attempt in message["attempt_log"])

        await asyncio.to_thread(simulator.start)
        async with httpx.AsyncClient(base_url=simulator.url) as simulator_client:

            async def state() -> dict[str, Any]:
                answer: dict[str, Any] = (await simulator_client.get("/state")).json()
                return answer

            await eventually(state, lambda current: current["deliveries"] > 0, seconds=30)
            await asyncio.to_thread(first_worker.kill)  # mid-run: whatever it had leased is in limbo
            at_kill = await state()
            assert len(at_kill["decisions"]) < REQUESTS, "the kill came too late to prove anything"
            await asyncio.to_thread(webhook_worker)

            def settled(pair: tuple[dict[str, Any], list[dict[str, Any]]]) -> bool:
                current, listed = pair
                return (
                    len(current["decisions"]) >= REQUESTS
                    and current["pending"] == 0
                    and all(message["status"] == "delivered" for message in listed)
                    and {message["id"] for message in listed} <= set(current["processed"])
                )

            async def both() -> tuple[dict[str, Any], list[dict[str, Any]]]:
                current = await state()
                decided = len(current["decisions"]) >= REQUESTS and current["pending"] == 0
                return current, (await messages() if decided else [{"status": "not asked yet"}])

            final, listed = await eventually(both, settled, seconds=90)

        assert settled((final, listed)), (final, simulator.log_tail())
        # Every message the platform queued was delivered and processed, and nothing else was.
        assert sorted(final["processed"]) == sorted(message["id"] for message in listed)
        assert Counter(message["event_type"] for message in listed)["RequestRouted"] == REQUESTS
        assert final["deliveries"] >= len(final["processed"])
        assert final["duplicates"] == final["deliveries"] - len(final["processed"])
        # Exactly one decision per request, made from the RequestRouted message of that request.
        decided = Counter(decision["request_id"] for decision in final["decisions"])
        assert decided == Counter(amounts.keys())
        routed_ids = {message["id"] for message in listed if message["event_type"] == "RequestRouted"}
        assert {decision["webhook_id"] for decision in final["decisions"]} == routed_ids
        for request_id, amount in amounts.items():
            seen = await client.get(f"/v1/service-requests/{request_id}", headers=platform.auth(rep))
            outcome = seen.json()["outcome"]
            assert seen.json()["status"] == "resolved", seen.text
            if amount <= 5000000:
                assert (outcome["decision"], Decimal(outcome["amount_cny"])) == ("approved", Decimal(amount))
            else:
                assert outcome["decision"] == "refused" and outcome["refusal_reason"]
            timeline = await client.get(f"/v1/service-requests/{request_id}/timeline", headers=platform.auth(rep))
            actions = Counter(entry["action"] for entry in timeline.json()["items"] if entry["kind"] == "transition")
            assert (actions["accept"], actions["resolve"]) == (1, 1), timeline.text
