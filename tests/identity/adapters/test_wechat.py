"""The WeChat adapter against the fake WeChat server, over real HTTP."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import httpx
import pytest

from bench.harness import free_port
from identity.adapters.wechat import MemoryAccessTokenStore, WeChatClient, WeChatError
from tools.fake_wechat import DEFAULT_APPID, DEFAULT_SECRET


def client(
    http: httpx.AsyncClient,
    base_url: str,
    *,
    secret: str = DEFAULT_SECRET,
    refresh_margin_seconds: float = 300.0,
    clock: Callable[[], float] = time.monotonic,
) -> WeChatClient:
    tokens = MemoryAccessTokenStore(refresh_margin_seconds=refresh_margin_seconds, clock=clock)
    return WeChatClient(http, base_url=base_url, appid=DEFAULT_APPID, secret=secret, tokens=tokens)


async def mint(http: httpx.AsyncClient, wechat: str, **user: str) -> dict[str, str]:
    """What the mini-program gets from wx.login() (and from the phone button, when `phone` is given)."""
    response = await http.post(f"{wechat}/_fake/codes", json=user)
    assert response.status_code == 201
    codes: dict[str, str] = response.json()
    return codes


async def next_error(http: httpx.AsyncClient, wechat: str, errcode: int) -> None:
    assert (await http.post(f"{wechat}/_fake/next-error", json={"errcode": errcode})).status_code == 204


async def token_calls(http: httpx.AsyncClient, wechat: str) -> int:
    return int((await http.get(f"{wechat}/_fake/stats")).json()["token_calls"])


async def test_a_login_code_gives_the_openid_unionid_and_a_session_key(http: httpx.AsyncClient, wechat: str) -> None:
    codes = await mint(http, wechat, openid="o-alice", unionid="u-alice")
    session = await client(http, wechat).code_to_session(codes["code"])
    assert (session.openid, session.unionid) == ("o-alice", "u-alice")
    assert len(session.session_key) >= 16
    assert session.session_key not in repr(session)


async def test_a_user_without_unionid_has_none(http: httpx.AsyncClient, wechat: str) -> None:
    codes = await mint(http, wechat, openid="o-bob")
    session = await client(http, wechat).code_to_session(codes["code"])
    assert (session.openid, session.unionid) == ("o-bob", None)


async def test_a_login_code_works_once(http: httpx.AsyncClient, wechat: str) -> None:
    codes = await mint(http, wechat, openid="o-carol")
    wechat_client = client(http, wechat)
    await wechat_client.code_to_session(codes["code"])
    with pytest.raises(WeChatError) as replayed:
        await wechat_client.code_to_session(codes["code"])
    assert (replayed.value.errcode, replayed.value.errmsg) == (40029, "invalid code")


async def test_a_made_up_code_is_invalid(http: httpx.AsyncClient, wechat: str) -> None:
    with pytest.raises(WeChatError) as refused:
        await client(http, wechat).code_to_session("never-issued")
    assert refused.value.errcode == 40029


@pytest.mark.parametrize(("errcode", "retry_after"), [(40029, None), (45011, 60), (40226, None), (-1, None)])
async def test_every_wechat_error_the_service_maps_reaches_it(
    http: httpx.AsyncClient, wechat: str, errcode: int, retry_after: int | None
) -> None:
    codes = await mint(http, wechat, openid="o-dave")
    await next_error(http, wechat, errcode)
    with pytest.raises(WeChatError) as refused:
        await client(http, wechat).code_to_session(codes["code"])
    assert (refused.value.errcode, refused.value.retry_after_seconds) == (errcode, retry_after)


async def test_a_special_code_answers_its_error(http: httpx.AsyncClient, wechat: str) -> None:
    with pytest.raises(WeChatError) as refused:
        await client(http, wechat).code_to_session("error-40226")
    assert refused.value.errcode == 40226


async def test_a_wrong_app_secret_is_refused(http: httpx.AsyncClient, wechat: str) -> None:
    codes = await mint(http, wechat, openid="o-erin")
    with pytest.raises(WeChatError) as refused:
        await client(http, wechat, secret="not-the-secret").code_to_session(codes["code"])
    assert refused.value.errcode == 40125


async def test_an_unreachable_wechat_is_system_busy(http: httpx.AsyncClient) -> None:
    with pytest.raises(WeChatError) as refused:
        await client(http, f"http://127.0.0.1:{free_port()}").code_to_session("any")
    assert refused.value.errcode == -1


async def test_a_phone_code_gives_a_mainland_number_without_country_code(http: httpx.AsyncClient, wechat: str) -> None:
    codes = await mint(http, wechat, openid="o-frank", phone="13800138000")
    assert await client(http, wechat).phone_number(codes["phone_code"]) == "13800138000"


async def test_a_number_abroad_keeps_its_country_code(http: httpx.AsyncClient, wechat: str) -> None:
    codes = await mint(http, wechat, openid="o-grace", phone="61234567", country_code="852")
    assert await client(http, wechat).phone_number(codes["phone_code"]) == "+85261234567"


async def test_a_phone_code_works_once(http: httpx.AsyncClient, wechat: str) -> None:
    codes = await mint(http, wechat, openid="o-heidi", phone="13900139000")
    wechat_client = client(http, wechat)
    await wechat_client.phone_number(codes["phone_code"])
    with pytest.raises(WeChatError) as replayed:
        await wechat_client.phone_number(codes["phone_code"])
    assert replayed.value.errcode == 40029


async def test_many_concurrent_calls_fetch_the_access_token_once(http: httpx.AsyncClient, wechat: str) -> None:
    users = [await mint(http, wechat, openid=f"o-{n}", phone=f"1350000{n:04d}") for n in range(20)]
    wechat_client = client(http, wechat)
    phones = await asyncio.gather(*(wechat_client.phone_number(codes["phone_code"]) for codes in users))
    assert phones == [f"1350000{n:04d}" for n in range(20)]
    assert await token_calls(http, wechat) == 1


async def test_the_access_token_is_refreshed_before_it_expires(http: httpx.AsyncClient, wechat: str) -> None:
    now = [1000.0]
    wechat_client = client(http, wechat, refresh_margin_seconds=300.0, clock=lambda: now[0])
    users = [await mint(http, wechat, openid=f"o-r{n}", phone=f"1360000{n:04d}") for n in range(3)]
    await wechat_client.phone_number(users[0]["phone_code"])
    now[0] += 7200 - 300 - 1  # one second before the margin: the cached token still serves
    await wechat_client.phone_number(users[1]["phone_code"])
    assert await token_calls(http, wechat) == 1
    now[0] += 2  # inside the margin, before WeChat's expiry: fetched anew
    await wechat_client.phone_number(users[2]["phone_code"])
    assert await token_calls(http, wechat) == 2


async def test_a_token_wechat_expired_early_is_fetched_again_once(http: httpx.AsyncClient, wechat: str) -> None:
    users = [await mint(http, wechat, openid=f"o-x{n}", phone=f"1370000{n:04d}") for n in range(2)]
    wechat_client = client(http, wechat)
    await wechat_client.phone_number(users[0]["phone_code"])
    assert (await http.post(f"{wechat}/_fake/expire-tokens")).status_code == 204
    assert await wechat_client.phone_number(users[1]["phone_code"]) == "13700000001"
    assert await token_calls(http, wechat) == 2


async def test_an_error_on_the_phone_call_reaches_the_caller(http: httpx.AsyncClient, wechat: str) -> None:
    codes = await mint(http, wechat, openid="o-ivan", phone="13500135000")
    wechat_client = client(http, wechat)
    await wechat_client.send_subscribe_message(openid="o-ivan", template_id="TPL", data={"thing1": "warm-up"})
    await next_error(http, wechat, 45011)
    with pytest.raises(WeChatError) as refused:
        await wechat_client.phone_number(codes["phone_code"])
    assert refused.value.errcode == 45011


async def test_a_subscribe_message_reaches_the_users_inbox(http: httpx.AsyncClient, wechat: str) -> None:
    await mint(http, wechat, openid="o-judy")
    await client(http, wechat).send_subscribe_message(
        openid="o-judy", template_id="TPL-REQUEST-DONE", data={"thing1": "办结", "date2": "2026-12-02"}, page="pages/r"
    )
    inbox = (await http.get(f"{wechat}/_fake/messages", params={"openid": "o-judy"})).json()["messages"]
    assert inbox == [
        {
            "openid": "o-judy",
            "template_id": "TPL-REQUEST-DONE",
            "page": "pages/r",
            "data": {"thing1": "办结", "date2": "2026-12-02"},
        }
    ]


async def test_a_subscribe_message_without_an_openid_is_refused(http: httpx.AsyncClient, wechat: str) -> None:
    with pytest.raises(WeChatError) as refused:
        await client(http, wechat).send_subscribe_message(openid="", template_id="TPL", data={"thing1": "x"})
    assert refused.value.errcode == 40003


VALID_DATA = {
    "thing1": "二十个字以内的事项描述",
    "phrase2": "已完成",
    "number3": "12.5",
    "character_string4": "REQ-2026_0042",
    "time5": "15:01",
    "time6": "2026年12月1日 15:01",
    "time7": "2026-12-01 15:01",
    "date8": "2026年12月1日",
    "date9": "2026-12-01",
    "name10": "张三",
    "phone_number11": "+86-13900001111",
    "amount12": "¥100.00",
}


async def test_values_that_fit_their_key_s_type_are_delivered(http: httpx.AsyncClient, wechat: str) -> None:
    await client(http, wechat).send_subscribe_message(openid="o-kim", template_id="TPL", data=VALID_DATA)
    inbox = (await http.get(f"{wechat}/_fake/messages", params={"openid": "o-kim"})).json()["messages"]
    assert [message["data"] for message in inbox] == [VALID_DATA]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("thing1", "x" * 21),
        ("phrase1", "六个字的短语"),
        ("number1", "12a"),
        ("number1", "1" * 33),
        ("character_string1", "has space"),
        ("time1", "25:00"),
        ("time1", "2026-12-01"),
        ("time1", "2026-13-01 10:00"),
        ("date1", "2026/12/01"),
        ("date1", "2026-02-30"),
        ("name1", "十一个字的名字超过了长度"),
        ("phone_number1", "1" * 18),
        ("phone_number1", "139 0000 1111"),
        ("amount1", "100 dollars"),
        ("color1", "red"),
    ],
)
async def test_a_value_that_does_not_fit_is_47003_and_not_delivered(
    http: httpx.AsyncClient, wechat: str, key: str, value: str
) -> None:
    with pytest.raises(WeChatError) as refused:
        await client(http, wechat).send_subscribe_message(
            openid="o-lee", template_id="TPL", data={"thing9": "fits", key: value}
        )
    assert refused.value.errcode == 47003 and key in refused.value.errmsg
    assert (await http.get(f"{wechat}/_fake/messages", params={"openid": "o-lee"})).json()["messages"] == []


async def test_a_restarted_fake_keeps_delivering_to_known_openids(http: httpx.AsyncClient) -> None:
    """A restart loses the inbox and the tokens only: the client fetches a token again and sends on."""
    from tools.fake_wechat import create_app as fake_wechat

    tokens = MemoryAccessTokenStore()
    for attempt in range(2):  # the same client against a first fake, then its restarted successor
        fake = httpx.AsyncClient(transport=httpx.ASGITransport(app=fake_wechat()), base_url="http://wechat.test")
        async with fake:
            wechat = WeChatClient(
                fake, base_url="http://wechat.test", appid=DEFAULT_APPID, secret=DEFAULT_SECRET, tokens=tokens
            )
            if attempt == 0:
                await mint(fake, "http://wechat.test", openid="o-mia")
            await wechat.send_subscribe_message(openid="o-mia", template_id="TPL", data={"thing1": f"第{attempt}条"})
            inbox = (await fake.get("/_fake/messages", params={"openid": "o-mia"})).json()["messages"]
        assert [message["data"] for message in inbox] == [{"thing1": f"第{attempt}条"}]
