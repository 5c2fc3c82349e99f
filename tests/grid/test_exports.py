"""Staff exports of the grid (issue 18): the hazard ledger, grid events and inspections as CSV or
XLSX with Chinese headers and RFC 6266 names, rows in the range only, other communities refused."""

from __future__ import annotations

import csv
import datetime as dt
import io
import urllib.parse

import httpx

from shared.dates import business_today
from tests.grid.helpers import assign, make_grid
from tests.grid.registry_data import RegistryData
from tests.support.identities import auth, staff
from tests.support.xlsx import sheet_rows


def _table(response: httpx.Response) -> list[list[str]]:
    assert response.status_code == 200, response.text
    assert response.content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def _filename(response: httpx.Response) -> str:
    return urllib.parse.unquote(response.headers["content-disposition"].partition("filename*=UTF-8''")[2])


async def test_ledger_events_and_inspections_export_for_the_communitys_staff(
    grid: httpx.AsyncClient, registry: RegistryData
) -> None:
    community, elsewhere = await registry.community("XG-E"), await registry.community("XG-F")
    tower = await registry.building(community, "1 幢")
    enterprise = await registry.enterprise(tower, employees=3)
    patch = await make_grid(grid, community, "一网格")
    assert (await assign(grid, patch["id"], tower)).status_code == 201
    officer = auth(staff(community))
    today = business_today()
    hazard = {
        "grid_id": patch["id"],
        "building_id": str(tower),
        "enterprise_id": str(enterprise),
        "level": "major",
        "description": "消防通道堆放杂物",
        "deadline": (today - dt.timedelta(days=1)).isoformat(),  # already overdue
    }
    made_hazard = await grid.post("/v1/hazards", json=hazard, headers=officer)
    assert made_hazard.status_code == 201, made_hazard.text
    event = {"community_id": str(community), "grid_id": patch["id"], "category": "fire", "title": "消防栓漏水"}
    made_event = await grid.post("/v1/grid-events", json=event, headers=officer)
    assert made_event.status_code == 201, made_event.text
    visit = {
        "grid_id": patch["id"],
        "building_id": str(tower),
        "visited_on": today.isoformat(),
        "findings": [{"description": "灭火器过期", "level": "general", "raise_hazard": False}],
    }
    made_visit = await grid.post("/v1/inspections", json=visit, headers=officer)
    assert made_visit.status_code == 201, made_visit.text

    params = {"community_id": str(community), "from": str(today), "to": str(today), "format": "csv"}
    ledger = _table(await grid.get("/v1/hazards/export", params=params, headers=officer))
    assert ledger[0] == [
        "隐患编号", "网格", "楼宇", "楼层", "企业", "等级",
        "隐患描述", "整改期限", "状态", "是否超期", "上报人", "上报时间",
    ]  # fmt: skip
    [row] = ledger[1:]
    assert row[:11] == [
        made_hazard.json()["id"], "XG-E-001", str(tower), "", str(enterprise), "重大", "消防通道堆放杂物",
        (today - dt.timedelta(days=1)).isoformat(), "reported", "是", made_hazard.json()["reported_by"],
    ]  # fmt: skip

    events = await grid.get("/v1/grid-events/export", params={**params, "format": "xlsx"}, headers=officer)
    assert events.status_code == 200, events.text
    assert _filename(events) == f"网格事件_{today}_{today}.xlsx"
    sheet = sheet_rows(events.content)
    assert sheet[0][:5] == ["事件编号", "网格", "来源渠道", "类别", "标题"]
    assert [r[:5] for r in sheet[1:]] == [[made_event.json()["id"], "XG-E-001", "patrol", "fire", "消防栓漏水"]]

    visits = await grid.get("/v1/inspections/export", params=params, headers=officer)
    assert _filename(visits) == f"巡查记录_{today}_{today}.csv"
    table = _table(visits)
    assert table[0] == ["巡查编号", "网格", "楼宇", "楼层", "企业", "巡查日期", "巡查人", "发现问题数", "备注"]
    assert [(r[0], r[5], r[7]) for r in table[1:]] == [(made_visit.json()["id"], today.isoformat(), "1")]

    # yesterday's range holds nothing; another community's staff are refused; a long range is 422
    yesterday = str(today - dt.timedelta(days=1))
    empty = _table(
        await grid.get("/v1/hazards/export", params={**params, "from": yesterday, "to": yesterday}, headers=officer)
    )
    assert empty[1:] == []
    for path in ("/v1/hazards/export", "/v1/grid-events/export", "/v1/inspections/export"):
        refused = await grid.get(path, params=params, headers=auth(staff(elsewhere)))
        assert refused.status_code == 403, refused.text
        long = await grid.get(path, params={**params, "from": "2024-01-01"}, headers=officer)
        assert long.status_code == 422 and long.json()["code"] == "EXPORT_RANGE_TOO_LONG", long.text
