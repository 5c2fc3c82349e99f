"""The staff export of a community's statistics (issue 18): the figures of
`GET /v1/communities/{id}/stats` on a date, talent totals included, as CSV or XLSX with Chinese
headers and an RFC 6266 file name; the community's own staff and admins only."""

from __future__ import annotations

import csv
import io
import urllib.parse
import uuid
from typing import Any

import httpx

from shared.auth import Role
from tests.registry import factories
from tests.support.identities import admin, auth, identity, staff
from tests.support.xlsx import sheet_rows


def _filename(response: httpx.Response) -> str:
    disposition = response.headers["content-disposition"]
    fallback, _, encoded = disposition.partition("; filename*=UTF-8''")
    assert fallback.startswith('attachment; filename="') and fallback.isascii(), disposition
    return urllib.parse.unquote(encoded)


async def _town(client: httpx.AsyncClient) -> tuple[dict[str, Any], dict[str, Any]]:
    community = await factories.community(client)
    tower = await factories.building(client, community["id"])
    park = await factories.building(client, community["id"], kind="industrial_park")
    dates = {"valid_from": "2021-01-01", "active_from": "2021-01-01"}
    first = await factories.enterprise(client, tower["id"], **dates)
    second = await factories.enterprise(client, park["id"], industry_section="M", industry_code="7320", **dates)
    for enterprise, figures in (
        (first, {"employees": 40, "graduates": 25, "high_level_talents": 3}),
        (second, {"employees": 10, "graduates": 4, "high_level_talents": 1}),
    ):
        answer = await client.post(
            f"/v1/enterprises/{enterprise['id']}/headcounts",
            json={"as_of": "2023-06-30", **figures},
            headers=auth(admin()),
        )
        assert answer.status_code == 201, answer.text
    stats = await client.get(f"/v1/communities/{community['id']}/stats?as_of=2024-01-01", headers=auth(admin()))
    assert stats.status_code == 200, stats.text
    return community, stats.json()


async def test_the_export_holds_every_figure_of_the_stats_talent_totals_included(
    registry_app: httpx.AsyncClient,
) -> None:
    community, stats = await _town(registry_app)
    assert (stats["graduates"], stats["high_level_talents"]) == (29, 4)
    officer = auth(staff(uuid.UUID(str(community["id"]))))
    path = f"/v1/communities/{community['id']}/stats/export"
    answer = await registry_app.get(path, params={"as_of": "2024-01-01", "format": "csv"}, headers=officer)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert _filename(answer) == f"社区统计_{community['name_zh']}_2024-01-01.csv"
    assert answer.content.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    expected = [
        ["指标", "分项", "数值"],
        ["统计日期", "", "2024-01-01"],
        ["楼宇总数", "", str(stats["buildings"])],
        ["在营企业数", "", str(stats["active_enterprises"])],
        ["从业人员数", "", str(stats["employees"])],
        ["从业人员平均年龄", "", "" if stats["average_age"] is None else str(stats["average_age"])],
        ["本科及以上学历人数", "", "29"],
        ["高层次人才数", "", "4"],
        *[["按楼宇类型", kind, str(count)] for kind, count in sorted(stats["buildings_by_kind"].items())],
        *[["按行业门类", s, str(count)] for s, count in sorted(stats["enterprises_by_industry_section"].items())],
    ]
    assert table == expected
    assert ["按楼宇类型", "industrial_park", "1"] in table and ["按行业门类", "M", "1"] in table

    book = await registry_app.get(path, params={"as_of": "2024-01-01", "format": "xlsx"}, headers=auth(admin()))
    assert book.status_code == 200, book.text
    assert book.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert _filename(book) == f"社区统计_{community['name_zh']}_2024-01-01.xlsx"
    rows = sheet_rows(book.content)
    assert rows[0] == ["指标", "分项", "数值"] and len(rows) == len(expected)
    assert rows[6] == ["本科及以上学历人数", None, "29"] and rows[7] == ["高层次人才数", None, "4"]

    # before any figure: the talent totals are zero, the date is the one asked
    early = await registry_app.get(path, params={"as_of": "2022-01-01", "format": "csv"}, headers=officer)
    early_rows = list(csv.reader(io.StringIO(early.content.decode("utf-8-sig"))))
    assert early_rows[1] == ["统计日期", "", "2022-01-01"]
    assert early_rows[6:8] == [["本科及以上学历人数", "", "0"], ["高层次人才数", "", "0"]]


async def test_only_the_communitys_staff_and_admins_export_it(registry_app: httpx.AsyncClient) -> None:
    community, _ = await _town(registry_app)
    other = await factories.community(registry_app)
    path = f"/v1/communities/{community['id']}/stats/export"
    params = {"format": "csv"}
    theirs = await registry_app.get(path, params=params, headers=auth(staff(uuid.UUID(str(other["id"])))))
    assert theirs.status_code == 403, theirs.text
    assert "社区统计" not in theirs.text and theirs.headers["content-type"].startswith("application/problem+json")
    for role in (Role.employee, Role.enterprise_rep, Role.grid_worker, Role.partner):
        refused = await registry_app.get(path, params=params, headers=auth(identity(role)))
        assert refused.status_code == 403, (role, refused.text)
    unknown = await registry_app.get(
        f"/v1/communities/{uuid.uuid4()}/stats/export", params=params, headers=auth(admin())
    )
    assert unknown.status_code == 404 and unknown.json()["code"] == "COMMUNITY_NOT_FOUND", unknown.text
    wrong = await registry_app.get(path, params={"format": "pdf"}, headers=auth(admin()))
    assert wrong.status_code == 422, wrong.text
    today = await registry_app.get(path, params=params, headers=auth(admin()))
    assert today.status_code == 200, today.text
