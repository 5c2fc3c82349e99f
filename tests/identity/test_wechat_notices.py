"""`POST /internal/notices/wechat`: a subscribe message to an account's openid, through the fake WeChat as a process."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import structlog
import structlog.testing
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from identity.app import create_app
from identity.notices import service as notices_service
from tests.identity.conftest import identity_settings
from tests.identity.notices_support import SERVICE, account, wechat_identity
from tests.identity.test_wechat_signin import codes, fake_call, subject_of
from tests.support.fakes import FakeServer, start_fake, stop_fake

PATH = "/internal/notices/wechat"
TEMPLATE = "bDmywsp2oEHjwAadTGKkUHpzYqyRZIdXyNGQ3b1xGjQ"


@pytest.fixture(scope="module")
def wechat_fake() -> Iterator[FakeServer]:
    server = start_fake("fake_wechat")
    try:
        yield server
    finally:
        stop_fake(server)


@pytest.fixture(scope="module")
async def wechat_app(database_url: str, wechat_fake: FakeServer) -> AsyncIterator[FastAPI]:
    app = create_app(identity_settings(database_url, wechat_base_url=wechat_fake.url))
    async with LifespanManager(app):
        yield app


@pytest.fixture
async def client(wechat_app: FastAPI, wechat_fake: FakeServer) -> AsyncIterator[httpx.AsyncClient]:
    wechat_fake.reset()
    transport = httpx.ASGITransport(app=wechat_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://identity.test") as http:
        yield http


async def signed_up(client: httpx.AsyncClient, fake: FakeServer, openid: str) -> str:
    """The subject of an account that signed in through the mini-program as `openid`."""
    pair = await client.post("/v1/auth/wechat/mini-program", json={"code": (await codes(fake, openid))["code"]})
    assert pair.status_code == 200, pair.text
    return subject_of(pair.json())


def notice(subject: str, **changes: Any) -> dict[str, Any]:
    return {
        "subject": subject,
        "template_id": TEMPLATE,
        "page": "pages/requests/detail?id=42",
        "data": {"thing1": "停车位申请已受理", "time2": "2026年12月1日 15:01"},
    } | changes


async def inbox(fake: FakeServer, openid: str) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = (await fake_call(fake, f"/_fake/messages?openid={openid}"))["messages"]
    return messages


async def test_a_notice_reaches_the_account_s_openid(client: httpx.AsyncClient, wechat_fake: FakeServer) -> None:
    subject = await signed_up(client, wechat_fake, "o-notice-alice")
    sent = await client.post(PATH, json=notice(subject), headers=SERVICE)
    assert sent.status_code == 204, sent.text
    assert await inbox(wechat_fake, "o-notice-alice") == [
        {
            "openid": "o-notice-alice",
            "template_id": TEMPLATE,
            "page": "pages/requests/detail?id=42",
            "data": {"thing1": "停车位申请已受理", "time2": "2026年12月1日 15:01"},
        }
    ]


async def test_no_account_or_no_openid_is_refused_before_wechat(
    client: httpx.AsyncClient, wechat_fake: FakeServer, database_url: str
) -> None:
    unbound = await account(database_url, phone="+8613800000011")
    other_app = await account(database_url)
    await wechat_identity(database_url, other_app, "o-other-app", appid="wx-another-app")
    disabled = await account(database_url, status="disabled")
    await wechat_identity(database_url, disabled, "o-disabled")
    for subject, status, code in [
        (str(uuid.uuid4()), 404, "ACCOUNT_NOT_FOUND"),
        ("not-an-account", 404, "ACCOUNT_NOT_FOUND"),
        (str(disabled), 404, "ACCOUNT_NOT_FOUND"),
        (str(unbound), 409, "WECHAT_NOT_BOUND"),
        (str(other_app), 409, "WECHAT_NOT_BOUND"),
    ]:
        answer = await client.post(PATH, json=notice(subject), headers=SERVICE)
        assert (answer.status_code, answer.json()["code"]) == (status, code), answer.text
        assert answer.json()["errors"][0]["pointer"] == "/subject"
    assert (await fake_call(wechat_fake, "/_fake/messages"))["messages"] == []


@pytest.mark.parametrize(
    ("errcode", "status", "code", "retry_after"),
    [
        (43101, 409, "WECHAT_REFUSED", None),
        (47003, 422, "WECHAT_DATA_INVALID", None),
        (40037, 422, "WECHAT_DATA_INVALID", None),
        (45011, 503, "WECHAT_UNAVAILABLE", "60"),
        (-1, 503, "WECHAT_UNAVAILABLE", "5"),
    ],
)
async def test_wechat_s_refusals_carry_its_errcode(
    client: httpx.AsyncClient, wechat_fake: FakeServer, errcode: int, status: int, code: str, retry_after: str | None
) -> None:
    subject = await signed_up(client, wechat_fake, "o-notice-bob")
    assert (await client.post(PATH, json=notice(subject), headers=SERVICE)).status_code == 204  # the token is fresh
    await fake_call(wechat_fake, "/_fake/next-error", {"errcode": errcode})
    answer = await client.post(PATH, json=notice(subject), headers=SERVICE)
    assert answer.status_code == status, answer.text
    problem = answer.json()
    assert problem["code"] == code and problem["errcode"] == errcode
    assert answer.headers.get("retry-after") == retry_after
    assert len(await inbox(wechat_fake, "o-notice-bob")) == 1


async def test_data_wechat_refuses_by_its_type_is_a_422_and_nothing_is_sent(
    client: httpx.AsyncClient, wechat_fake: FakeServer
) -> None:
    subject = await signed_up(client, wechat_fake, "o-notice-dan")
    too_long = {"thing1": "这是一个超过二十个字的事项描述文字会被微信拒绝的"}  # a `thing` holds 20 characters
    answer = await client.post(PATH, json=notice(subject, data=too_long), headers=SERVICE)
    assert answer.status_code == 422, answer.text
    problem = answer.json()
    assert (problem["code"], problem["errcode"], problem["errors"][0]["pointer"]) == (
        "WECHAT_DATA_INVALID",
        47003,
        "/data",
    )
    assert too_long["thing1"] not in answer.text
    assert await inbox(wechat_fake, "o-notice-dan") == []


async def test_an_unreachable_wechat_is_a_503(database_url: str, wechat_fake: FakeServer) -> None:
    app = create_app(identity_settings(database_url, wechat_base_url="http://127.0.0.1:9"))
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://identity.test") as http,
    ):
        person = await account(database_url)
        await wechat_identity(database_url, person, "o-notice-far")
        answer = await http.post(PATH, json=notice(str(person)), headers=SERVICE)
    assert answer.status_code == 503, answer.text
    assert answer.json()["code"] == "WECHAT_UNAVAILABLE" and answer.headers["retry-after"] == "5"


@pytest.mark.parametrize(
    ("changes", "pointer"),
    [
        ({"template_id": ""}, "/template_id"),
        ({"template_id": "t" * 65}, "/template_id"),
        ({"page": "p" * 257}, "/page"),
        ({"data": {}}, "/data"),
        ({"data": {"Thing1": "x"}}, "/data/Thing1"),
        ({"data": {"thing": "x"}}, "/data/thing"),
        ({"data": {"thing1": "x" * 201}}, "/data/thing1"),
        ({"data": {f"thing{n}": "x" for n in range(21)}}, "/data"),
        ({"subject": ""}, "/subject"),
    ],
)
async def test_a_malformed_notice_is_a_422_naming_the_field(
    client: httpx.AsyncClient, changes: dict[str, Any], pointer: str
) -> None:
    answer = await client.post(PATH, json=notice(str(uuid.uuid4())) | changes, headers=SERVICE)
    assert answer.status_code == 422, answer.text
    assert any(item["pointer"].startswith(pointer) for item in answer.json()["errors"]), answer.text
    assert "x" * 201 not in answer.text


async def test_no_openid_nor_data_in_logs_or_answers(
    client: httpx.AsyncClient,
    wechat_fake: FakeServer,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    # structlog caches each logger on first use, bound to the stdout of that moment (an earlier test's
    # in a full run): the service's logger is made afresh here, inside a capture of every event
    with structlog.testing.capture_logs() as events:
        monkeypatch.setattr(notices_service, "logger", structlog.get_logger("identity.notices"))
        subject = await signed_up(client, wechat_fake, "o-notice-secret-carol")
        data = {"thing1": "私密内容甲乙丙", "name2": "张三丰"}
        answers = [await client.post(PATH, json=notice(subject, data=data), headers=SERVICE)]
        for errcode in (43101, 47003, -1):
            await fake_call(wechat_fake, "/_fake/next-error", {"errcode": errcode})
            answers.append(await client.post(PATH, json=notice(subject, data=data), headers=SERVICE))
        assert [answer.status_code for answer in answers] == [204, 409, 422, 503]
        service_logs = "\n".join(r.getMessage() for r in caplog.records if "/_fake/" not in r.getMessage())
        output = service_logs + capsys.readouterr().out + repr(events)
        assert "wechat_notice_refused" in output  # the refusals were logged, by errcode
        for secret in ("o-notice-secret-carol", "私密内容甲乙丙", "张三丰"):
            assert secret not in output
            assert all(secret not in answer.text for answer in answers)
