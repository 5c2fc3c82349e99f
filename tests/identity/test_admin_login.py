"""Platform administrators: created by the CLI, signing in with password (argon2id) + TOTP.

Every wrong factor is the same 401; a TOTP code signs in once (the database decides, raced here);
five failures lock the credential; no password, code, secret or token reaches a log or the audit.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import time
import urllib.parse
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import jwt
import pyotp
import pytest
from fastapi import FastAPI

from identity import cli
from identity.admins.schemas import AdminCreated, AdminLoginRequest
from tests.identity.conftest import identity_settings
from tests.support.database import asyncpg_dsn

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery staple"
LOGIN = "/v1/auth/admin/session"


async def create(database_url: str, username: str, password: str = PASSWORD) -> tuple[AdminCreated, pyotp.TOTP]:
    created = await cli.create_admin(identity_settings(database_url), username, password)
    return created, totp_of(created.totp_provisioning_uri)


def totp_of(uri: str) -> pyotp.TOTP:
    parts = urllib.parse.urlsplit(uri)
    assert parts.scheme == "otpauth" and parts.netloc == "totp"
    query = dict(urllib.parse.parse_qsl(parts.query))
    assert query.get("digits", "6") == "6" and query.get("period", "30") == "30"
    return pyotp.TOTP(query["secret"])


async def fetch(database_url: str, query: str, *args: object) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        rows: list[asyncpg.Record] = await connection.fetch(query, *args)
    finally:
        await connection.close()
    return rows


async def login(client: httpx.AsyncClient, username: str, password: str, code: str) -> httpx.Response:
    return await client.post(LOGIN, json={"username": username, "password": password, "totp": code})


def without_trace(answer: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = answer.json()
    body.pop("trace_id", None)
    return body


def claims_of(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


async def test_the_cli_creates_an_admin_who_signs_in_with_password_and_totp(
    identity_service: FastAPI,
    identity_client: httpx.AsyncClient,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    created, totp = await create(database_url, "Ops-Admin")
    assert created.username == "ops-admin"
    assert totp.secret not in repr(created)
    assert "otpauth://totp/" in created.totp_provisioning_uri and "issuer=" in created.totp_provisioning_uri
    code = totp.now()
    answer = await login(identity_client, "ops-admin", PASSWORD, code)
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    pair = answer.json()
    claims = claims_of(pair["access_token"])
    assert claims["sub"] == str(created.account_id)
    assert claims["roles"] == ["account", "platform_admin"]

    stored = await fetch(
        database_url,
        "SELECT c.password_hash, c.totp_secret_sealed, c.failed_attempts, c.totp_last_step, g.role, g.source,"
        " g.granted_by, s.method FROM identity.admin_credential c JOIN identity.role_grant g USING (account_id)"
        " JOIN identity.session s USING (account_id)",
    )
    assert len(stored) == 1
    row = stored[0]
    assert row["password_hash"].startswith("$argon2id$") and PASSWORD not in row["password_hash"]
    assert totp.secret.encode() not in bytes(row["totp_secret_sealed"])
    assert (row["role"], row["source"], row["granted_by"], row["method"]) == (
        "platform_admin",
        "api",
        "cli",
        "admin_password_totp",
    )
    assert row["totp_last_step"] >= int(time.time() // 30) - 1
    audit = await fetch(database_url, "SELECT action, actor, detail::text AS detail FROM identity.audit_record")
    assert {row["action"] for row in audit} >= {"admin_created", "role_granted", "login"}

    written = " ".join(row["detail"] + row["actor"] for row in audit) + caplog.text + capsys.readouterr().out
    for secret in (PASSWORD, totp.secret, code, pair["access_token"], pair["refresh_token"]):
        assert secret not in written
    body = AdminLoginRequest(username="ops-admin", password=PASSWORD, totp=code)
    assert PASSWORD not in repr(body) and code not in repr(body) and totp.secret not in repr(created)


def test_the_cli_reads_the_password_from_stdin_never_from_argv(database_url: str) -> None:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": os.pathsep.join([str(ROOT / "services" / "identity"), str(ROOT)]),
        "PLATFORM_ENV": "test",
        "IDENTITY_DATABASE_URL": database_url,
        "LOG_JSON": "true",
    }
    command = [sys.executable, "-m", "identity.cli", "create-admin", "--username", "night-admin"]
    done = subprocess.run(
        command, input=PASSWORD + "\n", capture_output=True, text=True, env=env, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines[-1].startswith("otpauth://totp/")
    assert PASSWORD not in done.stdout + done.stderr
    totp_of(lines[-1])  # a usable provisioning URI
    accounts = asyncio.run(
        fetch(database_url, "SELECT username FROM identity.admin_credential WHERE username = 'night-admin'")
    )
    assert len(accounts) == 1

    # there is no way to put the password in argv
    refused = subprocess.run(
        [*command[:-1], "argv-admin", "--password", PASSWORD], capture_output=True, text=True, env=env, timeout=60
    )
    assert refused.returncode != 0
    # a second admin of the same name, a short password, a bad name: refused with the problem's code
    for username, password, code in (
        ("night-admin", PASSWORD, "ADMIN_USERNAME_TAKEN"),
        ("short-admin", "short", "ADMIN_PASSWORD_TOO_WEAK"),
        ("no spaces!", PASSWORD, "ADMIN_USERNAME_INVALID"),
    ):
        again = subprocess.run(
            [*command[:-1], username], input=password + "\n", capture_output=True, text=True, env=env, timeout=120
        )
        assert again.returncode == 1 and code in again.stderr, (username, again.stderr)
        assert password not in again.stdout + again.stderr
    count = asyncio.run(fetch(database_url, "SELECT count(*) AS n FROM identity.account"))
    assert count[0]["n"] == 1  # a refused creation leaves no account behind


async def test_wrong_password_wrong_totp_and_unknown_user_are_the_same_401(
    identity_service: FastAPI, identity_client: httpx.AsyncClient, database_url: str
) -> None:
    created, totp = await create(database_url, "same-answer")
    wrong_code = f"{(int(totp.now()) + 1) % 1_000_000:06d}"
    answers = [
        await login(identity_client, "same-answer", PASSWORD + "x", totp.now()),
        await login(identity_client, "same-answer", PASSWORD, wrong_code),
        await login(identity_client, "nobody-here", PASSWORD, totp.now()),
    ]
    assert [answer.status_code for answer in answers] == [401, 401, 401]
    bodies = [without_trace(answer) for answer in answers]
    assert bodies[0] == bodies[1] == bodies[2] and bodies[0]["code"] == "ADMIN_LOGIN_FAILED"
    assert {answer.headers.get("www-authenticate") for answer in answers} == {
        answers[0].headers.get("www-authenticate")
    }
    for answer in answers:
        assert PASSWORD not in answer.text

    reasons = await fetch(
        database_url,
        "SELECT detail->>'reason' AS reason, account_id, detail::text AS detail FROM identity.audit_record"
        " WHERE action = 'login_failed' ORDER BY at",
    )
    assert [row["reason"] for row in reasons] == ["wrong_password", "wrong_totp", "unknown_username"]
    assert reasons[2]["account_id"] is None and "nobody-here" not in reasons[2]["detail"]
    # all three factors are required
    for missing in ("username", "password", "totp"):
        body = {"username": "same-answer", "password": PASSWORD, "totp": totp.now()}
        del body[missing]
        assert (await identity_client.post(LOGIN, json=body)).status_code == 422


async def test_an_unknown_username_costs_about_a_password_check(
    identity_service: FastAPI, identity_client: httpx.AsyncClient, database_url: str
) -> None:
    await create(database_url, "timed-admin")

    async def seconds(username: str) -> float:
        started = time.perf_counter()
        answer = await login(identity_client, username, "not the password", "000000")
        assert answer.status_code == 401
        return time.perf_counter() - started

    await seconds("warm-up")  # the dummy hash is made on first use
    known = statistics.median([await seconds("timed-admin") for _ in range(3)])
    unknown = statistics.median([await seconds("nobody-at-all") for _ in range(3)])
    assert unknown > 0.4 * known, (unknown, known)


async def test_a_totp_code_signs_in_once(
    identity_service: FastAPI, identity_client: httpx.AsyncClient, database_url: str
) -> None:
    created, totp = await create(database_url, "replay-admin")
    code = totp.now()
    assert (await login(identity_client, "replay-admin", PASSWORD, code)).status_code == 200
    replayed = await login(identity_client, "replay-admin", PASSWORD, code)
    assert replayed.status_code == 401 and replayed.json()["code"] == "ADMIN_LOGIN_FAILED"
    # an earlier step's code (still inside the ±1 window) is refused too once a later one signed in
    earlier = totp.at(time.time() - 30)
    if earlier != code:
        assert (await login(identity_client, "replay-admin", PASSWORD, earlier)).status_code == 401
    reasons = await fetch(
        database_url, "SELECT detail->>'reason' AS reason FROM identity.audit_record WHERE action = 'login_failed'"
    )
    assert reasons and {row["reason"] for row in reasons} == {"totp_replayed"}


async def test_two_concurrent_sign_ins_with_one_code_exactly_one_succeeds(
    identity_service: FastAPI, identity_client: httpx.AsyncClient, database_url: str
) -> None:
    for attempt in range(5):
        username = f"race-admin-{attempt}"
        _, totp = await create(database_url, username)
        code = totp.now()
        answers = await asyncio.gather(*(login(identity_client, username, PASSWORD, code) for _ in range(2)))
        assert sorted(answer.status_code for answer in answers) == [200, 401], [answer.text for answer in answers]
    sessions = await fetch(database_url, "SELECT count(*) AS n FROM identity.session")
    assert sessions[0]["n"] == 5


async def test_five_failures_lock_the_credential_for_fifteen_minutes(
    identity_service: FastAPI, identity_client: httpx.AsyncClient, database_url: str
) -> None:
    created, totp = await create(database_url, "locked-admin")
    for _ in range(5):
        failed = await login(identity_client, "locked-admin", "guess " + uuid.uuid4().hex, totp.now())
        assert failed.status_code == 401
    locked = await login(identity_client, "locked-admin", PASSWORD, totp.now())  # right, but locked
    assert locked.status_code == 429 and locked.json()["code"] == "ADMIN_LOCKED"
    assert 890 <= int(locked.headers["retry-after"]) <= 900
    assert PASSWORD not in locked.text
    # a concurrent burst while locked changes nothing
    burst = await asyncio.gather(*(login(identity_client, "locked-admin", PASSWORD, totp.now()) for _ in range(3)))
    assert {answer.status_code for answer in burst} == {429}
    row = (
        await fetch(
            database_url,
            "SELECT failed_attempts, locked_until - now() > interval '14 minutes' AS long"
            " FROM identity.admin_credential",
        )
    )[0]
    assert row["failed_attempts"] == 5 and row["long"]

    # fifteen minutes later (the lock moved into the past): the right factors sign in, the count resets
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        await connection.execute("UPDATE identity.admin_credential SET locked_until = now() - interval '1 second'")
    finally:
        await connection.close()
    assert (await login(identity_client, "locked-admin", PASSWORD, totp.now())).status_code == 200
    after = await fetch(database_url, "SELECT failed_attempts, locked_until FROM identity.admin_credential")
    assert (after[0]["failed_attempts"], after[0]["locked_until"]) == (0, None)
    # after a lock ran out the count starts again: one failure does not lock
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        await connection.execute(
            "UPDATE identity.admin_credential SET failed_attempts = 5, locked_until = now() - interval '1 second'"
        )
    finally:
        await connection.close()
    assert (await login(identity_client, "locked-admin", "wrong once more", totp.now())).status_code == 401
    again = await fetch(database_url, "SELECT failed_attempts, locked_until FROM identity.admin_credential")
    assert (again[0]["failed_attempts"], again[0]["locked_until"]) == (1, None)


async def test_a_disabled_admin_cannot_sign_in(
    identity_service: FastAPI, identity_client: httpx.AsyncClient, database_url: str
) -> None:
    created, totp = await create(database_url, "gone-admin")
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        await connection.execute(
            "UPDATE identity.account SET status = 'disabled', disabled_at = now() WHERE id = $1", created.account_id
        )
    finally:
        await connection.close()
    refused = await login(identity_client, "gone-admin", PASSWORD, totp.now())
    assert refused.status_code == 403 and refused.json()["code"] == "ACCOUNT_DISABLED"
