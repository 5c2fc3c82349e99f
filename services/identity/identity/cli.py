"""Identity administration.

* `python -m identity.cli rotate-keys`: a new signing key signs at once; the old one verifies on.
* `python -m identity.cli create-admin --username U`: a platform administrator (password from stdin
  or a hidden prompt, never argv); prints the TOTP provisioning URI once.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys

import typer

from identity.admins import service as admins
from identity.admins.schemas import AdminCreated
from identity.keys import service
from identity.settings import Settings
from shared.db import create_engine, create_sessionmaker
from shared.errors import ProblemError
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


def _settings() -> Settings:
    settings = Settings()
    if not settings.database_url:
        from tools.devdb import server_url  # the embedded PostgreSQL of `make run`

        settings = Settings(database_url=server_url())
    return settings


@app.command("rotate-keys")
def rotate_keys() -> None:
    """Retire the signing key and create a new one; prints the kids (never key material)."""
    settings = _settings()

    async def run() -> dict[str, str | None]:
        jobs = _Jobs(settings)
        try:
            async with unit_of_work(jobs) as uow:
                rotation = await service.rotate(uow, actor=f"cli:{os.environ.get('USER', 'operator')}", source_ip=None)
            return rotation.model_dump()
        finally:
            await jobs.engine.dispose()

    print(json.dumps(asyncio.run(run())))


async def create_admin(
    settings: Settings, username: str, password: str, display_name: str | None = None
) -> AdminCreated:
    """The command's work, callable from a test: account, credential and `platform_admin` grant, one commit."""
    jobs = _Jobs(settings)
    try:
        async with unit_of_work(jobs) as uow:
            return await admins.create_admin(
                uow, username=username, password=password, display_name=display_name, granted_by="cli"
            )
    finally:
        await jobs.engine.dispose()


def _read_password() -> str:
    """One line from stdin when it is not a terminal (a pipe, a secret file), else a hidden prompt, twice."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@app.command("create-admin")
def create_admin_command(
    username: str = typer.Option(..., "--username", help="3-64 of a-z 0-9 . _ -"),
    display_name: str | None = typer.Option(None, "--display-name"),
) -> None:
    """Create a platform administrator. The password is read from stdin or a prompt (never an
    argument: argv is visible to every user of the machine). Prints the TOTP provisioning URI
    (otpauth://) once: scan it into an authenticator app; it is not shown again."""
    password = _read_password()
    try:
        created = asyncio.run(create_admin(_settings(), username, password, display_name))
    except ProblemError as error:
        typer.echo(f"refused: {error.code}: {error.title.en}", err=True)
        raise typer.Exit(code=1) from None
    print(json.dumps({"account_id": str(created.account_id), "username": created.username}))
    print(created.totp_provisioning_uri)


@app.command("noop", hidden=True)
def noop() -> None:
    """Keeps typer's sub-command form (a single command would become the program itself)."""


if __name__ == "__main__":
    app()
