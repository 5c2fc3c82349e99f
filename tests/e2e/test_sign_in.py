"""Signing in through the real gateway and processes, with no development token anywhere: the
SMS code comes from the fake gateway's inbox, the tokens from the identity service's key set."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time

import httpx
import jwt

from tests.e2e.conftest import RunningPlatform
from tests.support.identities import admin


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


async def test_a_disabled_account_is_refused_by_the_gateway_within_five_seconds(platform: RunningPlatform) -> None:
    async with platform.client() as client:
        pair = await sms_sign_in(platform, client, "13911113333")
        bearer = {"Authorization": f"Bearer {pair['access_token']}"}
        mine = await client.get("/v1/accounts/me", headers=bearer)
        assert mine.status_code == 200, mine.text
        account_id = mine.json()["id"]
        assert (await client.get("/v1/auth/me", headers=bearer)).status_code == 200  # cached by the gateway
        disabled = await client.post(f"/v1/accounts/{account_id}/disable", headers=platform.auth(admin()))
        assert disabled.status_code == 200, disabled.text
        started = time.monotonic()
        while (answer := await client.get("/v1/auth/me", headers=bearer)).status_code == 200:
            assert time.monotonic() - started < 5, "the gateway still accepts a disabled account's token"
            await asyncio.sleep(0.1)
        assert answer.status_code == 401 and answer.json()["code"] == "ACCOUNT_DISABLED"
        # and no new session: the refresh token died with the sessions
        refused = await client.post("/v1/auth/token", json={"refresh_token": pair["refresh_token"]})
        assert refused.status_code == 401


async def test_a_key_rotation_needs_no_restart(platform: RunningPlatform) -> None:
    async with platform.client() as client:
        before = await sms_sign_in(platform, client, "13911114444")
        rotated = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "identity.cli", "rotate-keys"],
            env={**platform.service_env, "PATH": os.environ.get("PATH", "/usr/bin:/bin")},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert rotated.returncode == 0, rotated.stderr
        after = await client.post("/v1/auth/token", json={"refresh_token": before["refresh_token"]})
        assert after.status_code == 200
        old_kid = jwt.get_unverified_header(before["access_token"])["kid"]
        new_kid = jwt.get_unverified_header(after.json()["access_token"])["kid"]
        assert old_kid != new_kid
        # the gateway verifies both: the new kid is fetched on sight, the old one verifies on
        for token in (before["access_token"], after.json()["access_token"]):
            me = await client.get("/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
            assert me.status_code == 200, (token == before["access_token"], me.text, rotated.stdout)
