"""Apply (or check) every service's migrations: `python -m tools.migrate [upgrade|check]`."""

from __future__ import annotations

import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from tools.devdb import ROOT, server_url

SERVICES = ("gateway", "registry", "service_requests", "elections", "grid", "identity", "notifications")


def config(service: str, database_url: str) -> Config:
    cfg = Config(str(Path(ROOT) / "alembic.ini"), ini_section=service)
    cfg.attributes["database_url"] = database_url
    return cfg


def upgrade_all(database_url: str) -> None:
    """Bring every service's schema to head; refuses a service with two heads."""
    for service in SERVICES:
        cfg = config(service, database_url)
        heads = ScriptDirectory.from_config(cfg).get_heads()
        if len(heads) > 1:
            raise SystemExit(f"{service}: migrations have {len(heads)} heads; merge them")
        command.upgrade(cfg, "head")


def check_all(database_url: str) -> None:
    """Fail when a service's models differ from its migrations."""
    for service in SERVICES:
        command.check(config(service, database_url))


if __name__ == "__main__":
    action = sys.argv[1] if len(sys.argv) > 1 else "upgrade"
    url = server_url()
    {"upgrade": upgrade_all, "check": check_all}[action](url)
    print(f"migrations: {action} done")
