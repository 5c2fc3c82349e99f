"""Issue 16's acceptance story through the real gateway and processes, with no development token:
an admin created at the console signs in with password and TOTP; staff sign in through the OIDC
provider; representatives by SMS code; an employee through the WeChat mini-program, who joins with
the representative's invitation code. Each then does their work through the gateway."""

from __future__ import annotations

import datetime as dt
import os
import random
import subprocess
import sys
import urllib.parse
import uuid
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pyotp
import pytest

from registry.enterprises.uscc import make_uscc
from tests.e2e.conftest import RunningPlatform
from tests.e2e.test_sign_in import sms_sign_in
from tests.support.harness import ROOT

pytestmark = pytest.mark.e2e
PASSWORD = "correct horse battery staple 2026"


def bearer(pair: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {pair['access_token']}"}


def create_admin(platform: RunningPlatform, username: str) -> pyotp.TOTP:
    """What an operator does once at the console: the CLI reads the password from stdin."""
    done = subprocess.run(
        [sys.executable, "-m", "identity.cli", "create-admin", "--username", username],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        env={**platform.service_env, "PATH": os.environ.get("PATH", "/usr/bin:/bin")},
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    uri = done.stdout.strip().splitlines()[-1]
    return pyotp.TOTP(dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(uri).query))["secret"])


async def refreshed(client: httpx.AsyncClient, pair: dict[str, Any]) -> dict[str, Any]:
    """New grants reach the next access token."""
    answer = await client.post("/v1/auth/token", json={"refresh_token": pair["refresh_token"]})
    assert answer.status_code == 200, answer.text
    fresh: dict[str, Any] = answer.json()
    return fresh


async def oidc_sign_in(platform: RunningPlatform, client: httpx.AsyncClient, subject: str) -> dict[str, Any]:
    """Staff single sign-on: start, the provider's login page (the fake: a login hint), the callback."""
    provider = platform.fake_url("fake-oidc")
    async with httpx.AsyncClient() as browser:
        (
            await browser.post(f"{provider}/_fake/users", json={"subject": subject, "name": "社区工作人员"})
        ).raise_for_status()
        started = await client.post(
            "/v1/auth/oidc/start", json={"redirect_uri": "http://127.0.0.1:8000/staff/sso/callback"}
        )
        assert started.status_code == 200, started.text
        url = started.json()["authorization_url"] + "&" + urllib.parse.urlencode({"login_hint": subject})
        redirected = await browser.get(url)
    assert redirected.status_code == 302, redirected.text
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(redirected.headers["location"]).query))
    called_back = await client.post("/v1/auth/oidc/callback", json={"state": query["state"], "code": query["code"]})
    assert called_back.status_code == 200, called_back.text
    pair: dict[str, Any] = called_back.json()
    return pair


async def mini_program_sign_in(
    platform: RunningPlatform, client: httpx.AsyncClient, openid: str, phone: str
) -> dict[str, Any]:
    """wx.login's code to the platform, then the getPhoneNumber button's code to bind the phone."""
    async with httpx.AsyncClient(base_url=platform.fake_url("fake-wechat")) as wechat:
        codes = (await wechat.post("/_fake/codes", json={"openid": openid, "phone": phone})).json()
    signed = await client.post("/v1/auth/wechat/mini-program", json={"code": codes["code"]})
    assert signed.status_code == 200, signed.text
    pair: dict[str, Any] = signed.json()
    bound = await client.post("/v1/auth/wechat/phone", json={"code": codes["phone_code"]}, headers=bearer(pair))
    assert bound.status_code == 200 and bound.json()["phone_bound"] is True, bound.text
    return pair


async def test_people_sign_in_and_do_their_work_with_no_development_token(platform: RunningPlatform) -> None:
    run = uuid.uuid4().hex[:8]
    digits = f"{random.randrange(10**7):07d}"
    totp = create_admin(platform, f"ops-{run}")
    async with platform.client(timeout=30) as client:
        # The platform admin: password and the authenticator's code
        admin_login = await client.post(
            "/v1/auth/admin/session", json={"username": f"ops-{run}", "password": PASSWORD, "totp": totp.now()}
        )
        assert admin_login.status_code == 200, admin_login.text
        admin = bearer(admin_login.json())

        # ... registers a community, a tower and seven enterprises, each with its representative's phone
        community = await client.post(
            "/v1/communities",
            json={
                "code": f"SIGN-{run.upper()}",
                "name_zh": "登录示范社区",
                "name_en": "Sign-in community",
                "type": "business_building",
                "street": "长河街道",
            },
            headers=admin,
        )
        assert community.status_code == 201, community.text
        community_id = community.json()["id"]
        tower = await client.post(
            "/v1/buildings",
            json={
                "name": "登录示范大厦",
                "kind": "office_tower",
                "address": "杭州市滨江区江南大道 3 号",
                "community_id": community_id,
                "valid_from": "2020-01-01",
            },
            headers=admin,
        )
        assert tower.status_code == 201, tower.text
        rep_phones = [f"137{n}{digits}" for n in range(7)]
        enterprises = []
        for n, phone in enumerate(rep_phones):
            created = await client.post(
                "/v1/enterprises",
                json={
                    "uscc": make_uscc(random.randrange(10**9)),
                    "name": f"杭州登录示范{n}号科技有限公司",
                    "legal_representative": f"法人{n}",
                    "industry_section": "I",
                    "site": {"building_id": tower.json()["id"], "floor": str(n + 1), "valid_from": "2021-01-01"},
                    "representative": {"name": f"代表{n}", "phone": phone, "valid_until": "2027-12-31"},
                },
                headers=admin,
            )
            assert created.status_code == 201, created.text
            enterprises.append(created.json()["id"])

        # A community staff member signs in through the district's SSO; the admin grants the role
        staff_pair = await oidc_sign_in(platform, client, f"gov-staff-{run}")
        staff_account = (await client.get("/v1/accounts/me", headers=bearer(staff_pair))).json()["id"]
        granted = await client.post(
            f"/v1/accounts/{staff_account}/grants",
            json={"role": "community_staff", "community_id": community_id},
            headers=admin,
        )
        assert granted.status_code == 201, granted.text
        staff = bearer(await refreshed(client, staff_pair))
        me = (await client.get("/v1/auth/me", headers=staff)).json()
        assert "community_staff" in me["roles"] and me["community_ids"] == [community_id]

        # ... and publishes an employee service
        service_type = await client.post(
            "/v1/service-types",
            json={
                "community_id": community_id,
                "code": f"housing-{run}",
                "name_zh": "人才公寓申请",
                "name_en": "Talent housing",
                "category": "employee",
                "scenario": "life_service",
                "requester_roles": ["employee"],
                "form": [],
                "handler": {"kind": "community_staff"},
                "deadlines": {
                    "acknowledge": {"amount": 4, "unit": "working_hours"},
                    "resolve": {"amount": 5, "unit": "working_days"},
                },
            },
            headers=staff,
        )
        assert service_type.status_code == 201, service_type.text

        # The first enterprise's representative signs in by SMS: the registry names the phone
        rep_pair = await sms_sign_in(platform, client, rep_phones[0])
        rep = bearer(rep_pair)
        rep_me = (await client.get("/v1/auth/me", headers=rep)).json()
        assert "enterprise_rep" in rep_me["roles"] and rep_me["enterprise_id"] == enterprises[0], rep_me
        invitation = await client.post(
            f"/v1/accounts/enterprises/{enterprises[0]}/invitations", json={"expires_in_hours": 24}, headers=rep
        )
        assert invitation.status_code == 201, invitation.text

        # An employee signs in with the mini-program, binds a phone, joins with the code
        employee_pair = await mini_program_sign_in(platform, client, f"openid-{run}", f"1360{digits}")
        joined = await client.post(
            "/v1/auth/invitations/redeem", json={"code": invitation.json()["code"]}, headers=bearer(employee_pair)
        )
        assert joined.status_code == 200, joined.text
        employee = bearer(await refreshed(client, employee_pair))
        submitted = await client.post(
            "/v1/service-requests",
            json={"type_id": service_type.json()["id"], "description": "申请人才公寓一套"},
            headers={**employee, "Idempotency-Key": f"housing-{run}"},
        )
        assert submitted.status_code == 201, submitted.text
        mine = await client.get("/v1/service-requests", headers=employee)
        assert [item["id"] for item in mine.json()["items"]] == [submitted.json()["id"]]

        # The staff member works it
        accepted = await client.post(
            f"/v1/service-requests/{submitted.json()['id']}/transitions",
            json={"action": "accept", "reason": "已受理"},
            headers={**staff, "If-Match": f'"v{submitted.json()["version"]}"'},
        )
        assert accepted.status_code == 200 and accepted.json()["status"] == "accepted", accepted.text

        # An election: six representatives (each by SMS) nominate, staff run it, the first one votes
        today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
        election = await client.post(
            "/v1/elections",
            json={
                "community_id": community_id,
                "title": "登录示范社区治理委员会选举",
                "record_date": today.isoformat(),
                "rules": {"seats": 5},
                "objection_window_hours": 0,
            },
            headers={**staff, "Idempotency-Key": f"election-{run}"},
        )
        assert election.status_code == 201, election.text
        election_id = election.json()["id"]

        async def step(to: str) -> None:
            moved = await client.post(f"/v1/elections/{election_id}/transitions", json={"to": to}, headers=staff)
            assert moved.status_code == 200, moved.text

        await step("nomination")
        reps = [rep] + [bearer(await sms_sign_in(platform, client, phone)) for phone in rep_phones[1:6]]
        for n, who in enumerate(reps):
            nominated = await client.post(
                f"/v1/elections/{election_id}/candidates", json={"name": f"候选人{n}", "kind": "single"}, headers=who
            )
            assert nominated.status_code == 201, nominated.text
        await step("candidate_review")
        candidates = (await client.get(f"/v1/elections/{election_id}/candidates", headers=staff)).json()["items"]
        for candidate in candidates:
            reviewed = await client.post(
                f"/v1/elections/{election_id}/candidates/{candidate['id']}/reviews",
                json={"decision": "approve", "reason": "符合条件"},
                headers=staff,
            )
            assert reviewed.status_code == 200, reviewed.text
        for to in ("candidates_published", "roll_frozen", "voting_open"):
            await step(to)
        approved = [
            c["id"]
            for c in (await client.get(f"/v1/elections/{election_id}/candidates", headers=staff)).json()["items"]
        ]
        cast = await client.post(f"/v1/elections/{election_id}/ballots", json={"choices": approved[:5]}, headers=rep)
        assert cast.status_code == 201, cast.text
        # the employee is no representative: their ballot is refused
        refused = await client.post(
            f"/v1/elections/{election_id}/ballots", json={"choices": approved[:5]}, headers=employee
        )
        assert refused.status_code == 403, refused.text
