"""Load the State Council's holiday notice into the working-day calendar.

    python -m service_requests.calendar_cli check FILE            validate a calendar file, no database
    python -m service_requests.calendar_cli load FILE [--replace] load it (a loaded year needs --replace)
    python -m service_requests.calendar_cli show [YEAR]           coverage, or one year's table, as JSON

Exit codes: 0 done; 1 the file or the load was refused (one line: the problem's code and detail);
2 usage; 3 no database configured or reachable. The database is `REQUESTS_DATABASE_URL` or `DATABASE_URL`.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import ArgumentError, DBAPIError

from service_requests.calendar import service
from service_requests.calendar.schemas import CalendarYearBody
from service_requests.settings import Settings
from shared.db import create_engine, create_sessionmaker, utcnow
from shared.errors import ProblemError
from shared.jsonutil import dumps
from shared.uow import UnitOfWork

CLI_SUBJECT = "cli:service_requests.calendar_cli"
REFUSED, USAGE, NO_DATABASE = 1, 2, 3


class Refused(Exception):
    """A one-line reason and the exit code."""

    def __init__(self, message: str, code: int = REFUSED) -> None:
        super().__init__(message)
        self.code = code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m service_requests.calendar_cli",
        description="The working-day calendar: holidays and make-up working days per year (docs/service-requests.md).",
        epilog="exit codes: 0 done, 1 refused, 2 usage, 3 no database",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="validate a calendar file without touching the database")
    check.add_argument("file", type=Path, help="a JSON calendar file (see docs/service-requests.md)")
    load = commands.add_parser("load", help="load a calendar file and recompute the open deadlines it touches")
    load.add_argument("file", type=Path, help="a JSON calendar file (see docs/service-requests.md)")
    load.add_argument("--replace", action="store_true", help="replace the year if it is already loaded")
    show = commands.add_parser("show", help="print the coverage, or one loaded year, as JSON")
    show.add_argument("year", type=int, nargs="?", help="a loaded year")
    return parser


def read_file(path: Path) -> CalendarYearBody:
    """The file as a validated body; `Refused` with the first problem."""
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise Refused(f"{path}: cannot read ({exc.strerror or type(exc).__name__})") from exc
    try:
        body = CalendarYearBody.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = "/" + "/".join(str(part) for part in first["loc"]) if first["loc"] else "the file"
        raise Refused(f"{path}: VALIDATION_FAILED: {where}: {first['msg']}") from exc
    try:
        service.validate(body)
    except ProblemError as exc:
        raise Refused(f"{path}: {_problem_line(exc)}") from exc
    return body


def _problem_line(error: ProblemError) -> str:
    pointers = [item.get("pointer") for item in error.errors or [] if item.get("pointer")]
    details = [item.get("detail") for item in error.errors or [] if item.get("detail")]
    where = f" at {pointers[0]}" if pointers else ""
    detail = f": {details[0]}" if details else ""
    return f"{error.code}{where}{detail}"


async def _with_session(action: Any) -> Any:
    settings = Settings()
    if not settings.database_url:
        raise Refused("no database: set REQUESTS_DATABASE_URL or DATABASE_URL", NO_DATABASE)
    try:
        engine = create_engine(settings.async_database_url, pool_size=1, max_overflow=0)
    except (ValueError, ArgumentError) as exc:
        raise Refused(f"the database URL is not a PostgreSQL URL ({type(exc).__name__})", NO_DATABASE) from exc
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            return await action(UnitOfWork(session, None))  # a CLI has no hot-path pool
    except (OSError, DBAPIError) as exc:  # never the URL or the server's text: they may hold a password
        raise Refused(f"database unreachable or not migrated ({type(exc).__name__})", NO_DATABASE) from exc
    finally:
        await engine.dispose()


async def run(arguments: argparse.Namespace) -> str:
    """What the command prints on success."""
    if arguments.command == "check":
        body = read_file(arguments.file)
        return f"{arguments.file}: {body.year} ok, {len(body.holidays)} holidays, {len(body.working_days)} working days"
    if arguments.command == "load":
        body = read_file(arguments.file)

        async def load(uow: UnitOfWork) -> Any:
            return await service.load_year(uow, body, loaded_by=CLI_SUBJECT, now=utcnow(), replace=arguments.replace)

        try:
            loaded = await _with_session(load)
        except ProblemError as exc:
            hint = " (use --replace)" if exc.code == "CALENDAR_YEAR_ALREADY_LOADED" else ""
            raise Refused(f"{arguments.file}: {_problem_line(exc)}{hint}") from exc
        return (
            f"{loaded.year} loaded (version {loaded.version}): {len(loaded.holidays)} holidays, "
            f"{len(loaded.working_days)} working days; {loaded.recomputed_requests} open requests recomputed"
        )

    async def show(uow: UnitOfWork) -> Any:
        if arguments.year is None:
            return await service.overview(uow, service.shanghai_today())
        return await service.read_year(uow, arguments.year)

    try:
        shown = await _with_session(show)
    except ProblemError as exc:
        raise Refused(_problem_line(exc)) from exc
    return dumps(shown.model_dump(mode="json")).decode()


def main(argv: list[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)  # exits 2 on bad usage, 0 on --help
    try:
        print(asyncio.run(run(arguments)))  # noqa: T201
    except Refused as refused:
        print(f"error: {refused}", file=sys.stderr)  # noqa: T201
        return refused.code
    return 0


if __name__ == "__main__":
    sys.exit(main())
