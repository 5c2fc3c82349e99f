"""An MCN agency as resolver, through the gateway: it plans a livestream campaign for the enterprise.

The same partner machinery as the bank's (webhook, verified delivery, accept, start, resolve), with
the other outcome kind: `mcn_campaign`, its name, date and channel.
"""

from __future__ import annotations

import asyncio
import datetime as dt

import httpx

from tests.e2e.conftest import RunningPlatform, SimulatorFactory, WorkerFactory, financing_setup
from tests.e2e.test_partner_financing import wait_for_status


async def test_an_mcn_agency_resolves_with_a_campaign(
    platform: RunningPlatform, webhook_worker: WorkerFactory, partner_simulator: SimulatorFactory
) -> None:
    async with platform.client() as client:
        setup = await financing_setup(client, platform, kind="mcn")
        simulator = partner_simulator(setup.api_key, kind="mcn")
        await asyncio.to_thread(simulator.start)
        await asyncio.to_thread(webhook_worker)
        ask = {
            "type_id": setup.type_id,
            "description": "新品龙井茶礼盒希望做一场直播",
            "answers": {"product": "龙井茶礼盒", "contact_phone": "13800000000"},
            "partner_id": setup.bank_id,
            "share_consent": True,
        }
        submitted = await client.post("/v1/service-requests", json=ask, headers=platform.auth(setup.representative))
        assert submitted.status_code == 201, submitted.text
        request_id = submitted.json()["id"]

        resolved = await wait_for_status(client, platform.auth(setup.representative), request_id, "resolved")
        assert resolved["status"] == "resolved", simulator.log_tail()
        outcome = resolved["outcome"]
        assert outcome["kind"] == "mcn_campaign" and outcome["channel"] == "抖音"
        assert outcome["campaign_name"] == "直播带货对接 直播专场"
        shanghai_today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
        assert dt.date.fromisoformat(outcome["campaign_date"]) == shanghai_today + dt.timedelta(days=14)

        seen = await client.get(
            f"/v1/service-requests/{request_id}", headers={"Authorization": f"Bearer {setup.api_key}"}
        )
        assert seen.json()["answers"] == {"product": "龙井茶礼盒"} and seen.json()["description"] is None
        async with httpx.AsyncClient(base_url=simulator.url) as simulator_client:
            state = (await simulator_client.get("/state")).json()
        assert [decision["outcome"]["kind"] for decision in state["decisions"]] == ["mcn_campaign"]
