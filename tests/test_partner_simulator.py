"""The partner simulator in process: signatures, once-only processing across a restart, the bank's policy."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from standardwebhooks import Webhook

from service_requests.webhooks.signing import new_secret
from tools.partner_simulator import State, create_app, decide, outcome_for, plan_campaign


def signed(secret: str, webhook_id: str, payload: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload).encode()
    now = dt.datetime.now(dt.UTC)
    headers = {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(webhook_id, now, body.decode()),
        "content-type": "application/json",
    }
    return body, headers


async def deliver(state: State, deliveries: list[tuple[bytes, dict[str, str]]]) -> tuple[list[int], dict[str, Any]]:
    """Run a simulator on `state` (no gateway behind it), deliver, and read its /state."""
    app = create_app(state, "http://gateway.invalid", "bjp_unused", register_url=None)
    # generous timeouts: a loaded CI machine once took over the default 5 s to run the shutdown
    async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://simulator.test") as client:
            codes = [
                (await client.post("/webhooks", content=body, headers=headers)).status_code
                for body, headers in deliveries
            ]
            for _ in range(100):
                summary: dict[str, Any] = (await client.get("/state")).json()
                if summary["pending"] == 0:
                    break
                await asyncio.sleep(0.02)
    return codes, summary


async def test_each_webhook_id_is_processed_once_even_across_a_restart(tmp_path: Path) -> None:
    secret, path = new_secret(), tmp_path / "bank.sqlite3"
    State(path).put(secret=secret, endpoint_id="e1")
    comment = {"type": "RequestCommented", "timestamp": "2026-11-26T08:00:00Z", "data": {"request_id": "r1"}}
    first = signed(secret, "msg_1", comment)
    forged = signed(new_secret(), "msg_2", comment)

    codes, before = await deliver(State(path), [first, first, forged])
    assert codes == [200, 200, 401]
    assert (before["processed"], before["deliveries"], before["duplicates"]) == (["msg_1"], 2, 1)

    codes, after = await deliver(State(path), [first])  # a redelivery after the restart
    assert codes == [200]
    assert (after["processed"], after["deliveries"], after["duplicates"]) == (["msg_1"], 3, 2)


def test_the_bank_approves_up_to_five_million_and_refuses_above_or_without_an_amount() -> None:
    approved = decide({"amount": 5000000})
    assert approved == {
        "kind": "financing",
        "decision": "approved",
        "amount_cny": "5000000.00",
        "annual_rate_percent": "3.45",
        "term_months": 12,
    }
    assert decide({"amount": 5000000.01})["decision"] == "refused"
    assert decide({"amount": 0})["decision"] == "refused"
    refused = decide({})
    assert refused["decision"] == "refused" and refused["refusal_reason"]


def test_the_mcn_agency_plans_a_campaign_two_weeks_out() -> None:
    request = {"type_name_zh": "直播带货对接", "answers": {"product": "龙井茶礼盒"}}
    assert outcome_for(
        "mcn",
        request,
    ) == plan_campaign(request)
    assert plan_campaign(request, today=dt.date(2026, 11, 27)) == {
        "kind": "mcn_campaign",
        "campaign_name": "直播带货对接 直播专场",
        "campaign_date": "2026-12-11",
        "channel": "抖音",
    }
    assert outcome_for("bank", {"answers": {"amount": 100}})["kind"] == "financing"
