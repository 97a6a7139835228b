"""Shared CLI state and helpers: the loaded runtime, consoles, --now parsing, JSON output."""

from __future__ import annotations

import datetime as dt
import json
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len
from rich.console import Console
from rich.rule import Rule

from slamon.config import load_settings
from slamon.runtime import Runtime

if TYPE_CHECKING:
    from slamon.core.findings import Finding

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

# Output that is not a terminal (a file, a pipe, a cron mail) is laid out this wide: tables keep
# their natural width, so application ids and dates are never cut to fit 80 columns. What fills
# the width instead of fitting its content (a rule) is bounded there by RULE_WIDTH; panels are
# printed with expand=False.
UNLIMITED_WIDTH = 10_000
RULE_WIDTH = 80


def fit_consoles_to_output() -> None:
    """Full width when stdout/stderr is not a terminal; the terminal's width otherwise."""
    for c in (console, err_console):
        if not c.is_terminal:
            c.width = UNLIMITED_WIDTH


@dataclass
class _State:
    config_path: str | None = None
    runtime: Runtime | None = None
    verbose: bool = False

    def reset(self) -> None:
        self.config_path = None
        self.runtime = None
        self.verbose = False


state = _State()


def runtime() -> Runtime:
    """The runtime for this invocation, loading and validating the configuration once."""
    if state.runtime is None:
        state.runtime = Runtime(load_settings(state.config_path))
    return state.runtime


def config_findings() -> list[Finding]:
    """``check-config``'s first step: every error of the configuration's keys at once, each
    named by its key (a misspelt key with the nearest known one); none when it is valid."""
    from rich.markup import escape

    from slamon.config import configuration_errors
    from slamon.core.findings import ERROR, Finding

    found = []
    for e in configuration_errors(state.config_path):
        item = f"配置项 {e.key}" if e.key else "配置"
        message = e.sentence().removeprefix(f"{item}：")
        found.append(Finding(ERROR, escape(item), escape(message)))  # printed as rich markup
    return found


def now_option(value: str | None) -> dt.datetime:
    """``--now`` as an aware datetime; the real clock when not given."""
    rt = runtime()
    if value:
        from slamon.core.periods import check_year
        from slamon.core.times import parse_datetime

        at = parse_datetime(value, rt.tz)
        check_year(at.year, "时刻", value)  # year 1 or 9999: no week or month around it
        return at
    return dt.datetime.now(rt.tz)


def print_rule(title: str, style: str = "") -> None:
    """A headline rule: the terminal's width, or in a file or pipe RULE_WIDTH (wider only as
    far as the title needs)."""
    width = console.width
    if not console.is_terminal:
        width = min(width, max(RULE_WIDTH, cell_len(title) + 8))
    console.print(Rule(title, style=style), width=width)


def warn(message: str) -> None:
    err_console.print(message, markup=False, highlight=False, soft_wrap=True)


def print_json(data: Any) -> None:
    """JSON on stdout, every moment in the configured zone with its offset."""
    if state.runtime is not None:
        from slamon.core.formats import localize_json

        data = localize_json(data, state.runtime.tz)
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    sys.stdout.write("\n")
    sys.stdout.flush()
