"""``deploy/slamon.service`` as systemd reads it: ``systemd-analyze verify`` finds nothing to say
(an unknown or misspelt directive would be named), the offline security assessment rates its
exposure at most 3.0 (issue 22: it was 8.5 EXPOSED), the sandbox keeps the daemon's state in its
StateDirectory, and the command it starts is one the CLI accepts."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cihelpers import unavailable

REPO_ROOT = Path(__file__).resolve().parent.parent
UNIT = REPO_ROOT / "deploy" / "slamon.service"
INSTALLED_SLAMON = "/opt/slamon/venv/bin/slamon"  # README 部署: python3 -m venv /opt/slamon/venv
MAX_EXPOSURE = 3.0
_SCORE = re.compile(r"Overall exposure level for \S+: (\d+\.\d+) ")


@pytest.fixture(scope="module")
def analyze() -> str:
    found = shutil.which("systemd-analyze")
    if not found:
        unavailable("没有 systemd-analyze（apt-get install systemd）")
    return found


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SYSTEMD_COLORS": "0", "SYSTEMD_PAGER": ""}
    return subprocess.run(args, capture_output=True, text=True, env=env, timeout=60, check=False)


def _exposure(analyze: str, unit: Path) -> tuple[float, subprocess.CompletedProcess[str]]:
    threshold = f"--threshold={round(MAX_EXPOSURE * 10)}"
    r = _run([analyze, "security", "--offline=yes", threshold, "--no-pager", str(unit)])
    found = _SCORE.search(r.stdout)
    assert found, r.stdout + r.stderr
    return float(found[1]), r


def _service_settings(unit: Path) -> dict[str, list[str]]:
    """The [Service] section's settings, each key with its values in order (keys may repeat)."""
    settings: dict[str, list[str]] = {}
    section = ""
    for raw in unit.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("[") and line.endswith("]"):
            section = line
        elif section == "[Service]" and "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            settings.setdefault(key, []).append(value)
    return settings


def test_the_unit_is_rated_at_most_3(analyze: str) -> None:
    score, r = _exposure(analyze, UNIT)
    assert score <= MAX_EXPOSURE and r.returncode == 0, r.stdout


def test_the_rating_tells_a_bare_unit_apart(analyze: str, tmp_path: Path) -> None:
    """The same check rejects the unit without its hardening (so the test above can fail)."""
    bare = tmp_path / "slamon.service"
    kept = ("Type", "User", "Group", "WorkingDirectory", "EnvironmentFile", "ExecStart")
    lines = [f"{k}={v}" for k, vs in _service_settings(UNIT).items() if k in kept for v in vs]
    bare.write_text("[Service]\n" + "\n".join(lines) + "\n", encoding="utf-8")
    score, r = _exposure(analyze, bare)
    assert score > MAX_EXPOSURE and r.returncode != 0, r.stdout


def test_systemd_accepts_every_line_of_the_unit(analyze: str, tmp_path: Path) -> None:
    """``verify`` on a copy whose ExecStart is this environment's slamon (the installed path does
    not exist here, and verify checks that the program is executable)."""
    slamon = Path(sys.executable).with_name("slamon")
    assert slamon.is_file(), slamon
    text = UNIT.read_text(encoding="utf-8")
    assert text.count(f"ExecStart={INSTALLED_SLAMON} ") == 1
    copy = tmp_path / "slamon.service"
    copy.write_text(text.replace(f"ExecStart={INSTALLED_SLAMON} ", f"ExecStart={slamon} "), "utf-8")
    r = _run([analyze, "verify", str(copy)])
    about_unit = [line for line in (r.stdout + r.stderr).splitlines() if "slamon" in line]
    assert r.returncode == 0 and about_unit == [], r.stdout + r.stderr


def test_the_daemon_writes_only_its_state_directory() -> None:
    s = _service_settings(UNIT)
    assert s["ProtectSystem"] == ["strict"] and s["StateDirectory"] == ["slamon"]
    assert s["WorkingDirectory"] == ["/var/lib/slamon"]
    assert s["ReadWritePaths"] == ["-/etc/slamon/rules/calendar"]  # the web calendar import
    assert s["CapabilityBoundingSet"] == [""] and s["UMask"] == ["0077"]
    assert s["SystemCallFilter"][0] == "@system-service"
    assert s["MemoryDenyWriteExecute"] == ["yes"] and s["PrivateUsers"] == ["yes"]
    assert "Documentation" not in s and "Documentation=" not in UNIT.read_text(encoding="utf-8")


def test_the_unit_names_the_secrets_of_the_env_example() -> None:
    example = (REPO_ROOT / "deploy" / "slamon.env.example").read_text(encoding="utf-8")
    names = re.findall(r"^(SLAMON_[A-Z_]+)=", example, flags=re.MULTILINE)
    assert names, example
    text = UNIT.read_text(encoding="utf-8")
    assert [name for name in names if name not in text] == []
    assert _service_settings(UNIT)["EnvironmentFile"] == ["/etc/slamon/slamon.env"]


def test_the_command_the_unit_starts_is_one_the_cli_accepts(tmp_path: Path) -> None:
    (argv,) = _service_settings(UNIT)["ExecStart"]
    program, *args = argv.split()
    assert program == INSTALLED_SLAMON and args[-1] == "run", argv
    slamon = Path(sys.executable).with_name("slamon")
    r = subprocess.run(
        [str(slamon), *args, "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert r.returncode == 0 and "守护" in r.stdout, r.stdout + r.stderr
