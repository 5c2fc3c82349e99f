"""`python -m service_requests.calendar_cli`: --help, one-line errors, exit codes, and a real load."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from service_requests.calendar_cli import main

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "working-calendar.EXAMPLE.json"
TABLE: dict[str, Any] = {
    "year": 2027,
    "notice": "test table",
    "holidays": [{"date": "2027-01-01", "name": "元旦"}],
    "working_days": [{"date": "2027-02-20", "name": "调休"}],
}


def _file(tmp_path: Path, body: Any, name: str = "calendar.json") -> str:
    path = tmp_path / name
    path.write_text(body if isinstance(body, str) else json.dumps(body), encoding="utf-8")
    return str(path)


def _cli(*arguments: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "service_requests.calendar_cli", *arguments],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_help_and_usage_behave_like_a_command_line_tool() -> None:
    shown = _cli("--help")
    assert shown.returncode == 0
    assert "load" in shown.stdout and "exit codes" in shown.stdout
    assert _cli("load").returncode == 2  # no file named


def test_without_a_database_load_says_so_in_one_line(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.endswith("DATABASE_URL")}
    refused = _cli("load", _file(tmp_path, TABLE), env=env)
    assert refused.returncode == 3
    assert refused.stderr.strip().splitlines() == ["error: no database: set REQUESTS_DATABASE_URL or DATABASE_URL"]


def test_an_unreachable_database_is_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": "postgresql://nobody:secret@127.0.0.1:9/none"}
    env.pop("REQUESTS_DATABASE_URL", None)
    refused = _cli("load", _file(tmp_path, TABLE), env=env)
    assert refused.returncode == 3
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: database unreachable") and "secret" not in lines[0]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({**TABLE, "working_days": [{"date": "2027-01-01"}]}, "CALENDAR_DAY_CONTRADICTORY at /working_days/0/date"),
        (
            {**TABLE, "holidays": [{"date": "2028-01-01", "name": "元旦"}]},
            "CALENDAR_DATE_OUTSIDE_YEAR at /holidays/0/date",
        ),
        ("{not json", "VALIDATION_FAILED"),
        ({"year": 2027}, "VALIDATION_FAILED: /holidays"),
    ],
)
def test_a_bad_file_is_refused_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], body: Any, expected: str
) -> None:
    assert main(["check", _file(tmp_path, body)]) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], lines


def test_a_missing_file_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(tmp_path / "absent.json")]) == 1
    assert "cannot read" in capsys.readouterr().err


def test_the_shipped_example_is_a_valid_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(EXAMPLE)]) == 0
    assert "EXAMPLE" in json.loads(EXAMPLE.read_text(encoding="utf-8"))["notice"]


def test_load_twice_needs_replace(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    path = _file(tmp_path, TABLE)
    assert main(["load", path]) == 0
    assert "2027 loaded (version 1)" in capsys.readouterr().out
    assert main(["load", path]) == 1
    assert "CALENDAR_YEAR_ALREADY_LOADED (use --replace)" in capsys.readouterr().err
    assert main(["load", path, "--replace"]) == 0
    assert "version 2" in capsys.readouterr().out
    assert main(["show", "2027"]) == 0
    assert json.loads(capsys.readouterr().out)["holidays"] == [{"date": "2027-01-01", "name": "元旦"}]
