"""Issue 7 acceptance, through the gateway with real processes: a bank decides a financing request.

The same steps as the README's financing walkthrough: an admin creates the bank and its key, staff
publish a financing type routed to it, the bank simulator registers its webhook URL; an enterprise
asks with consent; the standalone worker delivers `RequestRouted`, the simulator verifies it,
accepts, starts and resolves with an outcome; the enterprise sees the decision and rates it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import httpx
from standardwebhooks import Webhook

from service_requests.webhooks.signing import new_secret
from tests.e2e.conftest import (
    ModuleProcess,
    RunningPlatform,
    SimulatorFactory,
    WorkerFactory,
    financing_setup,
)


async def wait_for_status(
    client: httpx.AsyncClient, headers: dict[str, str], request_id: str, status: str, seconds: float = 30.0
) -> dict[str, Any]:
    """Poll the request until it reaches `status`; its last body either way."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        response = await client.get(f"/v1/service-requests/{request_id}", headers=headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        if body["status"] == status or asyncio.get_running_loop().time() > deadline:
            return body
        await asyncio.sleep(0.2)


FORGED_BODY = b'{"type":"RequestRouted","timestamp":"2026-11-26T00:00:00Z","data":{"request_id":"x"}}'


def forged_headers() -> dict[str, str]:
    """Standard Webhooks headers signed with a secret that is not the endpoint's."""
    now = dt.datetime.now(dt.UTC)
    signature = Webhook(new_secret()).sign("msg_forged", now, FORGED_BODY.decode())
    return {"webhook-id": "msg_forged", "webhook-timestamp": str(int(now.timestamp())), "webhook-signature": signature}


async def test_a_bank_resolves_a_financing_request_with_an_outcome_the_enterprise_rates(
    platform: RunningPlatform, webhook_worker: WorkerFactory, partner_simulator: SimulatorFactory
) -> None:
    async with platform.client() as client:
        setup = await financing_setup(client, platform)
        bank_id, api_key, rep = setup.bank_id, setup.api_key, setup.representative
        bank = {"Authorization": f"Bearer {api_key}"}
        simulator: ModuleProcess = partner_simulator(api_key)
        await asyncio.to_thread(simulator.start)
        await asyncio.to_thread(webhook_worker)

        ask = {
            "type_id": setup.type_id,
            "description": "设备升级需要流动资金贷款",
            "answers": {"amount": 500000, "contact_phone": "13800000000"},
            "partner_id": bank_id,
            "share_consent": True,
        }
        submitted = await client.post("/v1/service-requests", json=ask, headers=platform.auth(rep))
        assert submitted.status_code == 201, submitted.text
        request_id = submitted.json()["id"]
        assert submitted.json()["routed_partner_id"] == bank_id

        resolved = await wait_for_status(client, platform.auth(rep), request_id, "resolved")
        assert resolved["status"] == "resolved", simulator.log_tail()
        outcome = resolved["outcome"]
        assert (outcome["kind"], outcome["decision"]) == ("financing", "approved")
        assert (outcome["amount_cny"], outcome["annual_rate_percent"], outcome["term_months"]) == (
            "500000.00",
            "3.45",
            12,
        )

        # The bank saw only what the type shares, and the platform logged the delivery it verified.
        seen_by_bank = await client.get(f"/v1/service-requests/{request_id}", headers=bank)
        assert seen_by_bank.json()["answers"] == {"amount": 500000}
        assert seen_by_bank.json()["description"] is None
        async with httpx.AsyncClient(base_url=simulator.url) as simulator_client:
            state = (await simulator_client.get("/state")).json()
            forged = await simulator_client.post("/webhooks", content=FORGED_BODY, headers=forged_headers())
        assert forged.status_code == 401
        assert [decision["request_id"] for decision in state["decisions"]] == [request_id]
        messages = await client.get(f"/v1/webhook-endpoints/{state['endpoint_id']}/messages", headers=bank)
        assert messages.status_code == 200, messages.text
        routed = [message for message in messages.json() if message["event_type"] == "RequestRouted"]
        assert len(routed) == 1 and routed[0]["status"] == "delivered"
        assert routed[0]["id"] in state["processed"]

        rated = await client.post(
            f"/v1/service-requests/{request_id}/rating",
            json={"score": 5, "comment": "放款很快"},
            headers=platform.auth(rep),
        )
        assert rated.status_code == 200, rated.text
        assert rated.json()["status"] == "closed"
        assert rated.json()["outcome"] == outcome
