"""WeChat mini-program sign-in and phone binding against the fake WeChat server as a real process."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import jwt
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import text

from identity.app import create_app
from shared.auth import Identity, Role
from shared.uow import unit_of_work
from tests.identity.conftest import identity_settings
from tests.support.fakes import FakeServer, start_fake, stop_fake
from tests.support.identities import auth


@pytest.fixture(scope="module")
def wechat_fake() -> Iterator[FakeServer]:
    server = start_fake("fake_wechat")
    try:
        yield server
    finally:
        stop_fake(server)


def wechat_settings(database_url: str, fake: FakeServer) -> Any:
    return identity_settings(
        database_url,
        wechat_base_url=fake.url,
        abuse_limits={"sms_send": "5/minute", "sms_verify": "5/minute", "wechat_login": "1000/minute"},
    )


@pytest.fixture(scope="module")
async def wechat_app(database_url: str, wechat_fake: FakeServer) -> AsyncIterator[FastAPI]:
    app = create_app(wechat_settings(database_url, wechat_fake))
    async with LifespanManager(app):
        yield app


@pytest.fixture
async def client(wechat_app: FastAPI, wechat_fake: FakeServer) -> AsyncIterator[httpx.AsyncClient]:
    wechat_fake.reset()
    transport = httpx.ASGITransport(app=wechat_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://identity.test") as http:
        yield http


async def codes(fake: FakeServer, openid: str, **extra: str) -> dict[str, str]:
    async with httpx.AsyncClient(base_url=fake.url) as http:
        answer = await http.post("/_fake/codes", json={"openid": openid, **extra})
    assert answer.status_code == 201, answer.text
    minted: dict[str, str] = answer.json()
    return minted


async def fake_call(fake: FakeServer, path: str, body: dict[str, Any] | None = None) -> Any:
    async with httpx.AsyncClient(base_url=fake.url) as http:
        answer = await (http.post(path, json=body) if body is not None else http.get(path))
    return answer.json() if answer.content else None


def subject_of(pair: dict[str, Any]) -> str:
    sub: str = jwt.decode(pair["access_token"], options={"verify_signature": False})["sub"]
    return sub


def person(pair: dict[str, Any]) -> dict[str, str]:
    return auth(Identity(subject=subject_of(pair), roles=frozenset({Role.account})))


async def test_a_first_login_creates_the_account_and_the_next_finds_it(
    client: httpx.AsyncClient, wechat_fake: FakeServer, wechat_app: FastAPI
) -> None:
    first = await client.post(
        "/v1/auth/wechat/mini-program", json={"code": (await codes(wechat_fake, "o-alice"))["code"]}
    )
    assert first.status_code == 200, first.text
    assert first.headers["cache-control"] == "no-store"
    assert jwt.decode(first.json()["access_token"], options={"verify_signature": False})["roles"] == ["account"]
    again = await client.post(
        "/v1/auth/wechat/mini-program", json={"code": (await codes(wechat_fake, "o-alice"))["code"]}
    )
    assert subject_of(again.json()) == subject_of(first.json())
    async with unit_of_work(wechat_app) as uow:
        rows = (await uow.session.execute(text("SELECT * FROM identity.wechat_identity"))).mappings().all()
    assert len(rows) == 1 and rows[0]["openid"] == "o-alice"
    assert b"session" not in bytes(rows[0]["session_key_sealed"])  # sealed, not the key


async def test_a_unionid_joins_the_developer_s_other_app_to_the_same_account(
    client: httpx.AsyncClient, wechat_fake: FakeServer, wechat_app: FastAPI
) -> None:
    first = await client.post(
        "/v1/auth/wechat/mini-program", json={"code": (await codes(wechat_fake, "o-bob", unionid="u-bob"))["code"]}
    )
    async with unit_of_work(wechat_app) as uow:  # as if the other app had signed bob in
        await uow.session.execute(text("UPDATE identity.wechat_identity SET appid = 'wx-other-app'"))
    second = await client.post(
        "/v1/auth/wechat/mini-program", json={"code": (await codes(wechat_fake, "o-bob", unionid="u-bob"))["code"]}
    )
    assert subject_of(second.json()) == subject_of(first.json())


async def test_two_concurrent_first_logins_make_one_account(
    client: httpx.AsyncClient, wechat_fake: FakeServer, wechat_app: FastAPI
) -> None:
    minted = [(await codes(wechat_fake, "o-carol"))["code"] for _ in range(6)]
    answers = await asyncio.gather(*(client.post("/v1/auth/wechat/mini-program", json={"code": c}) for c in minted))
    assert {answer.status_code for answer in answers} == {200}
    assert len({subject_of(answer.json()) for answer in answers}) == 1
    async with unit_of_work(wechat_app) as uow:
        accounts = await uow.session.scalar(text("SELECT count(*) FROM identity.account"))
    assert accounts == 1


@pytest.mark.parametrize(
    ("code", "status", "problem"),
    [
        ("error-40029", 400, "WECHAT_CODE_INVALID"),
        ("error-40163", 400, "WECHAT_CODE_INVALID"),
        ("error-45011", 429, "WECHAT_RATE_LIMITED"),
        ("error-40226", 403, "WECHAT_USER_RISKY"),
        ("error--1", 503, "WECHAT_UNAVAILABLE"),
        ("never-minted", 400, "WECHAT_CODE_INVALID"),
    ],
)
async def test_wechat_s_refusals_are_problem_details(
    client: httpx.AsyncClient, wechat_app: FastAPI, code: str, status: int, problem: str
) -> None:
    answer = await client.post("/v1/auth/wechat/mini-program", json={"code": code})
    assert answer.status_code == status and answer.json()["code"] == problem, answer.text
    if status == 429:
        assert answer.headers["retry-after"] == "60"
    assert code not in answer.text
    async with unit_of_work(wechat_app) as uow:
        failed = await uow.session.scalar(
            text("SELECT count(*) FROM identity.audit_record WHERE action = 'login_failed'")
        )
    assert failed == 1


async def test_a_replayed_code_is_refused(client: httpx.AsyncClient, wechat_fake: FakeServer) -> None:
    code = (await codes(wechat_fake, "o-dave"))["code"]
    assert (await client.post("/v1/auth/wechat/mini-program", json={"code": code})).status_code == 200
    replayed = await client.post("/v1/auth/wechat/mini-program", json={"code": code})
    assert replayed.status_code == 400 and replayed.json()["code"] == "WECHAT_CODE_INVALID"


async def test_wechat_unreachable_is_503(database_url: str) -> None:
    settings = identity_settings(database_url, wechat_base_url="http://127.0.0.1:9")
    app = create_app(settings)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://identity.test") as http:
            answer = await http.post("/v1/auth/wechat/mini-program", json={"code": "abc"})
    assert answer.status_code == 503 and answer.json()["code"] == "WECHAT_UNAVAILABLE"


async def test_the_phone_wechat_vouches_for_is_bound_and_a_taken_one_is_409(
    client: httpx.AsyncClient, wechat_fake: FakeServer, wechat_app: FastAPI
) -> None:
    minted = await codes(wechat_fake, "o-erin", phone="13712345678")
    pair = (await client.post("/v1/auth/wechat/mini-program", json={"code": minted["code"]})).json()
    bound = await client.post("/v1/auth/wechat/phone", json={"code": minted["phone_code"]}, headers=person(pair))
    assert bound.status_code == 200 and bound.json()["phone_bound"] is True, bound.text
    assert "13712345678" not in bound.text
    async with unit_of_work(wechat_app) as uow:
        phone = await uow.session.scalar(text("SELECT phone FROM identity.account"))
        audit = await uow.session.scalar(
            text("SELECT detail::text FROM identity.audit_record WHERE action = 'phone_bound'")
        )
    assert phone == "+8613712345678" and "12345678" not in audit

    other = await codes(wechat_fake, "o-frank", phone="13712345678")
    other_pair = (await client.post("/v1/auth/wechat/mini-program", json={"code": other["code"]})).json()
    taken = await client.post("/v1/auth/wechat/phone", json={"code": other["phone_code"]}, headers=person(other_pair))
    assert taken.status_code == 409 and taken.json()["code"] == "PHONE_TAKEN", taken.text


async def test_a_foreign_number_cannot_be_bound(client: httpx.AsyncClient, wechat_fake: FakeServer) -> None:
    minted = await codes(wechat_fake, "o-gina", phone="2025550123", country_code="1")
    pair = (await client.post("/v1/auth/wechat/mini-program", json={"code": minted["code"]})).json()
    refused = await client.post("/v1/auth/wechat/phone", json={"code": minted["phone_code"]}, headers=person(pair))
    assert refused.status_code == 422 and refused.json()["code"] == "PHONE_NOT_MAINLAND"


async def test_two_replicas_fetch_the_app_s_access_token_once(
    database_url: str, wechat_fake: FakeServer, wechat_app: FastAPI
) -> None:
    wechat_fake.reset()
    second = create_app(wechat_settings(database_url, wechat_fake))
    async with LifespanManager(second):
        pairs = []
        for n, app in enumerate((wechat_app, second)):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://i.test") as http:
                minted = await codes(wechat_fake, f"o-replica-{n}", phone=f"1381234567{n}")
                pair = (await http.post("/v1/auth/wechat/mini-program", json={"code": minted["code"]})).json()
                pairs.append((app, pair, minted["phone_code"]))

        async def bind(app: FastAPI, pair: dict[str, Any], code: str) -> httpx.Response:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://i.test") as http:
                return await http.post("/v1/auth/wechat/phone", json={"code": code}, headers=person(pair))

        answers = await asyncio.gather(*(bind(*entry) for entry in pairs))
    assert [answer.status_code for answer in answers] == [200, 200], [a.text for a in answers]
    stats = await fake_call(wechat_fake, "/_fake/stats")
    assert stats["token_calls"] == 1, stats


async def test_a_stale_access_token_is_replaced_once(
    client: httpx.AsyncClient, wechat_fake: FakeServer, wechat_app: FastAPI
) -> None:
    minted = await codes(wechat_fake, "o-hank", phone="13912340000")
    pair = (await client.post("/v1/auth/wechat/mini-program", json={"code": minted["code"]})).json()
    async with unit_of_work(wechat_app) as uow:  # a token another replica fetched, now expired at WeChat
        await uow.session.execute(text("DELETE FROM identity.wechat_access_token"))
    await fake_call(wechat_fake, "/_fake/expire-tokens", {})
    wechat_app.state.wechat._tokens._memo = None
    bound = await client.post("/v1/auth/wechat/phone", json={"code": minted["phone_code"]}, headers=person(pair))
    assert bound.status_code == 200, bound.text


async def test_nothing_secret_in_logs_answers_or_audit(
    client: httpx.AsyncClient,
    wechat_fake: FakeServer,
    wechat_app: FastAPI,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    minted = await codes(wechat_fake, "o-ivy", phone="13911112222")
    signed = await client.post("/v1/auth/wechat/mini-program", json={"code": minted["code"]})
    await client.post("/v1/auth/wechat/phone", json={"code": minted["phone_code"]}, headers=person(signed.json()))
    service_logs = "\n".join(r.getMessage() for r in caplog.records if "/_fake/" not in r.getMessage())
    output = service_logs + capsys.readouterr().out
    async with unit_of_work(wechat_app) as uow:
        audit = " ".join(str(r) for r in (await uow.session.execute(text("SELECT * FROM identity.audit_record"))).all())
    session_keys = (await fake_call(wechat_fake, "/_fake/stats"))["session_keys"]
    assert session_keys
    for secret in (minted["code"], minted["phone_code"], signed.json()["refresh_token"], "13911112222", *session_keys):
        assert secret not in output and secret not in audit
    for secret in (minted["code"], *session_keys):
        assert secret not in signed.text
    assert str(uuid.UUID(subject_of(signed.json())))


def test_production_refuses_the_fakes_credentials() -> None:
    from identity.settings import Settings

    good = {
        "environment": "production",
        "internal_token_secret": "i" * 40,
        "key_encryption_secret": "k" * 40,
        "oidc_issuer": "",
        "sms_access_key_secret": "m" * 32,
        "wechat_appid": "wx1234567890abcdef",
        "wechat_secret": "w" * 32,
    }
    assert Settings.model_validate(good).wechat_appid == "wx1234567890abcdef"
    for field, value in (
        ("wechat_appid", "wx00000000fakeapp"),
        ("wechat_secret", "fake-wechat-app-secret"),
        ("sms_access_key_secret", "fake-sms-access-key-secret"),
    ):
        with pytest.raises(ValueError, match="fake"):
            Settings.model_validate({**good, field: value})


async def test_four_accounts_binding_one_number_at_once_one_wins(
    client: httpx.AsyncClient, wechat_fake: FakeServer, wechat_app: FastAPI
) -> None:
    people = []
    for n in range(4):
        minted = await codes(wechat_fake, f"o-race-{n}", phone="13955556666")
        pair = (await client.post("/v1/auth/wechat/mini-program", json={"code": minted["code"]})).json()
        people.append((pair, minted["phone_code"]))
    answers = await asyncio.gather(
        *(client.post("/v1/auth/wechat/phone", json={"code": code}, headers=person(pair)) for pair, code in people)
    )
    assert sorted(answer.status_code for answer in answers) == [200, 409, 409, 409], [a.text for a in answers]
    async with unit_of_work(wechat_app) as uow:
        holders = await uow.session.scalar(text("SELECT count(*) FROM identity.account WHERE phone = '+8613955556666'"))
    assert holders == 1
