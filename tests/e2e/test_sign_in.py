"""Signing in through the real gateway and processes, with no development token anywhere: the
SMS code comes from the fake gateway's inbox, the tokens from the identity service's key set."""

from __future__ import annotations

import httpx

from tests.e2e.conftest import RunningPlatform


async def sms_sign_in(platform: RunningPlatform, client: httpx.AsyncClient, phone: str) -> dict[str, str]:
    """The mobile app's sign-in: ask for a code, read it from the (fake) phone, send it back."""
    sent = await client.post("/v1/auth/sms/codes", json={"phone": phone})
    assert sent.status_code == 202, sent.text
    async with httpx.AsyncClient(base_url=platform.fake_url("fake-sms")) as phone_inbox:
        messages = (await phone_inbox.get("/_fake/inbox", params={"phone": phone})).json()["messages"]
    signed = await client.post("/v1/auth/sms/session", json={"phone": phone, "code": messages[-1]["params"]["code"]})
    assert signed.status_code == 200, signed.text
    pair: dict[str, str] = signed.json()
    return pair


async def test_an_sms_sign_in_through_the_gateway_gives_tokens_the_gateway_accepts(platform: RunningPlatform) -> None:
    async with platform.client() as client:
        pair = await sms_sign_in(platform, client, "13911112222")
        bearer = {"Authorization": f"Bearer {pair['access_token']}"}
        me = await client.get("/v1/auth/me", headers=bearer)
        assert me.status_code == 200 and "account" in me.json()["roles"], me.text
        account = await client.get("/v1/accounts/me", headers=bearer)
        assert account.status_code == 200 and account.json()["phone_bound"] is True

        refreshed = await client.post("/v1/auth/token", json={"refresh_token": pair["refresh_token"]})
        assert refreshed.status_code == 200
        reused = await client.post("/v1/auth/token", json={"refresh_token": pair["refresh_token"]})
        assert reused.status_code == 401 and reused.json()["code"] == "REFRESH_TOKEN_REUSED"
        # the reuse signed the whole session out: the new refresh token is dead too
        dead = await client.post("/v1/auth/token", json={"refresh_token": refreshed.json()["refresh_token"]})
        assert dead.status_code == 401
