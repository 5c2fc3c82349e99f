"""The staff work list (issue 18): `q` finds Chinese fragments of the description through its two
indexes (one, two and more characters; LIKE's own characters are literal), the filters by
enterprise, handler, status, overdue and date range combine with it, and every sort pages by keyset."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from service_requests.requests.models import ServiceRequest
from service_requests.requests.repository import description_contains
from shared.settings import PlatformSettings
from tests.service_requests.conftest import World, act, create_type, submit
from tests.support.identities import auth


async def _ids(client: httpx.AsyncClient, world: World, **params: Any) -> list[str]:
    answer = await client.get("/v1/service-requests", params=params, headers=auth(world.staff()))
    assert answer.status_code == 200, answer.text
    return [item["id"] for item in answer.json()["items"]]


async def test_q_and_the_filters_find_exactly_the_matching_requests(
    requests_app: httpx.AsyncClient, world: World
) -> None:
    kind = await create_type(requests_app, world)
    texts = ["想了解贷款贴息政策", "申请创业担保贷款", "办公室空调漏水", "100%_完成率 说明"]
    made: list[dict[str, Any]] = []
    for index, text in enumerate(texts):
        who = world.employee() if index % 2 == 0 else world.rep(world.other_enterprise_id)
        answer = await submit(requests_app, who, kind["id"], description=text)
        assert answer.status_code == 201, answer.text
        made.append(answer.json())
    loan_info, guarantee, aircon, percent = (item["id"] for item in made)

    assert await _ids(requests_app, world, q="贷款") == [guarantee, loan_info]  # two characters
    assert await _ids(requests_app, world, q="贷") == [guarantee, loan_info]  # one
    assert await _ids(requests_app, world, q="创业担保贷款") == [guarantee]  # longer: by its trigrams
    assert await _ids(requests_app, world, q="担保政策") == []  # every character occurs, the fragment does not
    assert await _ids(requests_app, world, q="%_") == [percent]  # LIKE's characters are literal
    assert await _ids(requests_app, world, q="_") == [percent]
    assert await _ids(requests_app, world, q="贷款", enterprise_id=str(world.other_enterprise_id)) == [guarantee]
    assert await _ids(requests_app, world, enterprise_id=str(world.enterprise_id)) == [aircon, loan_info]

    # the handler: staff assign one; the filter finds it, combined with q and status
    assignee = "staff-handler-1"
    accepted = await act(requests_app, world.staff(), aircon, "accept", made[2]["version"])
    assert accepted.status_code == 200, accepted.text
    assigned = await act(
        requests_app, world.staff(), aircon, "assign", accepted.json()["version"], assignee_subject=assignee
    )
    assert assigned.status_code == 200, assigned.text
    assert await _ids(requests_app, world, handler=assignee) == [aircon]
    assert await _ids(requests_app, world, handler=assignee, q="空调", status="assigned") == [aircon]
    assert await _ids(requests_app, world, handler=assignee, q="贷款") == []
    assert await _ids(requests_app, world, overdue="true") == []
    # another community's staff find nothing, whatever they search
    other = await requests_app.get("/v1/service-requests", params={"q": "贷款"}, headers=auth(world.other_staff()))
    assert other.json()["items"] == []


async def test_each_sort_pages_by_keyset_and_its_cursor_belongs_to_it(
    requests_app: httpx.AsyncClient, world: World
) -> None:
    kind = await create_type(requests_app, world)
    made = []
    for number in range(5):
        answer = await submit(requests_app, world.employee(), kind["id"], description=f"第{number}号 贷款咨询")
        assert answer.status_code == 201, answer.text
        made.append(answer.json()["id"])

    async def walk(sort: str) -> list[str]:
        seen: list[str] = []
        params: dict[str, Any] = {"sort": sort, "limit": 2, "q": "贷款"}
        while True:
            answer = await requests_app.get("/v1/service-requests", params=params, headers=auth(world.staff()))
            assert answer.status_code == 200, answer.text
            seen += [item["id"] for item in answer.json()["items"]]
            cursor = answer.json().get("next_cursor")
            if not cursor:
                return seen
            params["cursor"] = cursor

    assert await walk("-created_at") == made[::-1]
    assert await walk("created_at") == made
    # one type, submitted in order: the resolve deadlines follow the submissions (ties broken by id)
    by_deadline = await walk("resolve_due_at")
    assert sorted(by_deadline) == sorted(made) and by_deadline == (await walk("-resolve_due_at"))[::-1]

    first = await requests_app.get(
        "/v1/service-requests", params={"sort": "created_at", "limit": 2}, headers=auth(world.staff())
    )
    cursor = first.json()["next_cursor"]
    wrong = await requests_app.get(
        "/v1/service-requests", params={"sort": "resolve_due_at", "cursor": cursor}, headers=auth(world.staff())
    )
    assert wrong.status_code == 400 and wrong.json()["code"] == "INVALID_CURSOR", wrong.text
    default = await requests_app.get("/v1/service-requests", params={"cursor": cursor}, headers=auth(world.staff()))
    assert default.status_code == 400 and default.json()["code"] == "INVALID_CURSOR"
    too_long = await requests_app.get("/v1/service-requests", params={"q": "贷" * 51}, headers=auth(world.staff()))
    assert too_long.status_code == 422 and uuid.UUID(made[0])


@pytest.mark.parametrize(
    ("fragment", "index"),
    [
        ("贷", "ix_service_request_description_characters"),
        ("%_", "ix_service_request_description_characters"),
        ("贷款", "ix_service_request_description_characters"),
        ("创业担保贷款", "ix_service_request_description_trgm"),
    ],
)
async def test_the_q_condition_is_one_its_index_serves(database_url: str, fragment: str, index: str) -> None:
    """The condition must name an indexed expression exactly (`string_to_array(description, NULL)`
    with a NULL literal, not a parameter; LIKE for pg_trgm), or the search quietly reads every row."""
    engine = create_async_engine(PlatformSettings(database_url=database_url).async_database_url)
    try:
        async with engine.connect() as connection:
            query = select(ServiceRequest.id).where(*description_contains(fragment))
            compiled = query.compile(dialect=connection.dialect)
            parameters = tuple(compiled.params[name] for name in compiled.positiontup or ())
            await connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
            plan = "\n".join((await connection.exec_driver_sql("EXPLAIN " + str(compiled), parameters)).scalars())
    finally:
        await engine.dispose()
    assert index in plan, plan
