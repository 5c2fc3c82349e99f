"""Staff exports of the service requests service (issue 18): CSV and XLSX with Chinese headers,
RFC 6266 file names, one row per record, formulas never executed, the date range bounded, other
communities refused; the statistics gain overdue and average resolve time."""

from __future__ import annotations

import csv
import datetime as dt
import io
import urllib.parse
from typing import Any

import httpx

from tests.service_requests.conftest import World, act, create_type, submit
from tests.support.identities import auth
from tests.support.rows import rows
from tests.support.xlsx import sheet_rows

HEADERS = [
    "请求编号",
    "服务事项",
    "服务类别",
    "场景",
    "企业",
    "状态",
    "提交时间",
    "受理期限",
    "受理时间",
    "办结期限",
    "办结时间",
    "是否超期",
    "经办人",
    "评价",
    "评价意见",
    "回访时间",
    "追评",
    "诉求内容",
]


def _today() -> dt.date:
    return dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()


def _filename(response: httpx.Response) -> str:
    disposition = response.headers["content-disposition"]
    fallback, _, encoded = disposition.partition("; filename*=UTF-8''")
    assert fallback.startswith('attachment; filename="') and fallback.isascii()
    return urllib.parse.unquote(encoded)


async def _requests(client: httpx.AsyncClient, world: World) -> list[dict[str, Any]]:
    kind = await create_type(client, world)
    made = []
    for text in ("想了解贷款贴息政策", '=HYPERLINK("http://evil.example","点我")'):
        answer = await submit(client, world.employee(), kind["id"], description=text)
        assert answer.status_code == 201, answer.text
        made.append(answer.json())
    return made


async def test_requests_export_as_csv_and_xlsx(
    requests_app: httpx.AsyncClient, world: World, database_url: str
) -> None:
    made = await _requests(requests_app, world)
    today = _today()
    params = {"community_id": str(world.community_id), "from": str(today), "to": str(today), "format": "csv"}
    answer = await requests_app.get("/v1/service-requests/export", params=params, headers=auth(world.staff()))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert _filename(answer) == f"服务请求_{today}_{today}.csv"
    assert answer.content.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert table[0] == HEADERS
    assert [row[0] for row in table[1:]] == [item["id"] for item in made]  # oldest first
    first = dict(zip(HEADERS, table[1], strict=True))
    assert (first["服务事项"], first["服务类别"], first["状态"], first["是否超期"], first["诉求内容"]) == (
        "融资咨询",
        "enterprise",
        "submitted",
        "否",
        "想了解贷款贴息政策",
    )
    (stored,) = await rows(
        database_url, "SELECT resolve_due_at FROM requests.service_request WHERE id = $1", made[0]["id"]
    )
    shanghai = stored["resolve_due_at"].astimezone(dt.timezone(dt.timedelta(hours=8)))
    assert first["办结期限"] == shanghai.strftime("%Y-%m-%d %H:%M:%S")
    assert table[2][-1] == '\'=HYPERLINK("http://evil.example","点我")'  # a formula stays text

    params["format"] = "xlsx"
    book = await requests_app.get("/v1/service-requests/export", params=params, headers=auth(world.staff()))
    assert book.status_code == 200, book.text
    assert book.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert _filename(book) == f"服务请求_{today}_{today}.xlsx"
    sheet = sheet_rows(book.content)
    assert sheet[0] == HEADERS
    assert [row[0] for row in sheet[1:]] == [item["id"] for item in made]
    assert sheet[2][-1] == '=HYPERLINK("http://evil.example","点我")'  # a string cell, never a formula
    assert b"<f>" not in book.content


async def test_exports_refuse_long_ranges_and_other_communities(requests_app: httpx.AsyncClient, world: World) -> None:
    base = {"community_id": str(world.community_id), "format": "csv"}
    too_long = {**base, "from": "2025-01-01", "to": "2026-01-02"}  # 367 days counting both
    answer = await requests_app.get("/v1/service-requests/export", params=too_long, headers=auth(world.staff()))
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "EXPORT_RANGE_TOO_LONG"
    assert [error["parameter"] for error in answer.json()["errors"]] == ["to"]
    longest = {**base, "from": "2025-01-01", "to": "2026-01-01"}  # 366 days: allowed
    assert (
        await requests_app.get("/v1/service-requests/export", params=longest, headers=auth(world.staff()))
    ).status_code == 200
    reversed_range = {**base, "from": "2025-02-01", "to": "2025-01-01"}
    backwards = await requests_app.get(
        "/v1/service-requests/export", params=reversed_range, headers=auth(world.staff())
    )
    assert backwards.status_code == 400 and backwards.json()["code"] == "INVALID_DATE_RANGE"
    stats_long = await requests_app.get(
        "/v1/service-requests/stats/export", params=too_long, headers=auth(world.staff())
    )
    assert stats_long.status_code == 422 and stats_long.json()["code"] == "EXPORT_RANGE_TOO_LONG"
    for path in ("/v1/service-requests/export", "/v1/service-requests/stats/export"):
        refused = await requests_app.get(path, params=longest, headers=auth(world.other_staff()))
        assert refused.status_code == 403, refused.text


async def test_statistics_and_their_export_add_overdue_and_average_resolve_time(
    requests_app: httpx.AsyncClient, world: World, database_url: str
) -> None:
    kind = await create_type(requests_app, world)
    requester, staff = world.employee(), world.staff()
    ids = [(await submit(requests_app, requester, kind["id"], description=f"统计 {n}")).json()["id"] for n in range(3)]
    version = 1
    for action, extra in (("accept", {}), ("assign", {}), ("start", {}), ("resolve", {"reason": "完成"})):
        version = (await act(requests_app, staff, ids[0], action, version, **extra)).json()["version"]
    # one open request past both deadlines
    await rows(
        database_url,
        "UPDATE requests.service_request SET acknowledge_due_at = now() - interval '2 days', "
        "resolve_due_at = now() - interval '1 day' WHERE id = $1",
        ids[1],
    )
    (resolved,) = await rows(
        database_url,
        "SELECT extract(epoch FROM resolved_at - created_at) / 3600.0 AS hours "
        "FROM requests.service_request WHERE id = $1",
        ids[0],
    )
    today = _today()
    params = {"community_id": str(world.community_id), "from": str(today), "to": str(today)}
    figures = (await requests_app.get("/v1/service-requests/stats", params=params, headers=auth(staff))).json()
    assert figures["overdue"] == 1
    assert abs(figures["average_resolve_hours"] - float(resolved["hours"])) < 1e-9

    exported = await requests_app.get(
        "/v1/service-requests/stats/export", params={**params, "format": "csv"}, headers=auth(staff)
    )
    assert exported.status_code == 200, exported.text
    assert _filename(exported) == f"服务统计_{today}_{today}.csv"
    table = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert table[0] == ["指标", "分项", "数值"]
    lines = {(row[0], row[1]): row[2] for row in table[1:]}
    assert lines[("请求总数", "")] == "3" and lines[("超期未办结", "")] == "1"
    assert lines[("按状态", "submitted")] == "2" and lines[("按状态", "resolved")] == "1"


async def test_an_activity_roster_exports_seats_then_the_waiting_list(
    requests_app: httpx.AsyncClient, world: World
) -> None:
    starts = (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).replace(microsecond=0)
    body = {
        "community_id": str(world.community_id),
        "title": "直播电商/技能培训",
        "scenario": "personal_growth",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + dt.timedelta(hours=2)).isoformat(),
        "place": "党群服务中心 3 楼",
        "capacity": 1,
        "eligible_roles": ["employee"],
    }
    activity = (await requests_app.post("/v1/activities", json=body, headers=auth(world.staff()))).json()
    first, second = world.employee(), world.employee()
    for who in (first, second):
        answer = await requests_app.post(f"/v1/activities/{activity['id']}/enrollments", headers=auth(who))
        assert answer.status_code == 201, answer.text
    path = f"/v1/activities/{activity['id']}/enrollments/export"
    book = await requests_app.get(path, params={"format": "xlsx"}, headers=auth(world.staff()))
    assert book.status_code == 200, book.text
    assert _filename(book) == "活动名单_直播电商_技能培训.xlsx"
    sheet = sheet_rows(book.content)
    assert sheet[0] == ["序号", "状态", "候补顺位", "报名人", "企业", "报名时间"]
    assert [row[:5] for row in sheet[1:]] == [
        ["1", "已报名", None, first.subject, str(world.enterprise_id)],
        ["2", "候补", "1", second.subject, str(world.enterprise_id)],
    ]
    assert (
        await requests_app.get(path, params={"format": "csv"}, headers=auth(world.other_staff()))
    ).status_code == 404
    assert (await requests_app.get(path, params={"format": "pdf"}, headers=auth(world.staff()))).status_code == 422
