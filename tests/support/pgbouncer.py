"""A real PgBouncer in transaction mode in front of the test PostgreSQL, started per test.

PgBouncer is a Debian package, not a wheel: `make test`'s set-up installs it (Makefile).
It refuses to run as root, so as root it runs as the user that owns the embedded server's data
(who can reach its Unix socket).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from tools.devdb import PGDATA, asyncpg_dsn


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_pgbouncer(database_url: str, workdir: Path, *, pool_size: int = 2) -> tuple[subprocess.Popen[bytes], str]:
    """Start PgBouncer on a free port in front of `database_url`; return it and its libpq URL."""
    binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    if not Path(binary).exists():
        raise RuntimeError("pgbouncer is not installed: run `make test` as root, or `apt-get install pgbouncer`")
    url = make_url(database_url)
    host = str(url.query.get("host") or url.host or "127.0.0.1")
    server = f"host={host} port={url.port or 5432} dbname={url.database}"
    if url.password:
        server += f" password={url.password}"
    user = url.username or "postgres"
    port = _free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "users.txt").write_text(f'"{user}" ""\n')
    config = workdir / "pgbouncer.ini"
    config.write_text(
        f"[databases]\n* = {server}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        f"auth_type = trust\nauth_file = {workdir / 'users.txt'}\n"
        f"pool_mode = transaction\ndefault_pool_size = {pool_size}\nmax_client_conn = 200\n"
        "logfile =\npidfile =\n"
    )
    command = [binary, str(config)]
    if os.geteuid() == 0:
        command[1:1] = ["-u", PGDATA.owner() if PGDATA.exists() else "postgres"]
    with (workdir / "pgbouncer.log").open("wb") as output:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=output)
    return process, f"postgresql://{user}@127.0.0.1:{port}/{url.database}"


@contextlib.asynccontextmanager
async def pgbouncer(database_url: str, workdir: Path, *, pool_size: int = 2) -> AsyncIterator[str]:
    """Yield a libpq URL of `database_url`'s database through a transaction-mode PgBouncer."""
    process, bounced = start_pgbouncer(database_url, workdir, pool_size=pool_size)
    try:
        await _wait_until_up(bounced, process)
        yield bounced
    finally:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=5)
        if process.poll() is None:
            process.kill()
            process.wait()


async def _wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    for _ in range(100):
        if process.poll() is not None:
            raise RuntimeError(f"pgbouncer exited with {process.returncode}: see pgbouncer.log beside its config")
        try:
            connection = await asyncpg.connect(asyncpg_dsn(url), statement_cache_size=0)
        except (OSError, asyncpg.PostgresError):
            await asyncio.sleep(0.05)
            continue
        await connection.close()
        return
    raise RuntimeError("pgbouncer did not start within 5 s")
