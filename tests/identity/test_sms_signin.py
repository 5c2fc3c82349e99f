"""SMS sign-in against the fake Aliyun gateway as a real process: codes arrive in its inbox,
the limits hold under concurrent requests, and no code reaches a log or an audit record."""

from __future__ import annotations

import asyncio
import itertools
import logging
import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import jwt
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import text

from identity.app import create_app
from shared.uow import unit_of_work
from tests.identity.conftest import identity_settings
from tests.support.fakes import FakeServer, start_fake, stop_fake

PHONE = "13900001111"
ADDRESSES = itertools.count(100 * 250)  # a client address per test, never one an earlier test used


@pytest.fixture(scope="module")
def sms_fake() -> Iterator[FakeServer]:
    server = start_fake("fake_sms")
    try:
        yield server
    finally:
        stop_fake(server)


@pytest.fixture(scope="module")
async def sms_app(database_url: str, sms_fake: FakeServer) -> AsyncIterator[FastAPI]:
    settings = identity_settings(
        database_url,
        sms_base_url=sms_fake.url,
        abuse_limits={"sms_send": "6/minute", "sms_verify": "30/minute"},
    )
    app = create_app(settings)
    async with LifespanManager(app):
        yield app


@pytest.fixture
async def client(sms_app: FastAPI, sms_fake: FakeServer) -> AsyncIterator[httpx.AsyncClient]:
    sms_fake.reset()
    # each test its own client address, so the per-address limits of one never spill into another
    address = next(ADDRESSES)
    headers = {"X-Forwarded-For": f"198.51.{address // 250}.{address % 250 + 1}"}
    transport = httpx.ASGITransport(app=sms_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://identity.test", headers=headers) as http:
        yield http


def inbox(fake: FakeServer, phone: str = PHONE) -> list[str]:
    messages = httpx.get(fake.url + "/_fake/inbox", params={"phone": phone}, timeout=5).json()["messages"]
    return [message["params"]["code"] for message in messages]


async def send(client: httpx.AsyncClient, phone: str = PHONE) -> httpx.Response:
    return await client.post("/v1/auth/sms/codes", json={"phone": phone})


async def test_a_texted_code_signs_in_and_creates_the_account_once(
    client: httpx.AsyncClient, sms_fake: FakeServer, sms_app: FastAPI
) -> None:
    sent = await send(client, "+86 139-0000-1111")
    assert sent.status_code == 202 and sent.json() == {"expires_in": 300, "resend_after": 60}
    [code] = inbox(sms_fake)
    assert len(code) == 6 and code.isdigit()

    signed = await client.post("/v1/auth/sms/session", json={"phone": PHONE, "code": code})
    assert signed.status_code == 200, signed.text
    assert signed.headers["cache-control"] == "no-store"
    pair = signed.json()
    claims = jwt.decode(pair["access_token"], options={"verify_signature": False})
    assert claims["roles"] == ["account"]
    async with unit_of_work(sms_app) as uow:
        phone = await uow.session.scalar(
            text("SELECT phone FROM identity.account WHERE id = :id"), {"id": claims["sub"]}
        )
    assert phone == "+8613900001111"

    # the code is used up; a later sign-in of the same number finds the same account
    again = await client.post("/v1/auth/sms/session", json={"phone": PHONE, "code": code})
    assert again.status_code == 400 and again.json()["code"] == "SMS_CODE_INVALID"
    assert again.json()["errors"][0]["pointer"] == "/code"
    async with unit_of_work(sms_app) as uow:
        await uow.session.execute(text("UPDATE identity.sms_challenge SET last_sent_at = now() - interval '2 minutes'"))
    assert (await send(client)).status_code == 202
    second = await client.post("/v1/auth/sms/session", json={"phone": PHONE, "code": inbox(sms_fake)[-1]})
    assert jwt.decode(second.json()["access_token"], options={"verify_signature": False})["sub"] == claims["sub"]


async def test_the_answer_is_the_same_for_a_known_and_an_unknown_number(
    client: httpx.AsyncClient, sms_app: FastAPI
) -> None:
    async with unit_of_work(sms_app) as uow:
        await uow.session.execute(
            text("INSERT INTO identity.account (id, phone) VALUES (:id, '+8613700002222')"), {"id": uuid.uuid4()}
        )
    known, unknown = await send(client, "13700002222"), await send(client, "13700003333")
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()


async def test_one_send_per_minute_and_ten_a_day_even_when_asked_at_once(
    client: httpx.AsyncClient, sms_fake: FakeServer, sms_app: FastAPI
) -> None:
    answers = await asyncio.gather(*(send(client) for _ in range(5)))
    assert sorted(answer.status_code for answer in answers) == [202, 429, 429, 429, 429]
    refused = next(answer for answer in answers if answer.status_code == 429)
    assert refused.json()["code"] == "SMS_TOO_FREQUENT" and 1 <= int(refused.headers["retry-after"]) <= 61
    assert len(inbox(sms_fake)) == 1

    # nine more sends today (each after the minute), then the day is full
    async with unit_of_work(sms_app) as uow:
        await uow.session.execute(
            text("UPDATE identity.sms_challenge SET sent_that_day = 10, last_sent_at = now() - interval '2 minutes'")
        )
    daily = await send(client)
    assert daily.status_code == 429 and daily.json()["code"] == "SMS_DAILY_LIMIT"
    assert int(daily.headers["retry-after"]) <= 86_400


async def test_five_wrong_codes_kill_the_code_and_the_sixth_try_fails_even_when_right(
    client: httpx.AsyncClient, sms_fake: FakeServer, sms_app: FastAPI
) -> None:
    await send(client)
    [code] = inbox(sms_fake)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        answer = await client.post("/v1/auth/sms/session", json={"phone": PHONE, "code": wrong})
        assert answer.status_code == 400 and answer.json()["code"] == "SMS_CODE_INVALID"
    dead = await client.post("/v1/auth/sms/session", json={"phone": PHONE, "code": code})
    assert dead.status_code == 400 and dead.json()["code"] == "SMS_CODE_INVALID"
    async with unit_of_work(sms_app) as uow:
        failed = await uow.session.scalar(
            text("SELECT count(*) FROM identity.audit_record WHERE action = 'login_failed'")
        )
        accounts = await uow.session.scalar(text("SELECT count(*) FROM identity.account"))
    assert failed == 6 and accounts == 0


async def test_concurrent_tries_of_one_code_sign_in_exactly_once(
    client: httpx.AsyncClient, sms_fake: FakeServer, sms_app: FastAPI
) -> None:
    await send(client)
    [code] = inbox(sms_fake)
    answers = await asyncio.gather(
        *(client.post("/v1/auth/sms/session", json={"phone": PHONE, "code": code}) for _ in range(8))
    )
    assert sorted(answer.status_code for answer in answers) == [200] + [400] * 7
    async with unit_of_work(sms_app) as uow:
        sessions = await uow.session.scalar(text("SELECT count(*) FROM identity.session"))
    assert sessions == 1


async def test_concurrent_wrong_tries_never_exceed_five(
    client: httpx.AsyncClient, sms_fake: FakeServer, sms_app: FastAPI
) -> None:
    await send(client)
    [code] = inbox(sms_fake)
    wrongs = [f"{(int(code) + n) % 1_000_000:06d}" for n in range(1, 11)]
    answers = await asyncio.gather(
        *(client.post("/v1/auth/sms/session", json={"phone": PHONE, "code": wrong}) for wrong in wrongs)
    )
    assert {answer.status_code for answer in answers} == {400}
    async with unit_of_work(sms_app) as uow:
        tries = await uow.session.scalar(text("SELECT wrong_tries FROM identity.sms_challenge"))
    assert tries == 5
    late = await client.post("/v1/auth/sms/session", json={"phone": PHONE, "code": code})
    assert late.status_code == 400


async def test_an_expired_code_is_refused(client: httpx.AsyncClient, sms_fake: FakeServer, sms_app: FastAPI) -> None:
    await send(client)
    [code] = inbox(sms_fake)
    async with unit_of_work(sms_app) as uow:
        await uow.session.execute(text("UPDATE identity.sms_challenge SET expires_at = now() - interval '1 second'"))
    expired = await client.post("/v1/auth/sms/session", json={"phone": PHONE, "code": code})
    assert expired.status_code == 400 and expired.json()["code"] == "SMS_CODE_INVALID"


async def test_sends_per_address_are_limited(client: httpx.AsyncClient) -> None:
    answers = [await send(client, f"1360000{n:04d}") for n in range(7)]
    assert [answer.status_code for answer in answers] == [202] * 6 + [429]
    assert answers[-1].json()["code"] == "TOO_MANY_ATTEMPTS" and int(answers[-1].headers["retry-after"]) >= 1


async def test_a_provider_failure_is_503_and_that_code_never_works(
    client: httpx.AsyncClient, sms_fake: FakeServer, sms_app: FastAPI
) -> None:
    async with httpx.AsyncClient() as http:
        await http.post(sms_fake.url + "/_fake/next-error", json={"code": "isv.BUSINESS_LIMIT_CONTROL"})
    failed = await send(client)
    assert failed.status_code == 503 and failed.json()["code"] == "SMS_UNAVAILABLE"
    assert inbox(sms_fake) == []
    async with unit_of_work(sms_app) as uow:
        live = await uow.session.scalar(text("SELECT count(*) FROM identity.sms_challenge WHERE expires_at > now()"))
    assert live == 0


async def test_a_disabled_account_cannot_sign_in(
    client: httpx.AsyncClient, sms_fake: FakeServer, sms_app: FastAPI
) -> None:
    async with unit_of_work(sms_app) as uow:
        await uow.session.execute(
            text(
                "INSERT INTO identity.account (id, phone, status, disabled_at)"
                " VALUES (:id, '+8613900001111', 'disabled', now())"
            ),
            {"id": uuid.uuid4()},
        )
    await send(client)
    refused = await client.post("/v1/auth/sms/session", json={"phone": PHONE, "code": inbox(sms_fake)[0]})
    assert refused.status_code == 403 and refused.json()["code"] == "ACCOUNT_DISABLED"


@pytest.mark.parametrize(
    "body",
    [
        {"phone": "12345"},
        {"phone": "23800138000"},
        {"phone": 13800138000},
        {"phone": "13800138000", "extra": 1},
        {},
    ],
)
async def test_bad_numbers_are_422_and_not_echoed(client: httpx.AsyncClient, body: dict[str, object]) -> None:
    answer = await client.post("/v1/auth/sms/codes", json=body)
    assert answer.status_code == 422
    assert "12345" not in answer.text and "23800138000" not in answer.text


@pytest.mark.parametrize("code", ["12345", "1234567", "12a456", 123456])
async def test_bad_codes_are_422(client: httpx.AsyncClient, code: object) -> None:
    answer = await client.post("/v1/auth/sms/session", json={"phone": PHONE, "code": code})
    assert answer.status_code == 422 and answer.json()["errors"][0]["pointer"] == "/code"


async def test_no_code_reaches_a_log_or_the_audit(
    client: httpx.AsyncClient,
    sms_fake: FakeServer,
    sms_app: FastAPI,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    await send(client)
    [code] = inbox(sms_fake)
    await client.post("/v1/auth/sms/session", json={"phone": PHONE, "code": f"{(int(code) + 1) % 1_000_000:06d}"})
    signed = await client.post("/v1/auth/sms/session", json={"phone": PHONE, "code": code})
    assert signed.status_code == 200
    # the test's own reads of the fake's inbox name the phone in their URL: not the service's logs
    service_logs = "\n".join(r.getMessage() for r in caplog.records if "/_fake/" not in r.getMessage())
    output = service_logs + capsys.readouterr().out
    async with unit_of_work(sms_app) as uow:
        audit = " ".join(
            str(row) for row in (await uow.session.execute(text("SELECT * FROM identity.audit_record"))).all()
        )
    for secret in (code, signed.json()["refresh_token"], "13900001111"):
        assert secret not in output and secret not in audit
