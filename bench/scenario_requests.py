"""Creating service requests through the gateway versus a FastAPI endpoint doing one raw asyncpg insert.

All processes run in this one run on loopback against a scratch database: the baseline app (one
`INSERT` per POST), the service-requests service and the gateway in front of it (real ES256 user
tokens). Each is driven with the same POST load at 64 connections; ratios are against the baseline.
Target: gateway path >= 0.5x the baseline's throughput, p99 < 150 ms.

    python -m bench requests [--seconds=15] [--connections=64] [--texts=similar|distinct]
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import secrets
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
from fastapi import FastAPI, Request, Response

from bench.harness import (
    FACTORIES,
    LoadResult,
    PlatformProcess,
    cpu_seconds,
    merge_results,
    option,
    platform_env,
    post_load,
    postgres_cpu_seconds,
    report_line,
    run_sql,
)
from gateway.devkeys import ensure_dev_keys
from gateway.tokens import mint_user_token
from shared.app import NO_OPENTELEMETRY
from shared.auth import Identity, Role, mint_internal_token
from tools.devdb import server_url
from tools.migrate import upgrade_all

BASELINE_TABLE = "bench_baseline_request"
ENTERPRISES = 400
TARGET_RATIO = 0.5
TARGET_P99 = 0.150
ROUNDS = 2
# the 500 most common Chinese characters, for texts that share few trigrams
_COMMON = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种"
    "面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本"
    "去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比"
    "或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总"
    "次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做"
    "必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权"
    "收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信"
    "马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连"
    "断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存"
    "候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严龙飞"
)


def create_baseline_app() -> FastAPI:
    """The baseline: parse the JSON body and insert one row with a raw asyncpg pool."""
    dsn = os.environ["BENCH_ASYNCPG_DSN"]

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.pool = await asyncpg.create_pool(dsn, min_size=10, max_size=20)
        yield
        await app.state.pool.close()

    app = FastAPI(lifespan=lifespan, telemetry=NO_OPENTELEMETRY)  # configured as the services are

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/v1/service-requests", status_code=201)
    async def create(request: Request) -> Response:
        body = await request.json()
        request_id = uuid.uuid4()
        async with app.state.pool.acquire() as connection:
            await connection.execute(
                f"INSERT INTO {BASELINE_TABLE} (id, type_id, description, answers) VALUES ($1, $2, $3, $4)",
                request_id,
                uuid.UUID(body["type_id"]),
                body["description"],
                json.dumps(body.get("answers", {})),
            )
        return Response(json.dumps({"id": str(request_id)}), 201, media_type="application/json")

    return app


async def _prepare_database(dsn: str, community_id: uuid.UUID) -> uuid.UUID:
    """The baseline's table and one service type, straight into the scratch database."""
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(
            f"CREATE TABLE {BASELINE_TABLE} (id uuid PRIMARY KEY, type_id uuid NOT NULL, "
            "description text NOT NULL, answers jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now())"
        )
        type_id = uuid.uuid4()
        form = [
            {
                "code": "amount",
                "label_zh": "金额",
                "label_en": "Amount",
                "datatype": "number",
                "required": True,
                "order": 1,
            }
        ]
        await connection.execute(
            "INSERT INTO requests.service_type (id, community_id, code, name_zh, name_en, category, scenario, "
            "requester_roles, form, handler_kind, acknowledge_amount, acknowledge_unit, resolve_amount, resolve_unit) "
            "VALUES ($1, $2, 'bench', '融资咨询', 'Financing', 'enterprise', 'enterprise_service', "
            "'[\"employee\", \"enterprise_rep\"]', $3, 'community_staff', 4, 'working_hours', 5, 'working_days')",
            type_id,
            community_id,
            json.dumps(form),
        )
        return type_id
    finally:
        await connection.close()


def _cpu_now(processes: dict[str, int]) -> dict[str, float]:
    return {who: cpu_seconds(pid) for who, pid in processes.items()} | {"PostgreSQL": postgres_cpu_seconds()}


def _descriptions(kind: str) -> list[str]:
    """97 request texts: `similar` (one sentence, a building number apart: every earlier request of
    an enterprise is a possible duplicate, so the hint stops after 5 comparisons) or `distinct`
    (random strings of common characters: none is similar, so each submission compares all 20
    candidates and finds nothing, the hint's worst case)."""
    if kind == "similar":
        return [f"第 {index} 号楼企业申请贷款贴息政策咨询" for index in range(97)]
    if kind == "distinct":
        chosen = random.Random(97)
        return ["".join(chosen.choice(_COMMON) for _ in range(16)) for _ in range(97)]
    raise SystemExit(f"--texts must be similar or distinct, not {kind!r}")


def main(argv: list[str]) -> None:
    seconds = option(argv, "seconds", 15.0)
    texts = option(argv, "texts", "similar")
    connections = int(option(argv, "connections", 64))
    database = f"bench_requests_{uuid.uuid4().hex[:10]}"
    admin_dsn = server_url("postgres").replace("postgresql+asyncpg://", "postgresql://")
    asyncio.run(run_sql(admin_dsn, f'CREATE DATABASE "{database}"'))
    url = server_url(database)
    processes: list[PlatformProcess] = []
    try:
        upgrade_all(url)
        community_id = uuid.uuid4()
        type_id = asyncio.run(_prepare_database(url, community_id))
        keys = ensure_dev_keys(Path(tempfile.mkdtemp(prefix="bench-keys-")))
        secret = secrets.token_urlsafe(48)
        base_env = platform_env(url, secret=secret, public_key=keys.public_key, extra={"BENCH_ASYNCPG_DSN": url})
        baseline = PlatformProcess("baseline", "bench.scenario_requests:create_baseline_app", base_env)
        service_env = {**base_env, "REQUESTS_JOB_INTERVAL_SECONDS": "0"}
        service = PlatformProcess("service-requests", FACTORIES["service-requests"], service_env)
        processes += [baseline, service]
        baseline.start()
        service.start()
        gateway_env = platform_env(
            url,
            secret=secret,
            public_key=keys.public_key,
            upstreams={"service-requests": service.url},
            extra={"GATEWAY_RATE_LIMIT": "1000000/second", "GATEWAY_PARTNER_RATE_LIMIT": "1000000/second"},
        )
        gateway = PlatformProcess("gateway", FACTORIES["gateway"], gateway_env)
        processes.append(gateway)
        gateway.start()

        people = [
            Identity(
                subject=f"bench-employee-{index}",
                roles=frozenset({Role.employee}),
                enterprise_id=uuid.uuid4(),
                community_ids=frozenset({community_id}),
            )
            for index in range(ENTERPRISES)
        ]
        bodies = [
            json.dumps({"type_id": str(type_id), "description": text, "answers": {"amount": index}}).encode()
            for index, text in enumerate(_descriptions(texts))
        ]
        user_headers = [{"Authorization": f"Bearer {mint_user_token(who, keys.private_key)}"} for who in people]
        internal_headers = [
            {"X-Platform-Identity": mint_internal_token(who, secret, ttl_seconds=3600)} for who in people
        ]

        targets: dict[str, tuple[str, list[dict[str, str]]]] = {
            "baseline (FastAPI + 1 asyncpg INSERT)": (f"{baseline.url}/v1/service-requests", [{}]),
            "service direct (internal token)": (f"{service.url}/v1/service-requests", internal_headers),
            "through the gateway (ES256 JWT)": (f"{gateway.url}/v1/service-requests", user_headers),
        }
        slice_seconds = seconds / ROUNDS
        print(
            f"POST /v1/service-requests, {connections} connections, {seconds:.0f} s per target "
            f"in {ROUNDS} interleaved rounds (each after a 2 s warm-up), {texts} texts"
        )
        results: dict[str, list[LoadResult]] = {name: [] for name in targets}
        watched = {"baseline app": baseline.pid, "service": service.pid, "gateway": gateway.pid}
        cpu: dict[str, dict[str, float]] = {name: dict.fromkeys([*watched, "PostgreSQL"], 0.0) for name in targets}
        for _ in range(ROUNDS):  # interleaved, so a noisy neighbour hurts every target alike
            for name, (target, headers) in targets.items():
                before = _cpu_now(watched)
                results[name].append(
                    asyncio.run(post_load(target, bodies, headers, concurrency=connections, duration=slice_seconds))
                )
                after = _cpu_now(watched)
                for who in after:
                    cpu[name][who] += after[who] - before[who]
        merged = {name: merge_results(parts) for name, parts in results.items()}
        base, _, through = merged.values()
        for name, result in merged.items():
            print(report_line(name, result, None if result is base else base), flush=True)
        print("CPU per request (ms; includes each warm-up):")
        for name, result in merged.items():
            spent = {who: seconds for who, seconds in cpu[name].items() if seconds > 0.05 * result.seconds}
            parts = ", ".join(f"{who} {1000 * seconds / max(1, result.requests):.2f}" for who, seconds in spent.items())
            print(f"  {name:<40} {parts}")
        ratio = through.throughput / base.throughput if base.throughput else 0.0
        verdict = "met" if ratio >= TARGET_RATIO and through.percentile(0.99) < TARGET_P99 else "NOT met"
        print(f"target (>= {TARGET_RATIO}x, p99 < {TARGET_P99 * 1000:.0f} ms through the gateway): {verdict}")
    finally:
        for process in reversed(processes):
            process.stop()
        asyncio.run(run_sql(admin_dsn, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
