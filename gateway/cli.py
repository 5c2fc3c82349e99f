"""`python -m gateway.cli`: dev tokens, partners and their API keys, the local signing keys."""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from sqlalchemy.exc import IntegrityError

from gateway.devkeys import ensure_dev_keys
from gateway.settings import Settings
from gateway.tokens import mint_user_token
from shared.auth import Identity, Role
from shared.errors import ProblemError
from shared.uow import UnitOfWork

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_KEYS_DIR = ROOT / ".data" / "keys"
T = TypeVar("T")

app = typer.Typer(help="Gateway administration: dev tokens, partners, API keys.", no_args_is_help=True)
partner_app = typer.Typer(help="Partners (banks, MCN agencies).", no_args_is_help=True)
key_app = typer.Typer(help="Partner API keys.", no_args_is_help=True)
app.add_typer(partner_app, name="partner")
app.add_typer(key_app, name="key")


def _database_url() -> str:
    """`DATABASE_URL`; the project does not import `tools/`, so the embedded database of `make run`
    is named by its own command: `DATABASE_URL=$(.venv/bin/python -m tools.devdb)`."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        typer.echo(
            "set DATABASE_URL (for the embedded database: DATABASE_URL=$(.venv/bin/python -m tools.devdb))", err=True
        )
        raise typer.Exit(2)
    return url


def _in_transaction(work: Callable[[UnitOfWork], Awaitable[T]]) -> T:
    """Run `work` in one transaction, committed here (the CLI is its own unit of work)."""
    from shared.db import create_engine, create_sessionmaker

    async def run() -> T:
        settings = Settings(database_url=_database_url())
        engine = create_engine(settings.async_database_url, pool_size=1, max_overflow=0)
        try:
            async with create_sessionmaker(engine)() as session, session.begin():
                return await work(UnitOfWork(session, None))
        finally:
            await engine.dispose()

    try:
        return asyncio.run(run())
    except ProblemError as error:
        typer.echo(f"{error.code}: {error}", err=True)
        raise typer.Exit(1) from error
    except IntegrityError as error:
        typer.echo(f"refused by the database: {getattr(error.orig, 'constraint_name', None) or error.orig}", err=True)
        raise typer.Exit(1) from error


def _print(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2, default=str))


@app.command()
def keys(directory: Annotated[Path, typer.Option(help="Where the key pair lives")] = DEFAULT_KEYS_DIR) -> None:
    """Create the local ES256 key pair for dev tokens unless it exists; print its paths."""
    pair = ensure_dev_keys(directory)
    _print({"private_key": str(pair.private_key), "public_key": str(pair.public_key)})


@app.command()
def token(
    role: Annotated[list[Role], typer.Option("--role", "-r", help="Role (repeatable)")],
    subject: Annotated[str | None, typer.Option(help="The `sub` claim; random when omitted")] = None,
    name: Annotated[str | None, typer.Option(help="Display name")] = None,
    community: Annotated[list[uuid.UUID] | None, typer.Option(help="Community id (repeatable)")] = None,
    grid: Annotated[list[uuid.UUID] | None, typer.Option(help="Grid id (repeatable)")] = None,
    enterprise: Annotated[uuid.UUID | None, typer.Option(help="Enterprise id")] = None,
    partner: Annotated[uuid.UUID | None, typer.Option(help="Partner id")] = None,
    partner_kind: Annotated[str | None, typer.Option(help="bank or mcn")] = None,
    election: Annotated[list[uuid.UUID] | None, typer.Option(help="Election id (repeatable)")] = None,
    ttl: Annotated[int, typer.Option(help="Lifetime in seconds")] = 3600,
    key_dir: Annotated[Path, typer.Option(help="Directory of the dev key pair")] = DEFAULT_KEYS_DIR,
) -> None:
    """Mint a development JWT for any role and scopes (refused outside development and test)."""
    environment = os.environ.get("GATEWAY_ENVIRONMENT") or os.environ.get("PLATFORM_ENV", "development")
    if environment not in ("development", "test"):
        typer.echo("refused: dev tokens exist only when PLATFORM_ENV is development or test", err=True)
        raise typer.Exit(2)
    settings = Settings()
    if Role.service in role:
        typer.echo("refused: `service` is not a user role", err=True)
        raise typer.Exit(2)
    identity = Identity.model_validate(
        {
            "subject": subject or f"dev-{uuid.uuid4().hex[:12]}",
            "roles": role,
            "name": name,
            "community_ids": community or [],
            "grid_ids": grid or [],
            "enterprise_id": enterprise,
            "partner_id": partner,
            "partner_kind": partner_kind,
            "election_ids": election or [],
        }
    )
    pair = ensure_dev_keys(key_dir)
    print(
        mint_user_token(
            identity, pair.private_key, ttl_seconds=ttl, issuer=settings.jwt_issuer, audience=settings.jwt_audience
        )
    )


@partner_app.command("create")
def partner_create(
    kind: Annotated[str, typer.Option(help="bank or mcn")],
    name: Annotated[str, typer.Option(help="Partner name")],
    contact: Annotated[str, typer.Option(help="Contact person, e-mail or phone")],
) -> None:
    """Register a partner."""
    from gateway.partners import service
    from gateway.partners.schemas import PartnerCreate

    data = PartnerCreate.model_validate({"kind": kind, "name": name, "contact": contact})
    created = _in_transaction(lambda uow: service.create_partner(uow, data))
    _print(created.model_dump(mode="json"))


@partner_app.command("signing-key")
def partner_signing_key(
    partner_id: uuid.UUID,
    key_id: Annotated[str, typer.Option(help="The `keyid` the partner signs with")],
    public_key: Annotated[Path, typer.Option(help="Ed25519 public key, PEM file", exists=True, dir_okay=False)],
    required: Annotated[bool, typer.Option(help="Refuse the partner's unsigned requests")] = True,
) -> None:
    """Install the partner's RFC 9421 signing key (gateways apply it within GATEWAY_API_KEY_CACHE_SECONDS)."""
    from gateway.partners import service
    from gateway.partners.schemas import SigningKeyPut

    data = SigningKeyPut(key_id=key_id, public_key_pem=public_key.read_text(), required=required)
    updated = _in_transaction(lambda uow: service.set_signing_key(uow, partner_id, data))
    _print(updated.model_dump(mode="json"))


@key_app.command("create")
def key_create(partner_id: uuid.UUID) -> None:
    """Issue an API key for a partner; the key is printed once."""
    from gateway.partners import service

    created = _in_transaction(lambda uow: service.create_key(uow, partner_id))
    _print(created.model_dump(mode="json"))


@key_app.command("revoke")
def key_revoke(partner_id: uuid.UUID, key_id: str) -> None:
    """Revoke a key (running gateways refuse it within GATEWAY_API_KEY_CACHE_SECONDS)."""
    from gateway.partners import service

    revoked = _in_transaction(lambda uow: service.revoke_key(uow, partner_id, key_id))
    _print(revoked.model_dump(mode="json"))


if __name__ == "__main__":
    app()
