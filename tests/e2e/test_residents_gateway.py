"""Issue 18 through the gateway, on the session's platform: the residents' walk of docs/grid.md run
verbatim (the host, the dev key and the interpreter pointed at this platform), and each section's
capability end to end: the resident's views, the staff work list, the exports, the statistics."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import os
import sys
import urllib.parse
import uuid

import pytest

from shared.auth import Role
from shared.dates import business_today
from tests.e2e.conftest import RunningPlatform
from tests.e2e.test_readme_tour import readme_block
from tests.support.identities import admin, identity, staff
from tests.support.xlsx import sheet_rows
from tools.devdb import ROOT

pytestmark = pytest.mark.e2e


async def _walk(platform: RunningPlatform, script: str) -> tuple[int, str]:
    script = script.replace("http://127.0.0.1:8000", platform.gateway_url)
    script = script.replace("-m gateway.cli token", f"-m gateway.cli token --key-dir {platform.private_key.parent}")
    script = script.replace(".venv/bin/python", sys.executable)
    (ROOT / ".data").mkdir(exist_ok=True)
    process = await asyncio.create_subprocess_exec(
        "bash",
        "-c",
        "set -euo pipefail\n" + script,
        cwd=ROOT,
        env={**os.environ, "PLATFORM_ENV": "development"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, output.decode()


async def test_the_residents_walk_runs_verbatim(platform: RunningPlatform) -> None:
    code, text = await _walk(platform, readme_block("# Residents walk", "docs/grid.md"))
    assert code == 0, text
    today = business_today().isoformat()
    encoded = urllib.parse.quote(f"服务请求_{today}_{today}.csv", safe="")
    assert text.splitlines() == [
        "primary",
        "王芳",
        "138****5678",
        "工作日 9:00-17:30",
        "403",
        "NOT_YOUR_BUILDING",
        "in the building's grid",
        "12 楼电梯厅照明损坏",
        "rectifying",
        "rectified",
        "rectified",
        "200 application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        f"content-disposition: attachment; filename=\"_____{today}_{today}.csv\"; filename*=UTF-8''{encoded}",
        "422",
        "EXPORT_RANGE_TOO_LONG",
    ], text
    ledger = sheet_rows((ROOT / ".data" / "residents-ledger.xlsx").read_bytes())
    assert ledger[0][:3] == ["隐患编号", "网格", "楼宇"] and len(ledger) == 2
    assert ledger[1][6] == "消防通道堆放杂物" and ledger[1][8] == "rectified"


async def test_work_list_search_statistics_and_exports_through_the_gateway(platform: RunningPlatform) -> None:
    """Sections 2-4: staff search the requests of their community by a fragment, read the
    statistics with the new figures, export them and an activity's roster."""
    async with platform.client(timeout=30) as client:
        community = await client.post(
            "/v1/communities",
            json={
                "code": f"WL-{uuid.uuid4().hex[:6].upper()}",
                "name_zh": "工作清单社区",
                "name_en": "Work list",
                "type": "business_building",
                "street": "长河街道",
            },
            headers=platform.auth(admin()),
        )
        assert community.status_code == 201, community.text
        community_id = uuid.UUID(community.json()["id"])
        officer = platform.auth(staff(community_id))
        kind = await client.post(
            "/v1/service-types",
            json={
                "community_id": str(community_id),
                "code": "loan",
                "name_zh": "融资咨询",
                "name_en": "Financing",
                "category": "enterprise",
                "scenario": "enterprise_service",
                "requester_roles": ["employee"],
                "form": [],
                "handler": {"kind": "community_staff"},
                "deadlines": {
                    "acknowledge": {"amount": 4, "unit": "working_hours"},
                    "resolve": {"amount": 5, "unit": "working_days"},
                },
            },
            headers=officer,
        )
        assert kind.status_code == 201, kind.text
        enterprise = uuid.uuid4()
        person = identity(Role.employee, enterprise_id=enterprise, community_ids=[community_id])
        made = []
        for text in ("想了解贷款贴息政策", "办公室空调漏水"):
            answer = await client.post(
                "/v1/service-requests",
                json={"type_id": kind.json()["id"], "description": text, "answers": {}},
                headers=platform.auth(person),
            )
            assert answer.status_code == 201, answer.text
            made.append(answer.json()["id"])
        found = await client.get(
            "/v1/service-requests", params={"q": "贷款", "enterprise_id": str(enterprise)}, headers=officer
        )
        assert found.status_code == 200, found.text
        assert [item["id"] for item in found.json()["items"]] == [made[0]]

        today = business_today()
        window = {"community_id": str(community_id), "from": str(today), "to": str(today)}
        figures = await client.get("/v1/service-requests/stats", params=window, headers=officer)
        assert figures.status_code == 200, figures.text
        assert (figures.json()["total"], figures.json()["overdue"]) == (2, 0)
        exported = await client.get("/v1/service-requests/export", params={**window, "format": "csv"}, headers=officer)
        assert exported.status_code == 200, exported.text
        table = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
        assert [row[0] for row in table[1:]] == made and table[0][0] == "请求编号"

        starts = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).replace(microsecond=0)
        activity = await client.post(
            "/v1/activities",
            json={
                "community_id": str(community_id),
                "title": "技能培训",
                "scenario": "personal_growth",
                "starts_at": starts.isoformat(),
                "ends_at": (starts + dt.timedelta(hours=1)).isoformat(),
                "place": "党群服务中心",
                "capacity": 5,
                "eligible_roles": ["employee"],
            },
            headers=officer,
        )
        assert activity.status_code == 201, activity.text
        enrolled = await client.post(
            f"/v1/activities/{activity.json()['id']}/enrollments", headers=platform.auth(person)
        )
        assert enrolled.status_code == 201, enrolled.text
        mine = await client.get("/v1/activities/enrollments/mine", headers=platform.auth(person))
        assert [item["activity_id"] for item in mine.json()["items"]] == [activity.json()["id"]]
        roster = await client.get(
            f"/v1/activities/{activity.json()['id']}/enrollments/export", params={"format": "xlsx"}, headers=officer
        )
        assert roster.status_code == 200, roster.text
        assert [row[3] for row in sheet_rows(roster.content)[1:]] == [person.subject]
        begun = dict(activity.json())
        past = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)).replace(microsecond=0)
        started = await client.post(
            "/v1/activities",
            json={
                **{key: begun[key] for key in ("community_id", "title", "scenario", "place", "capacity")},
                "starts_at": past.isoformat(),
                "ends_at": (past + dt.timedelta(hours=1)).isoformat(),
                "eligible_roles": ["employee"],
            },
            headers=officer,
        )
        assert started.status_code == 201, started.text
        late = await client.post(f"/v1/activities/{started.json()['id']}/enrollments", headers=platform.auth(person))
        assert late.status_code == 409 and late.json()["code"] == "ACTIVITY_STARTED", late.text
        talent = await client.get(f"/v1/communities/{community_id}/stats", headers=officer)
        assert talent.status_code == 200 and talent.json()["graduates"] == 0, talent.text
