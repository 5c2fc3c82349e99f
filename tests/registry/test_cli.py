"""`python -m registry.cli import FILE`: the same all-or-nothing import, from a terminal."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import httpx

from tests.registry import factories
from tests.support.identities import admin, auth


async def _run(database_url: str | None, *args: str | Path) -> tuple[int, str]:
    env = {**os.environ, "PLATFORM_ENV": "test"}
    env.pop("REGISTRY_DATABASE_URL", None)
    env.pop("DATABASE_URL", None)
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "registry.cli",
        *(args if args and args[0] in ("--help", "import") else ("import", *args)),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    return process.returncode or 0, output.decode()


async def test_the_cli_imports_all_rows_or_reports_the_bad_ones(
    registry_app: httpx.AsyncClient, database_url: str, tmp_path: Path
) -> None:
    codes = [factories.uscc() for _ in range(2)]
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "统一社会信用代码,企业名称,法定代表人,行业门类\n"
        f"{codes[0]},杭州命令行一号有限公司,张三,I\n"
        f"{codes[1][:17]}I,杭州命令行二号有限公司,李四,I\n",
        encoding="utf-8",
    )
    code, output = await _run(database_url, bad)
    assert code == 1, output
    assert "USCC_INVALID" in output and "nothing imported" in output
    assert (await registry_app.get(f"/v1/enterprises?uscc={codes[0]}", headers=auth(admin()))).json()["items"] == []

    good = tmp_path / "good.csv"
    good.write_text(
        "\ufeff统一社会信用代码,企业名称,法定代表人,行业门类\n"
        + "".join(f"{c},杭州命令行{i}号有限公司,张三,I\n" for i, c in enumerate(codes)),
        encoding="utf-8",
    )
    code, output = await _run(database_url, good)
    assert code == 0, output
    assert "imported 2 enterprise(s)" in output
    for uscc in codes:
        found = await registry_app.get(f"/v1/enterprises?uscc={uscc}", headers=auth(admin()))
        assert len(found.json()["items"]) == 1


async def test_the_cli_says_in_one_line_what_is_missing(tmp_path: Path) -> None:
    path = tmp_path / "one.csv"
    path.write_text(f"统一社会信用代码,企业名称,法定代表人,行业门类\n{factories.uscc()},杭州一行有限公司,张三,I\n")
    code, output = await _run(None, path)
    assert code == 2 and "no database" in output and "Traceback" not in output

    unreachable = "postgresql://nobody:secret-word@/platform?host=/nonexistent-socket-dir"
    code, output = await _run(unreachable, path)
    assert code == 3 and "could not be reached" in output
    assert "Traceback" not in output and "secret-word" not in output

    code, output = await _run(None, "--help")
    assert code == 0 and "import" in output
