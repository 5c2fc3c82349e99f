"""The real platform for end-to-end tests: five services, the gateway and the fake third parties
(WeChat, SMS, OIDC) as uvicorn processes.

`platform` starts them once per test session on free loopback ports against the test
database, and stops them at the end. Other areas' e2e tests may use it:

    async def test_something(platform: RunningPlatform) -> None:
        async with platform.client() as client:
            response = await client.get("/v1/communities/about", headers=platform.auth(admin()))

`platform.stop_service("grid")` / `platform.start_service("grid")` stop and restart one service
on the same port (restart it in a `finally`, the platform is shared by the whole session).

`webhook_worker()` starts the standalone webhook dispatcher (`service_requests.webhooks.worker`)
with a fast retry schedule; `partner_simulator(api_key)` starts `tools.partner_simulator`. Both
are stopped when the test ends.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.devkeys import ensure_dev_keys
from gateway.tokens import mint_user_token
from shared.auth import Identity, Role
from tests.support.harness import (
    FACTORIES,
    FAKE_NAMES,
    ROOT,
    SERVICE_NAMES,
    PlatformProcess,
    platform_env,
    registry_urls,
)
from tests.support.identities import admin, identity, staff
from tools.topology import notifications_urls

E2E_RATE_LIMIT = "200/minute"
# Delivery for tests: retries within seconds, and a killed worker's leases expire after 3 s.
FAST_WEBHOOKS = {
    "REQUESTS_WEBHOOK_RETRY_SCHEDULE": "1,1,1,1,1,2,2,2,2,2,3,3,3,3,3,3,3,3,3,3,5,5,5,5,5,5",
    "REQUESTS_WEBHOOK_LEASE_SECONDS": "3",
    "REQUESTS_WEBHOOK_POLL_SECONDS": "0.1",
    "REQUESTS_WEBHOOK_TIMEOUT_SECONDS": "5",
}


@dataclass
class ModuleProcess(PlatformProcess):
    """`python -m <module> <args>` (the module in `factory`); ready at `/healthz`, or at a log line."""

    args: list[str] = field(default_factory=list)
    ready_log: str | None = None

    def command(self) -> list[str]:
        return [sys.executable, "-m", self.factory, *self.args]

    def start(self, timeout: float = 30.0) -> None:
        if self.ready_log is None:
            super().start(timeout)
            return
        if self.process is not None and self.process.poll() is None:
            return
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.command(), env=self.env, cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while self.ready_log not in self.log_path.read_bytes()[offset:].decode(errors="replace"):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{self.name} did not start:\n{self.log_tail()}")
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: no clean-up, no goodbye; what it held must be recovered by others."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None


@dataclass
class RunningPlatform:
    gateway: PlatformProcess
    services: dict[str, PlatformProcess]
    private_key: Path
    internal_secret: str
    service_env: dict[str, str] = field(default_factory=dict)  # what the service processes run with
    fakes: dict[str, PlatformProcess] = field(default_factory=dict)  # fake WeChat, SMS and OIDC

    def fake_url(self, name: str) -> str:
        return self.fakes[name].url

    @property
    def gateway_url(self) -> str:
        return self.gateway.url

    def service_url(self, name: str) -> str:
        return self.services[name].url

    def token(self, identity: Identity, ttl_seconds: int = 600) -> str:
        """A user JWT for `identity`, signed with this platform's dev key."""
        return mint_user_token(identity, self.private_key, ttl_seconds=ttl_seconds)

    def auth(self, identity: Identity) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(identity)}"}

    def client(self, timeout: float = 15.0) -> httpx.AsyncClient:
        """An HTTP client for the gateway over loopback."""
        return httpx.AsyncClient(base_url=self.gateway_url, timeout=timeout)

    def stop_service(self, name: str) -> None:
        self.services[name].stop()

    def start_service(self, name: str) -> None:
        self.services[name].start()


@pytest.fixture(scope="session")
def platform(database_url: str) -> Iterator[RunningPlatform]:
    """The fakes, five services and the gateway, started once per session, stopped at the end."""
    keys = ensure_dev_keys(Path(tempfile.mkdtemp(prefix="platform-keys-")))
    secret = secrets.token_urlsafe(48)
    base = platform_env(database_url, secret=secret, public_key=keys.public_key)
    fakes = {name: PlatformProcess(name, FACTORIES[name], dict(base)) for name in FAKE_NAMES}
    services = {name: PlatformProcess(name, FACTORIES[name], base) for name in SERVICE_NAMES}
    base.update(registry_urls(services["registry"].url))  # ports are known once the processes exist
    base.update(notifications_urls({name: process.url for name, process in services.items()}))
    base["NOTIFICATIONS_RETRY_BASE_SECONDS"] = "0.5"  # a provider back up is retried within seconds
    base["NOTIFICATIONS_RETRY_MAX_SECONDS"] = "2"
    base["IDENTITY_GRID_URL"] = services["grid"].url  # a grid role's grant asks which community the grid is in
    # identity talks to the fakes; sign-ins all come through the gateway's one address
    base["IDENTITY_SMS_BASE_URL"] = fakes["fake-sms"].url
    base["IDENTITY_OIDC_ISSUER"] = fakes["fake-oidc"].url
    base["IDENTITY_WECHAT_BASE_URL"] = fakes["fake-wechat"].url
    base["IDENTITY_ABUSE_LIMITS"] = (
        '{"sms_send": "600/minute", "sms_verify": "600/minute", "wechat_login": "600/minute"}'
    )

    # These processes share the test database with in-process webhook tests for the whole session;
    # their own dispatcher would take those tests' messages.
    base["REQUESTS_WEBHOOK_DISPATCHER_ENABLED"] = "false"
    # Likewise the grid's registry-feed consumer would move the feed cursor that the grid tests'
    # own consumers read and assert on (it made one of them fail now and then), and the periodic
    # jobs would escalate, close or supervise rows those tests backdate and then sweep by hand.
    base["GRID_REGISTRY_FEED_ENABLED"] = "false"
    base["GRID_SUPERVISION_SWEEP_ENABLED"] = "false"
    base["REQUESTS_JOB_INTERVAL_SECONDS"] = "0"
    base["REQUESTS_WEBHOOKS_ALLOW_PRIVATE"] = "true"  # partner simulators listen on loopback
    gateway_env = platform_env(
        database_url,
        secret=secret,
        public_key=keys.public_key,
        upstreams={name: process.url for name, process in services.items()},
        extra={
            "GATEWAY_RATE_LIMIT": E2E_RATE_LIMIT,
            "GATEWAY_UPSTREAM_TIMEOUT_SECONDS": "5",
            "GATEWAY_BREAKER_OPEN_SECONDS": "1",
            "GATEWAY_BREAKER_FAILURE_THRESHOLD": "3",
            "GATEWAY_JWKS_URL": f"{services['identity'].url}/internal/jwks.json",
            "GATEWAY_DENY_LIST_URL": f"{services['identity'].url}/internal/denied-subjects",
            # each test's clean-up empties the key table, so identity makes a new key per test
            "GATEWAY_JWKS_MIN_REFRESH_SECONDS": "0.5",
        },
    )
    gateway = PlatformProcess("gateway", FACTORIES["gateway"], gateway_env)
    # the grid's and the requests' files: the local store in a fresh folder, its signed links through the gateway
    base["GRID_STORAGE_LOCAL_ROOT"] = tempfile.mkdtemp(prefix="platform-files-")
    base["GRID_STORAGE_PUBLIC_URL"] = gateway.url
    base["REQUESTS_STORAGE_LOCAL_ROOT"] = tempfile.mkdtemp(prefix="platform-request-files-")
    base["REQUESTS_STORAGE_PUBLIC_URL"] = gateway.url
    started: list[PlatformProcess] = []
    try:
        for process in (*fakes.values(), *services.values(), gateway):
            process.start()
            started.append(process)
        yield RunningPlatform(gateway, services, keys.private_key, secret, dict(base), fakes)
    finally:
        for process in reversed(started):
            process.stop()


WorkerFactory = Callable[[], ModuleProcess]


@pytest.fixture
def webhook_worker(platform: RunningPlatform) -> Iterator[WorkerFactory]:
    """Start standalone webhook dispatchers (fast schedule) for one test; all stopped at its end."""
    workers: list[ModuleProcess] = []
    env = platform.service_env | FAST_WEBHOOKS | {"REQUESTS_LOG_LEVEL": "INFO"}

    def start() -> ModuleProcess:
        worker = ModuleProcess(
            f"webhook-worker-{len(workers)}",
            "service_requests.webhooks.worker",
            env,
            ready_log="webhook_worker_started",
        )
        workers.append(worker)
        worker.start()
        return worker

    try:
        yield start
    finally:
        for worker in workers:
            worker.stop()


SimulatorFactory = Callable[..., ModuleProcess]


@pytest.fixture
def partner_simulator(platform: RunningPlatform, tmp_path: Path) -> Iterator[SimulatorFactory]:
    """`partner_simulator(api_key, kind="bank")`: a partner simulator for that key, registered, not yet started."""
    simulators: list[ModuleProcess] = []

    def create(api_key: str, kind: str = "bank") -> ModuleProcess:
        simulator = ModuleProcess(f"partner-simulator-{len(simulators)}", "tools.partner_simulator", dict(os.environ))
        state = tmp_path / f"{simulator.name}.sqlite3"
        simulator.args = ["--gateway", platform.gateway_url, "--api-key", api_key]
        simulator.args += ["--port", str(simulator.port), "--state", str(state), "--register", "--kind", kind]
        simulators.append(simulator)
        return simulator

    try:
        yield create
    finally:
        for simulator in simulators:
            simulator.stop()


async def create_bank(client: httpx.AsyncClient, platform: RunningPlatform, kind: str = "bank") -> tuple[str, str]:
    """A bank (or MCN agency) and its API key, created by an admin at the gateway: (partner id, key)."""
    name = "滨江测试银行" if kind == "bank" else "星光直播机构"
    body = {"kind": kind, "name": f"{name}{secrets.token_hex(3)}", "contact": "ops@partner.example"}
    partner = await client.post("/v1/partners", json=body, headers=platform.auth(admin()))
    assert partner.status_code == 201, partner.text
    issued = await client.post(f"/v1/partners/{partner.json()['id']}/api-keys", headers=platform.auth(admin()))
    assert issued.status_code == 201, issued.text
    return partner.json()["id"], issued.json()["api_key"]


@dataclass(frozen=True)
class FinancingSetup:
    """A bank with its key, a financing type routed to it, and a representative who may request it."""

    bank_id: str
    api_key: str
    type_id: str
    representative: Identity


async def financing_setup(client: httpx.AsyncClient, platform: RunningPlatform, kind: str = "bank") -> FinancingSetup:
    """Through the gateway: an admin creates the partner and its key; staff publish a type it handles
    (financing for a bank, a livestream campaign for an MCN agency)."""
    community_id = uuid.uuid4()
    bank_id, api_key = await create_bank(client, platform, kind)
    body = financing_type_body(community_id, bank_id) if kind == "bank" else campaign_type_body(community_id, bank_id)
    service_type = await client.post("/v1/service-types", json=body, headers=platform.auth(staff(community_id)))
    assert service_type.status_code == 201, service_type.text
    representative = identity(Role.enterprise_rep, enterprise_id=uuid.uuid4(), community_ids=[community_id])
    return FinancingSetup(bank_id, api_key, service_type.json()["id"], representative)


def campaign_type_body(community_id: uuid.UUID, agency_id: str) -> dict[str, Any]:
    """A livestream-sales service type routed to one MCN agency, which sees the product only."""
    body = financing_type_body(community_id, agency_id)
    return body | {
        "code": f"livestream-{secrets.token_hex(4)}",
        "name_zh": "直播带货对接",
        "name_en": "Livestream sales",
        "form": [
            {
                "code": "product",
                "label_zh": "产品",
                "label_en": "Product",
                "datatype": "string",
                "required": True,
                "order": 1,
                "shareable": True,
            },
            {"code": "contact_phone", "label_zh": "联系电话", "label_en": "Phone", "datatype": "string", "order": 2},
        ],
        "handler": {"kind": "mcn", "partner_ids": [agency_id]},
    }


def financing_type_body(community_id: uuid.UUID, bank_id: str) -> dict[str, Any]:
    """A financing service type routed to one bank, which sees the amount (in CNY) and nothing else."""
    return {
        "community_id": str(community_id),
        "code": f"financing-{secrets.token_hex(4)}",
        "name_zh": "银行融资对接",
        "name_en": "Bank financing",
        "category": "enterprise",
        "scenario": "enterprise_service",
        "requester_roles": ["enterprise_rep"],
        "form": [
            {
                "code": "amount",
                "label_zh": "申请金额(元)",
                "label_en": "Amount (CNY)",
                "datatype": "number",
                "required": True,
                "order": 1,
                "shareable": True,
            },
            {"code": "contact_phone", "label_zh": "联系电话", "label_en": "Phone", "datatype": "string", "order": 2},
        ],
        "handler": {"kind": "bank", "partner_ids": [bank_id]},
        "deadlines": {
            "acknowledge": {"amount": 4, "unit": "working_hours"},
            "resolve": {"amount": 5, "unit": "working_days"},
        },
    }
