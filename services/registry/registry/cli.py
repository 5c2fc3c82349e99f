"""Operator commands: `python -m registry.cli import FILE` imports enterprises from CSV.

It applies exactly the rules of `POST /v1/enterprises/imports` (every row validated, all or
nothing) directly against the database, for files too large for one HTTP request.

Exit codes: 0 imported; 1 the file was refused (every bad row listed, nothing imported);
2 wrong usage (no such file, no database configured); 3 the database could not be reached.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from registry.enterprises.exceptions import ImportRejected
from registry.enterprises.imports import check, parse, store
from registry.settings import Settings
from shared.auth import Identity, Role
from shared.db import create_sessionmaker
from shared.uow import UnitOfWork

app = typer.Typer(add_completion=False, help="Registry operator commands.")
console = Console()
OPERATOR = Identity(subject="cli:registry-operator", roles=frozenset({Role.platform_admin}))


NO_DATABASE = 2
UNREACHABLE = 3


async def _import(content: str, database_url: str | None) -> int:
    try:
        settings = Settings(database_url=database_url) if database_url else Settings()
        engine = create_async_engine(settings.async_database_url)
    except ValueError:
        console.print(
            "[red]no database: pass --database-url or set REGISTRY_DATABASE_URL or DATABASE_URL"
            " (`make db-url` prints the development one)[/red]"
        )
        return NO_DATABASE
    try:
        with Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
        ) as progress:
            reading = progress.add_task("validating rows", total=None)
            parsed = parse(content)
            rows, errors = parsed.rows, parsed.errors
            progress.update(reading, total=len(rows) + len(errors), completed=len(rows) + len(errors))
            communities: dict[uuid.UUID, uuid.UUID] = {}
            async with create_sessionmaker(engine)() as session, session.begin():
                if parsed.codes or rows:
                    communities, more = await check(UnitOfWork(session, None), OPERATOR, parsed)
                    errors.extend(more)
                if errors or not rows:
                    raise ImportRejected(errors=sorted(errors, key=lambda item: item["row"]))
                writing = progress.add_task("importing", total=len(rows))
                stored = await store(
                    UnitOfWork(session, None), rows, communities, lambda done: progress.advance(writing, done)
                )
    except ImportRejected as rejected:
        table = Table("row", "field", "code", "reason", title="Nothing was imported")
        for item in rejected.errors:
            table.add_row(str(item["row"]), str(item.get("field", "")), item["code"], item["detail"])
        console.print(table)
        console.print(f"[red]{len({item['row'] for item in rejected.errors})} bad row(s); nothing imported[/red]")
        return 1
    except (OSError, DBAPIError) as failure:
        # one line, never the URL (it may hold a password)
        console.print(f"[red]the database could not be reached ({type(failure).__name__}); nothing imported[/red]")
        return UNREACHABLE
    finally:
        await engine.dispose()
    console.print(f"[green]imported {len(stored)} enterprise(s)[/green]")
    return 0


@app.callback()
def main() -> None:
    """Registry operator commands."""


@app.command("import")
def import_file(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="UTF-8 CSV file")],
    database_url: Annotated[str | None, typer.Option(help="Defaults to REGISTRY_DATABASE_URL / DATABASE_URL")] = None,
) -> None:
    """Import enterprises from CSV: all rows, or none with every bad row listed."""
    raise typer.Exit(asyncio.run(_import(file.read_text(encoding="utf-8-sig"), database_url)))


if __name__ == "__main__":
    app()
