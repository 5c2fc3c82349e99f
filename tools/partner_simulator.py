"""A partner, runnable: `python -m tools.partner_simulator --gateway URL --api-key KEY --port P --state FILE`.

A bank by default (financing decisions); `--kind mcn` makes it an MCN agency that answers with a
livestream campaign. It is how a real partner integrates, in one file:

1. `--register` registers `http://127.0.0.1:<port>/webhooks` (or `--url`) through the gateway with the
   partner's API key and keeps the `whsec_` secret, shown only once, in the state file.
2. `POST /webhooks` verifies the Standard Webhooks signature (401 otherwise), stores the message in
   an inbox keyed by `webhook-id` and answers 200 at once; a redelivery is answered 200 and counted.
3. A background loop processes each inbox message exactly once. On `RequestRouted`, and on a
   `RequestTransitioned` made by someone else (staff routing it to us again, say), the bank reads
   the request (only its shareable answers) and does what its `allowed_actions` let it: accept,
   start, and resolve with its outcome (a financing decision, or an MCN campaign). Every call carries `If-Match` and an
   `Idempotency-Key` made of webhook-id and action, and the next step is chosen from the request's
   current state, so a crash and retry never acts twice. The message is marked processed in the
   same SQLite transaction as the decision.
4. `GET /state` shows what happened (processed ids, duplicates, decisions); `GET /healthz` is 200.

The state file is SQLite: stop the simulator, start it again with the same file, and it remembers
its secret, every message and every decision.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import sqlite3
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

# The bank's policy: approve what was asked up to this amount, at this rate and term; refuse above.
MAX_APPROVED_CNY = Decimal("5000000")
ANNUAL_RATE_PERCENT = "3.45"
TERM_MONTHS = 12
# The MCN agency's policy: a livestream on Douyin two weeks after it resolves the request.
CAMPAIGN_LEAD = dt.timedelta(days=14)
SHANGHAI = dt.timezone(dt.timedelta(hours=8))
RETRY_SECONDS = 1.0  # after a failed call to the platform the message stays in the inbox

SCHEMA = """
CREATE TABLE IF NOT EXISTS setting (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS inbox (
    webhook_id TEXT PRIMARY KEY,
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    received_at TEXT NOT NULL,
    processed_at TEXT
);
-- Every verified delivery, redeliveries included (they are counted, never processed again).
CREATE TABLE IF NOT EXISTS delivery (webhook_id TEXT NOT NULL, received_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS decision (
    request_id TEXT NOT NULL,
    webhook_id TEXT NOT NULL,
    outcome TEXT NOT NULL,
    decided_at TEXT NOT NULL
);
"""


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


class State:
    """The simulator's durable memory: one SQLite file, one short transaction per call."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with self.connect() as db:
            db.executescript(SCHEMA)

    @contextlib.contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=10)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            with db:  # commits, or rolls back on an exception
                yield db
        finally:
            db.close()

    def get(self, name: str) -> str | None:
        with self.connect() as db:
            row = db.execute("SELECT value FROM setting WHERE name = ?", (name,)).fetchone()
        return None if row is None else str(row[0])

    def put(self, **values: str) -> None:
        with self.connect() as db:
            db.executemany("INSERT OR REPLACE INTO setting (name, value) VALUES (?, ?)", values.items())

    def receive(self, webhook_id: str, event_type: str, payload: dict[str, Any]) -> bool:
        """Log the delivery and keep the message; False when this webhook-id was already received."""
        with self.connect() as db:
            db.execute("INSERT INTO delivery (webhook_id, received_at) VALUES (?, ?)", (webhook_id, now()))
            inserted = db.execute(
                "INSERT OR IGNORE INTO inbox (webhook_id, event_type, payload, received_at) VALUES (?, ?, ?, ?)",
                (webhook_id, event_type, json.dumps(payload), now()),
            )
            return inserted.rowcount == 1

    def unprocessed(self) -> list[tuple[str, str, dict[str, Any]]]:
        with self.connect() as db:
            rows = db.execute(
                "SELECT webhook_id, event_type, payload FROM inbox WHERE processed_at IS NULL ORDER BY received_at"
            ).fetchall()
        return [(webhook_id, event_type, json.loads(payload)) for webhook_id, event_type, payload in rows]

    def processed(self, webhook_id: str, request_id: str | None = None, outcome: dict[str, Any] | None = None) -> None:
        """Mark a message processed and, in the same transaction, note the request's decision once."""
        with self.connect() as db:
            db.execute("UPDATE inbox SET processed_at = ? WHERE webhook_id = ?", (now(), webhook_id))
            if request_id is not None and outcome is not None:
                db.execute(
                    "INSERT INTO decision (request_id, webhook_id, outcome, decided_at) SELECT ?, ?, ?, ?"
                    " WHERE NOT EXISTS (SELECT 1 FROM decision WHERE request_id = ?)",
                    (request_id, webhook_id, json.dumps(outcome), now(), request_id),
                )

    def summary(self) -> dict[str, Any]:
        with self.connect() as db:
            processed = [row[0] for row in db.execute("SELECT webhook_id FROM inbox WHERE processed_at IS NOT NULL")]
            pending = db.execute("SELECT count(*) FROM inbox WHERE processed_at IS NULL").fetchone()[0]
            deliveries = db.execute("SELECT count(*) FROM delivery").fetchone()[0]
            received = db.execute("SELECT count(*) FROM inbox").fetchone()[0]
            decisions = [
                {"request_id": request_id, "webhook_id": webhook_id, "outcome": json.loads(outcome)}
                for request_id, webhook_id, outcome in db.execute(
                    "SELECT request_id, webhook_id, outcome FROM decision ORDER BY decided_at"
                )
            ]
        return {
            "endpoint_id": self.get("endpoint_id"),
            "processed": processed,
            "pending": pending,
            "deliveries": deliveries,
            "duplicates": deliveries - received,
            "decisions": decisions,
        }


def decide(answers: dict[str, Any]) -> dict[str, Any]:
    """The bank's financing decision from the shareable answers (`amount` in CNY)."""
    try:
        amount = Decimal(str(answers["amount"]))
    except (KeyError, InvalidOperation):
        return {"kind": "financing", "decision": "refused", "refusal_reason": "未提供申请金额 No amount was shared"}
    if not Decimal(0) < amount <= MAX_APPROVED_CNY:
        return {
            "kind": "financing",
            "decision": "refused",
            "refusal_reason": "超出单笔审批上限 Above the 5,000,000 CNY limit for one loan",
        }
    return {
        "kind": "financing",
        "decision": "approved",
        "amount_cny": f"{amount:.2f}",
        "annual_rate_percent": ANNUAL_RATE_PERCENT,
        "term_months": TERM_MONTHS,
    }


def plan_campaign(request: dict[str, Any], today: dt.date | None = None) -> dict[str, Any]:
    """The MCN agency's outcome: a campaign named after the service, two weeks out (Shanghai date)."""
    day = (today or dt.datetime.now(SHANGHAI).date()) + CAMPAIGN_LEAD
    return {
        "kind": "mcn_campaign",
        "campaign_name": f"{request['type_name_zh']} 直播专场",
        "campaign_date": day.isoformat(),
        "channel": "抖音",
    }


def outcome_for(kind: str, request: dict[str, Any]) -> dict[str, Any]:
    """What this partner resolves the request with: a bank decides, an MCN agency plans a campaign."""
    return decide(request["answers"]) if kind == "bank" else plan_campaign(request)


def retry_after(response: httpx.Response) -> float:
    """The gateway's `Retry-After` in seconds (at most 5; 1 when absent or unreadable)."""
    try:
        return min(float(response.headers.get("retry-after", "1")), 5.0)
    except ValueError:
        return 1.0


class TryLater(Exception):
    """Not processed now (network, 5xx, 429, a refused call): the message stays in the inbox."""


@dataclass
class Bank:
    """The partner's side of the API: read a routed request and take it to an outcome."""

    http: httpx.AsyncClient  # base_url = the gateway, Authorization = the partner's API key
    kind: str = "bank"  # or "mcn"

    async def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One API call; waits out the gateway's rate limit (`Retry-After`) a few times."""
        for _ in range(5):
            try:
                response = await self.http.request(method, path, **kwargs)
            except httpx.HTTPError as exc:
                raise TryLater(type(exc).__name__) from exc
            if response.status_code != 429:
                break
            await asyncio.sleep(retry_after(response))
        if response.status_code >= 500 or response.status_code == 429:
            raise TryLater(f"{method} {path}: {response.status_code}")
        return response

    async def advance(self, webhook_id: str, request_id: str) -> dict[str, Any] | None:
        """Take the request as far as its `allowed_actions` let the bank (accept, start, resolve).

        Returns the request's outcome once it is resolved, None while it is not (or no longer ours).
        """
        path = f"/v1/service-requests/{request_id}"
        read = await self.call("GET", path)
        if read.status_code in (403, 404):  # declined, rerouted: no longer ours
            return None
        if read.is_error:
            raise TryLater(f"reading {request_id}: {read.status_code}")
        request = read.json()
        for _ in range(6):  # at most accept, start, resolve, each retried once after a 412
            allowed = request["allowed_actions"]
            if "resolve" in allowed:
                outcome = outcome_for(self.kind, request)
                approved = outcome.get("decision", "approved") == "approved"
                reason = "已审批 Approved" if approved else "未通过 Refused"
                body: dict[str, Any] = {"action": "resolve", "reason": reason, "outcome": outcome}
            elif "start" in allowed:
                body = {"action": "start"}
            elif "accept" in allowed:
                body = {"action": "accept"}
            else:  # waiting for the community, resolved (perhaps by us before a crash), closed
                decided: dict[str, Any] | None = request["outcome"] if request["status"] == "resolved" else None
                return decided
            moved = await self.call(
                "POST",
                f"{path}/transitions",
                json=body,
                headers={"If-Match": f'"v{request["version"]}"', "Idempotency-Key": f"{webhook_id}:{body['action']}"},
            )
            if moved.status_code == 412:  # someone else moved it: read again and continue from there
                moved = await self.call("GET", path)
            if moved.status_code in (403, 404):
                return None
            if moved.is_error:
                raise TryLater(f"{body['action']} refused: {moved.status_code} {moved.text[:300]}")
            request = moved.json()
        raise TryLater(f"request {request_id} did not settle")


class Simulator:
    """Receives webhooks into the inbox and processes the inbox in the background."""

    def __init__(self, state: State, bank: Bank) -> None:
        self.state = state
        self.bank = bank
        self.wake = asyncio.Event()

    async def receive(self, request: Request) -> Response:
        secret = await asyncio.to_thread(self.state.get, "secret")
        body = await request.body()
        try:
            payload = Webhook(secret or "").verify(body, dict(request.headers))
        except (WebhookVerificationError, ValueError):
            return JSONResponse({"detail": "bad signature"}, status_code=401)
        webhook_id = request.headers["webhook-id"]
        first = await asyncio.to_thread(self.state.receive, webhook_id, str(payload["type"]), payload)
        self.wake.set()
        return JSONResponse({"received": webhook_id, "duplicate": not first})

    async def show_state(self, request: Request) -> Response:
        return JSONResponse(await asyncio.to_thread(self.state.summary))

    async def healthz(self, request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def process_one(self, webhook_id: str, event_type: str, payload: dict[str, Any]) -> None:
        data = payload["data"]
        # A new request, or someone else moved one of ours (our own moves and comments need nothing).
        ours_to_move = event_type == "RequestRouted" or (
            event_type == "RequestTransitioned" and data["actor_role"] != "partner"
        )
        if not ours_to_move:
            await asyncio.to_thread(self.state.processed, webhook_id)
            return
        request_id = str(data["request_id"])
        outcome = await self.bank.advance(webhook_id, request_id)
        await asyncio.to_thread(self.state.processed, webhook_id, request_id, outcome)

    async def process_forever(self) -> None:
        while True:
            self.wake.clear()
            failed = False
            for webhook_id, event_type, payload in await asyncio.to_thread(self.state.unprocessed):
                try:
                    await self.process_one(webhook_id, event_type, payload)
                except TryLater as exc:
                    print(f"partner simulator: {webhook_id} not processed yet: {exc}", file=sys.stderr, flush=True)
                    failed = True
                except Exception as exc:  # a message the bank cannot read: say so, keep serving the others
                    print(f"partner simulator: {webhook_id} failed: {exc!r}", file=sys.stderr, flush=True)
                    failed = True
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancellation that
            # arrives as the wake-up does, and shutting down would wait forever
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(RETRY_SECONDS if failed else 5.0):
                    await self.wake.wait()


async def register(state: State, http: httpx.AsyncClient, url: str) -> None:
    """Register the webhook URL once; the secret is shown only in this answer, so keep it now."""
    if await asyncio.to_thread(state.get, "secret"):
        return
    answer = await http.post("/v1/webhook-endpoints", json={"url": url, "description": "partner simulator"})
    if answer.status_code != 201:
        raise SystemExit(f"registering {url} failed: {answer.status_code} {answer.text}")
    created = answer.json()
    await asyncio.to_thread(state.put, secret=created["secret"], endpoint_id=created["id"])


def create_app(state: State, gateway: str, api_key: str, register_url: str | None, kind: str = "bank") -> Starlette:
    """The simulator's ASGI app; registers on start-up when `register_url` is given."""
    http = httpx.AsyncClient(base_url=gateway, headers={"Authorization": f"Bearer {api_key}"}, timeout=10.0)
    simulator = Simulator(state, Bank(http, kind))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if register_url is not None:
            await register(state, http, register_url)
        if not await asyncio.to_thread(state.get, "secret"):
            raise SystemExit("no webhook secret in the state file: run once with --register")
        processing = asyncio.create_task(simulator.process_forever())
        try:
            yield
        finally:
            processing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await processing
            await http.aclose()

    return Starlette(
        routes=[
            Route("/webhooks", simulator.receive, methods=["POST"]),
            Route("/state", simulator.show_state, methods=["GET"]),
            Route("/healthz", simulator.healthz, methods=["GET"]),
        ],
        lifespan=lifespan,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="A partner (bank or MCN agency) answering its requests through the API."
    )
    parser.add_argument("--gateway", required=True, help="the platform's gateway, e.g. http://127.0.0.1:8000")
    parser.add_argument("--api-key", required=True, help="the partner's API key (bjp_...)")
    parser.add_argument("--port", type=int, required=True, help="where to listen for webhooks (127.0.0.1)")
    parser.add_argument("--state", type=Path, required=True, help="SQLite file: secret, inbox, decisions")
    parser.add_argument("--register", action="store_true", help="register the webhook URL unless already done")
    parser.add_argument("--url", help="the URL to register (default http://127.0.0.1:<port>/webhooks)")
    parser.add_argument("--kind", choices=("bank", "mcn"), default="bank", help="financing decisions or campaigns")
    args = parser.parse_args(argv)
    args.state.parent.mkdir(parents=True, exist_ok=True)
    register_url = (args.url or f"http://127.0.0.1:{args.port}/webhooks") if args.register else None
    app = create_app(State(args.state), args.gateway.rstrip("/"), args.api_key, register_url, args.kind)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
