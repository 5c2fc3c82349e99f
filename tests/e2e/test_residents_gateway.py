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

from registry.enterprises.uscc import make_uscc
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


async def test_residents_read_their_own_events_and_inspections_through_the_gateway(platform: RunningPlatform) -> None:
    """An employee reads their own report (one and the list), its enterprise's representative reads
    it and the inspections of the enterprise; another enterprise's people are refused or see none."""
    async with platform.client(timeout=30) as client:
        root = platform.auth(admin())
        community = await client.post(
            "/v1/communities",
            json={
                "code": f"RV-{uuid.uuid4().hex[:6].upper()}",
                "name_zh": "居民查阅社区",
                "name_en": "Residents reads",
                "type": "business_building",
                "street": "长河街道",
            },
            headers=root,
        )
        assert community.status_code == 201, community.text
        community_id = uuid.UUID(community.json()["id"])
        tower = await client.post(
            "/v1/buildings",
            json={
                "name": "查阅大厦",
                "kind": "office_tower",
                "address": "杭州市滨江区江南大道 5 号",
                "community_id": str(community_id),
                "valid_from": "2020-01-01",
            },
            headers=root,
        )
        assert tower.status_code == 201, tower.text
        tower_id = tower.json()["id"]
        enterprises = []
        for name in ("杭州查阅一号科技有限公司", "杭州查阅二号科技有限公司"):
            made = await client.post(
                "/v1/enterprises",
                json={
                    "uscc": make_uscc(int(uuid.uuid4().int % 10**9)),
                    "name": name,
                    "legal_representative": "张三",
                    "industry_section": "I",
                    "industry_code": "6513",
                    "site": {"building_id": tower_id, "floor": "12", "valid_from": "2021-01-01"},
                },
                headers=root,
            )
            assert made.status_code == 201, made.text
            enterprises.append(uuid.UUID(made.json()["id"]))
        mine, theirs = enterprises
        officer = platform.auth(staff(community_id))
        grid = await client.post(
            "/v1/grids",
            json={"community_id": str(community_id), "name": "查阅网格", "valid_from": "2021-01-01"},
            headers=officer,
        )
        assert grid.status_code == 201, grid.text
        assigned = await client.post(
            f"/v1/grids/{grid.json()['id']}/assignments",
            json={"building_id": tower_id, "valid_from": "2021-01-01"},
            headers=officer,
        )
        assert assigned.status_code == 201, assigned.text

        def resident(role: Role, enterprise: uuid.UUID) -> dict[str, str]:
            return platform.auth(identity(role, enterprise_id=enterprise, community_ids=[community_id]))

        reporter = resident(Role.employee, mine)
        coworker = resident(Role.employee, mine)
        representative = resident(Role.enterprise_rep, mine)
        other_employee = resident(Role.employee, theirs)
        other_rep = resident(Role.enterprise_rep, theirs)

        report = await client.post(
            "/v1/grid-events/building-reports",
            json={"building_id": tower_id, "floor": 12, "category": "public_facility", "title": "12 楼饮水机漏水"},
            headers=reporter,
        )
        assert report.status_code == 201, report.text
        event_id = report.json()["id"]
        path = f"/v1/grid-events/{event_id}"
        own = await client.get(path, headers=reporter)
        assert own.status_code == 200, own.text
        assert own.json()["title"] == "12 楼饮水机漏水"
        assert [(h["action"], h["actor_role"]) for h in own.json()["history"]] == [("report", "employee")]
        assert (await client.get(path, headers=representative)).status_code == 200
        for outsider in (coworker, other_employee, other_rep):
            refused = await client.get(path, headers=outsider)
            assert refused.status_code == 403, refused.text
        listed = await client.get("/v1/grid-events/mine", headers=reporter)
        assert listed.status_code == 200, listed.text
        assert [item["id"] for item in listed.json()["items"]] == [event_id]
        named = await client.get("/v1/grid-events/mine", headers=representative)
        assert [item["id"] for item in named.json()["items"]] == [event_id], named.text
        for outsider in (coworker, other_employee, other_rep):
            none = await client.get("/v1/grid-events/mine", headers=outsider)
            assert none.status_code == 200 and none.json()["items"] == [], none.text

        visit = await client.post(
            "/v1/inspections",
            json={
                "grid_id": grid.json()["id"],
                "building_id": tower_id,
                "enterprise_id": str(mine),
                "visited_on": business_today().isoformat(),
                "findings": [],
            },
            headers=officer,
        )
        assert visit.status_code == 201, visit.text
        visits = await client.get("/v1/inspections/mine", headers=representative)
        assert visits.status_code == 200, visits.text
        assert [item["id"] for item in visits.json()["items"]] == [visit.json()["id"]]
        none = await client.get("/v1/inspections/mine", headers=other_rep)
        assert none.status_code == 200 and none.json()["items"] == [], none.text
        employees_refused = await client.get("/v1/inspections/mine", headers=reporter)
        assert employees_refused.status_code == 403, employees_refused.text
