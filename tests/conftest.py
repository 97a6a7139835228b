"""Shared fixtures for the whole suite: timezone, calendar, rules and an in-process CLI runner.

Kept generic on purpose: database, SMTP and other fixtures live in their own conftest plugins.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from slamon.adapters.yaml_files import load_rules
from slamon.core.calendar import WorkCalendar, build_calendar
from slamon.core.rules import RuleSet

pytest_plugins = ["dbservers", "platformhelpers", "smtpserver"]

REPO_ROOT = Path(__file__).resolve().parent.parent
RULES_DIR = REPO_ROOT / "slamon" / "data" / "rules"


@pytest.fixture(scope="session")
def tz() -> ZoneInfo:
    return ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="session")
def calendar() -> WorkCalendar:
    """The package calendar (no calendar files), built once per session."""
    return build_calendar()


@pytest.fixture(scope="session")
def ruleset() -> RuleSet:
    """The shipped rules with guizhou-2023 active, as the default configuration has it."""
    return RuleSet(load_rules(RULES_DIR), ("guizhou-2023",))


@dataclass(frozen=True)
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[..., Path]:
    """Write a config.yaml into ``tmp_path`` (or ``folder``) from a mapping or raw YAML text."""

    def write(
        data: Mapping[str, Any] | str | None = None,
        folder: Path | None = None,
        name: str = "config.yaml",
    ) -> Path:
        target = (folder or tmp_path) / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if data is None:
            data = {}
        text = data if isinstance(data, str) else yaml.safe_dump(dict(data), allow_unicode=True)
        target.write_text(text, encoding="utf-8")
        return target

    return write


@pytest.fixture
def run_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., CliResult]:
    """Run ``slamon.cli.main(argv)`` in-process and capture stdout, stderr and the exit code.

    Runs in ``tmp_path`` with no ``SLAMON_*`` variables set, so a config.yaml lying around in the
    repository or the environment cannot leak in; pass ``config=`` to use a config file.
    Console output is laid out 200 columns wide, so rich tables do not wrap cell text.
    """
    for name in list(os.environ):
        if name.startswith("SLAMON_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    from slamon.cli import common

    # A fixed width whatever COLUMNS says (pytest-xdist workers set COLUMNS=80).
    for console in (common.console, common.err_console):
        monkeypatch.setattr(console, "_width", 200)

    def run(argv: Sequence[str], config: Path | str | None = None) -> CliResult:
        from slamon.cli import main

        args = [*(["--config", str(config)] if config is not None else []), *map(str, argv)]
        out, err = io.StringIO(), io.StringIO()
        code: int = 0
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main(args)
            except SystemExit as exc:
                if exc.code is None:
                    code = 0
                elif isinstance(exc.code, int):
                    code = exc.code
                else:  # sys.exit("message") means failure with that message
                    err.write(str(exc.code))
                    code = 1
        return CliResult(code, out.getvalue(), err.getvalue())

    return run
