"""`python -m identity.cli rotate-keys`: a new signing key signs at once; the old one verifies on."""

from __future__ import annotations

import asyncio
import json
import os

import typer

from identity.keys import service
from identity.settings import Settings
from shared.db import create_engine, create_sessionmaker
from shared.uow import unit_of_work

app = typer.Typer(help="Identity administration.", no_args_is_help=True)


class _Jobs:
    """The minimum a unit of work needs outside a web app: the sessionmaker and the settings."""

    def __init__(self, settings: Settings) -> None:
        self.state = type("State", (), {})()
        self.state.settings = settings
        self.engine = create_engine(settings.async_database_url, pool_size=1, max_overflow=0)
        self.state.engine = self.engine
        self.state.sessionmaker = create_sessionmaker(self.engine)


@app.command("rotate-keys")
def rotate_keys() -> None:
    """Retire the signing key and create a new one; prints the kids (never key material)."""
    settings = Settings()
    if not settings.database_url:
        from tools.devdb import server_url  # the embedded PostgreSQL of `make run`

        settings = Settings(database_url=server_url())

    async def run() -> dict[str, str | None]:
        jobs = _Jobs(settings)
        try:
            async with unit_of_work(jobs) as uow:
                rotation = await service.rotate(uow, actor=f"cli:{os.environ.get('USER', 'operator')}", source_ip=None)
            return rotation.model_dump()
        finally:
            await jobs.engine.dispose()

    print(json.dumps(asyncio.run(run())))


@app.command("noop", hidden=True)
def noop() -> None:
    """Keeps typer's sub-command form (a single command would become the program itself)."""


if __name__ == "__main__":
    app()
