"""`POST /internal/notices/sms`: a templated text message to an account's verified phone, through the fake Aliyun."""

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
from tests.support.fakes import FakeServer, start_fake, stop_fake

PATH = "/internal/notices/sms"
TEMPLATE = "SMS_465090123"


@pytest.fixture(scope="module")
def sms_fake() -> Iterator[FakeServer]:
    server = start_fake("fake_sms")
    try:
        yield server
    finally:
        stop_fake(server)


@pytest.fixture(scope="module")
async def sms_app(database_url: str, sms_fake: FakeServer) -> AsyncIterator[FastAPI]:
    app = create_app(identity_settings(database_url, sms_base_url=sms_fake.url))
    async with LifespanManager(app):
        yield app


@pytest.fixture
async def client(sms_app: FastAPI, sms_fake: FakeServer) -> AsyncIterator[httpx.AsyncClient]:
    sms_fake.reset()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sms_app), base_url="http://identity.test") as http:
        yield http


def notice(subject: str, **changes: Any) -> dict[str, Any]:
    params = {"name": "停车位申请", "status": "已受理"}
    return {"subject": subject, "template_code": TEMPLATE, "params": params} | changes


def inbox(fake: FakeServer) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = httpx.get(fake.url + "/_fake/inbox", timeout=5).json()["messages"]
    return messages


def next_error(fake: FakeServer, code: str) -> None:
    httpx.post(fake.url + "/_fake/next-error", json={"code": code}, timeout=5).raise_for_status()


async def test_a_notice_reaches_the_verified_phone(
    client: httpx.AsyncClient, sms_fake: FakeServer, database_url: str
) -> None:
    person = await account(database_url, phone="+8613900002222")
    sent = await client.post(PATH, json=notice(str(person)), headers=SERVICE)
    assert sent.status_code == 204, sent.text
    [message] = inbox(sms_fake)
    assert (message["phone"], message["template_code"], message["params"]) == (
        "13900002222",
        TEMPLATE,
        {"name": "停车位申请", "status": "已受理"},
    )
    empty = await client.post(PATH, json=notice(str(person), params={}), headers=SERVICE)
    assert empty.status_code == 204 and inbox(sms_fake)[1]["params"] == {}


async def test_no_account_or_no_phone_is_refused_before_aliyun(
    client: httpx.AsyncClient, sms_fake: FakeServer, database_url: str
) -> None:
    wechat_only = await account(database_url)
    await wechat_identity(database_url, wechat_only, "o-sms-less")
    disabled = await account(database_url, phone="+8613900003333", status="disabled")
    for subject, status, code in [
        (str(uuid.uuid4()), 404, "ACCOUNT_NOT_FOUND"),
        ("notifications-x", 404, "ACCOUNT_NOT_FOUND"),
        (str(disabled), 404, "ACCOUNT_NOT_FOUND"),
        (str(wechat_only), 409, "PHONE_NOT_VERIFIED"),
    ]:
        answer = await client.post(PATH, json=notice(subject), headers=SERVICE)
        assert (answer.status_code, answer.json()["code"]) == (status, code), answer.text
        assert answer.json()["errors"][0]["pointer"] == "/subject"
    assert inbox(sms_fake) == []


@pytest.mark.parametrize(
    ("provider_code", "status", "code", "retry_after"),
    [
        ("isv.SMS_TEMPLATE_ILLEGAL", 422, "SMS_TEMPLATE_REFUSED", None),
        ("isv.TEMPLATE_MISSING_PARAMETERS", 422, "SMS_TEMPLATE_REFUSED", None),
        ("isv.PARAM_LENGTH_LIMIT", 422, "SMS_TEMPLATE_REFUSED", None),
        ("isv.BUSINESS_LIMIT_CONTROL", 503, "SMS_UNAVAILABLE", "60"),
        ("isp.SYSTEM_ERROR", 503, "SMS_UNAVAILABLE", "5"),
    ],
)
async def test_aliyun_s_refusals_carry_its_code(
    client: httpx.AsyncClient,
    sms_fake: FakeServer,
    database_url: str,
    provider_code: str,
    status: int,
    code: str,
    retry_after: str | None,
) -> None:
    person = await account(database_url, phone="+8613900004444")
    next_error(sms_fake, provider_code)
    answer = await client.post(PATH, json=notice(str(person)), headers=SERVICE)
    assert answer.status_code == status, answer.text
    assert answer.json()["code"] == code and answer.json()["provider_code"] == provider_code
    assert answer.headers.get("retry-after") == retry_after
    assert inbox(sms_fake) == []


async def test_an_unreachable_provider_is_a_503(database_url: str) -> None:
    app = create_app(identity_settings(database_url, sms_base_url="http://127.0.0.1:9"))
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://identity.test") as http,
    ):
        person = await account(database_url, phone="+8613900005555")
        answer = await http.post(PATH, json=notice(str(person)), headers=SERVICE)
    assert answer.status_code == 503, answer.text
    assert answer.json()["code"] == "SMS_UNAVAILABLE" and answer.headers["retry-after"] == "5"
    assert "provider_code" not in answer.json()


@pytest.mark.parametrize(
    ("changes", "pointer"),
    [
        ({"template_code": "SMS_12"}, "/template_code"),
        ({"template_code": "TPL_123456"}, "/template_code"),
        ({"template_code": "SMS_" + "1" * 21}, "/template_code"),
        ({"params": {f"p{n}": "x" for n in range(11)}}, "/params"),
        ({"params": {"name": "长" * 36}}, "/params/name"),
        ({"params": {"name": 5}}, "/params/name"),
        ({"subject": ""}, "/subject"),
    ],
)
async def test_a_malformed_notice_is_a_422_naming_the_field(
    client: httpx.AsyncClient, changes: dict[str, Any], pointer: str
) -> None:
    answer = await client.post(PATH, json=notice(str(uuid.uuid4())) | changes, headers=SERVICE)
    assert answer.status_code == 422, answer.text
    assert any(item["pointer"].startswith(pointer) for item in answer.json()["errors"]), answer.text
    assert "长" * 36 not in answer.text


async def test_no_phone_nor_params_in_logs_or_answers(
    client: httpx.AsyncClient,
    sms_fake: FakeServer,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    # structlog caches each logger on first use, bound to the stdout of that moment (an earlier test's
    # in a full run): the service's logger is made afresh here, inside a capture of every event
    with structlog.testing.capture_logs() as events:
        monkeypatch.setattr(notices_service, "logger", structlog.get_logger("identity.notices"))
        person = await account(database_url, phone="+8613977778888")
        params = {"name": "私密的申请内容"}
        answers = [await client.post(PATH, json=notice(str(person), params=params), headers=SERVICE)]
        for code in ("isv.SMS_TEMPLATE_ILLEGAL", "isv.BUSINESS_LIMIT_CONTROL", "isv.MOBILE_NUMBER_ILLEGAL"):
            next_error(sms_fake, code)
            answers.append(await client.post(PATH, json=notice(str(person), params=params), headers=SERVICE))
        assert [answer.status_code for answer in answers] == [204, 422, 503, 503]
        service_logs = "\n".join(r.getMessage() for r in caplog.records if "/_fake/" not in r.getMessage())
        output = service_logs + capsys.readouterr().out + repr(events)
        assert "sms_notice_refused" in output  # the refusals were logged, by provider code
        for secret in ("13977778888", "私密的申请内容"):
            assert secret not in output
            assert all(secret not in answer.text for answer in answers)
