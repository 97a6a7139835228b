"""The light commands stay light (no database, mail, scheduler or docx import), and every command
is documented: a help text on the command and a mention in README.md."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from slamon.cli import app

REPO_ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("sqlalchemy", "sqlmodel", "yagmail", "apscheduler", "docx")

PROBE = """
import json, sys
from slamon.cli import main
try:
    main(sys.argv[1:])
    code = 0
except SystemExit as exc:
    code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
loaded = sorted({m.split(".")[0] for m in sys.modules} & set(HEAVY_NAMES))
sys.__stdout__.write("\\n@@PROBE@@" + json.dumps({"code": code, "heavy": loaded}) + "\\n")
""".replace("HEAVY_NAMES", repr(HEAVY))


@pytest.mark.parametrize(
    "argv",
    [
        ["deadline", "2024-10-01"],
        ["calendar", "2024"],
        ["rules"],
        ["check-config", "--now", "2026-10-01T10:00"],
        ["--help"],
    ],
    ids=["deadline", "calendar", "rules", "check-config", "help"],
)
def test_light_commands_do_not_import_heavy_modules(tmp_path, write_config, argv):
    write_config({"source": {"kind": "demo"}, "smtp": {"host": "127.0.0.1", "port": 9}})
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLAMON_")}
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *argv],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "@@PROBE@@" in proc.stdout, proc.stdout + proc.stderr
    result = json.loads(proc.stdout.rsplit("@@PROBE@@", 1)[1])
    assert result["code"] == 0, proc.stdout + proc.stderr
    assert result["heavy"] == []


def _commands(group, prefix: str = "slamon") -> list[tuple[str, object]]:
    """Every (full name, command) reachable from the app's click tree, sub-groups included."""
    found = []
    for name, cmd in sorted(group.commands.items()):
        if getattr(cmd, "hidden", False):
            continue
        full = f"{prefix} {name}"
        found.append((full, cmd))
        if getattr(cmd, "commands", None):
            found.extend(_commands(cmd, full))
    return found


COMMANDS = _commands(typer.main.get_command(app))


def test_the_foundation_commands_are_registered():
    names = {name for name, _ in COMMANDS}
    assert {"slamon deadline", "slamon calendar", "slamon rules", "slamon check-config"} <= names


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[n for n, _ in COMMANDS])
def test_every_command_has_help(name, command):
    text = (command.help or command.short_help or "").strip()
    assert text, f"{name} has no help text (docstring)"


_README = REPO_ROOT / "README.md"


def test_every_command_is_in_the_readme():
    text = _README.read_text(encoding="utf-8")
    missing = [name for name, _ in COMMANDS if name not in text]
    assert missing == []
