"""The package as an operator installs it: a wheel in a fresh virtual environment, run from a folder
that has nothing of the source tree in it.

The wheel is built from a copy of the sources (so no build/ or egg-info lands in the checkout)
with ``--no-build-isolation`` (offline). The fresh venv gets only the wheel; the dependencies are
borrowed from the test environment by a plain path entry, which does NOT process that
environment's .pth files, so the editable install of the checkout cannot leak in. Each test checks
that what ran came from the wheel.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

from slamon import __version__

pytestmark = pytest.mark.packaging

REPO_ROOT = Path(__file__).resolve().parent.parent


def _run(args: list[str], cwd: Path, timeout: int = 180) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLAMON_", "PYTHON"))}
    env["PYTHONNOUSERSITE"] = "1"
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin/ folder of a fresh venv holding the wheel built from this checkout."""
    root = tmp_path_factory.mktemp("wheel")
    src = root / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO_ROOT / name, src / name)
    shutil.copytree(
        REPO_ROOT / "slamon", src / "slamon", ignore=shutil.ignore_patterns("__pycache__")
    )
    dist = root / "dist"
    built = _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index"]
        + ["--quiet", "-w", str(dist), str(src)],
        cwd=root,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = dist.glob("slamon-*.whl")
    assert wheel.name.startswith(f"slamon-{__version__}-")

    env_dir = root / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    site = Path(
        _run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            cwd=root,
        ).stdout.strip()
    )
    # The dependencies, from the test environment: a path line only (no .pth processing there).
    (site / "zz_test_dependencies.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8"
    )
    inst = _run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps"]
        + ["--no-index", "--quiet", str(wheel)],
        cwd=root,
    )
    assert inst.returncode == 0, inst.stdout + inst.stderr
    return env_dir / "bin"


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    """A working folder with no config.yaml, no rules/ and no source tree."""
    cwd = tmp_path / "somewhere" / "else"
    cwd.mkdir(parents=True)
    return cwd


def test_the_wheel_carries_the_package_and_its_data(installed: Path, elsewhere: Path) -> None:
    r = _run(
        [
            str(installed / "python"),
            "-c",
            "import slamon, json; print(json.dumps(slamon.__file__))",
        ],
        cwd=elsewhere,
    )
    assert r.returncode == 0, r.stderr
    package_file = Path(json.loads(r.stdout))
    assert installed.parent in package_file.parents, package_file  # the wheel, not the checkout

    r = _run([str(installed / "slamon"), "--version"], cwd=elsewhere)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"slamon {__version__}"

    r = _run([str(installed / "slamon"), "rules", "--json"], cwd=elsewhere)
    assert r.returncode == 0, r.stderr
    rules = {row["id"]: row for row in json.loads(r.stdout)}
    assert {"guizhou-2023", "guizhou-2020", "national-2025"} <= set(rules)
    assert rules["guizhou-2023"]["active"] is True
    assert installed.parent in Path(rules["guizhou-2023"]["path"]).parents


def test_deadline_from_the_wheel(installed: Path, elsewhere: Path) -> None:
    r = _run([str(installed / "slamon"), "deadline", "2024-10-01", "--json"], cwd=elsewhere)
    assert r.returncode == 0, r.stderr
    (row,) = json.loads(r.stdout)
    # National Day week: 10-01..07 off, 10-12 (Saturday) a makeup working day.
    assert row["deadline_date"] == "2024-10-12"
    assert row["rule"] == "guizhou-2023"


def test_site_rules_folder_overrides_the_shipped_rule_by_id(
    installed: Path, elsewhere: Path
) -> None:
    site = elsewhere / "rules"
    site.mkdir()
    shipped = (REPO_ROOT / "slamon" / "data" / "rules" / "guizhou-2023.yaml").read_text("utf-8")
    site.joinpath("guizhou-2023.yaml").write_text(
        shipped.replace("working_days: 5 ", "working_days: 3 "), encoding="utf-8"
    )
    (elsewhere / "config.yaml").write_text("rules: {dir: rules}\n", encoding="utf-8")
    r = _run([str(installed / "slamon"), "deadline", "2024-10-08", "--json"], cwd=elsewhere)
    assert r.returncode == 0, r.stderr
    (row,) = json.loads(r.stdout)
    assert row["working_days"] == 3
    assert row["deadline_date"] == "2024-10-11"
    r = _run([str(installed / "slamon"), "rules", "--json"], cwd=elsewhere)
    rules = {row["id"]: row for row in json.loads(r.stdout)}
    assert Path(rules["guizhou-2023"]["path"]).parent == site
    assert installed.parent in Path(rules["national-2025"]["path"]).parents


def test_demo_from_the_wheel(installed: Path, elsewhere: Path) -> None:
    r = _run([str(installed / "slamon"), "demo", "--output", "out"], cwd=elsewhere, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "存在问题" in r.stdout
    out = elsewhere / "out"
    assert list((out / "mail").glob("*.eml")), sorted(p.name for p in out.rglob("*"))
    assert any(p.suffix == ".docx" for p in out.rglob("*"))


def test_the_wheel_carries_the_dashboard_templates_and_css(
    installed: Path, elsewhere: Path
) -> None:
    code = (
        "from pathlib import Path; from slamon.web import render, app; "
        "print(render.environment().get_template('login.html.j2').render(message=None, "
        "next='/', visitor=None, tz=None)[:400]); print((app.STATIC / 'app.css').is_file())"
    )
    r = _run([str(installed / "python"), "-c", code], cwd=elsewhere)
    assert r.returncode == 0, r.stderr
    assert "登录" in r.stdout and r.stdout.strip().endswith("True")


def test_every_command_runs_from_the_wheel_in_any_folder(installed: Path, elsewhere: Path) -> None:
    """A site folder with a config and nothing else: each command works from the installed wheel."""
    (elsewhere / "config.yaml").write_text(
        "store: {url: 'sqlite:///state/slamon.db'}\n"
        "source: {kind: demo}\n"
        "supervisors: [dsj@example.gov.cn]\n"
        "smtp: {host: 127.0.0.1, port: 9, timeout_seconds: 2}\n",
        encoding="utf-8",
    )
    (elsewhere / "state").mkdir()
    run_from = elsewhere / "sub"  # run from another folder: paths are relative to the config
    run_from.mkdir()
    cfg = ["--config", str(elsewhere / "config.yaml")]
    slamon = str(installed / "slamon")
    ok_commands = [
        ["calendar", "2024", "--json"],
        ["poll", "--now", "2025-01-02T10:00", "--json"],
        ["status", "--now", "2025-01-02T10:00", "--xlsx", "status.xlsx"],
        ["outbox", "--json"],
        ["report", "monthly", "--month", "2024-12", "--format", "docx", "--output", "r.docx"],
        ["report", "monthly", "--month", "2024-12", "--format", "xlsx", "--output", "r.xlsx"],
        ["report", "problems", "--month", "2024-12"],
        ["digest", "--week", "2024-W52", "--now", "2025-01-02T10:00", "--output", "d.html"],
        ["exemptions", "--json"],
    ]
    for argv in ok_commands:
        r = _run([slamon, *cfg, *argv], cwd=run_from)
        assert r.returncode == 0, (argv, r.stdout, r.stderr)
    for name in ("status.xlsx", "r.docx", "r.xlsx", "d.html"):
        assert (run_from / name).stat().st_size > 0, name
    assert (elsewhere / "state" / "slamon.db").is_file()
    assert not (run_from / "slamon.db").exists()
    r = _run([slamon, *cfg, "health", "--json"], cwd=run_from)  # no daemon: 1, for monitors
    assert r.returncode == 1 and json.loads(r.stdout)["ok"] is False, (r.stdout, r.stderr)
    r = _run([slamon, *cfg, "test-mail", "a@example.gov.cn"], cwd=run_from)
    assert r.returncode == 1 and r.stderr.startswith("错误：") and "127.0.0.1:9" in r.stderr


def test_the_wheel_carries_the_store_migrations_and_upgrades_an_old_store(
    installed: Path, elsewhere: Path
) -> None:
    """The revisions are in the wheel (no alembic.ini, no source tree) and ``store upgrade``
    from it brings a store of the previous release (its tables from the saved DDL) to head."""
    import sqlite3
    import zipfile

    (wheel,) = (installed.parent.parent / "dist").glob("slamon-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = sorted(
        p.relative_to(REPO_ROOT).as_posix()
        for p in (REPO_ROOT / "slamon" / "adapters" / "store" / "migrations").rglob("*.py")
    )
    assert len(shipped) >= 4 and set(shipped) <= names, set(shipped) - names

    ddl = (REPO_ROOT / "tests" / "data" / "store-0.1.0" / "sqlite.sql").read_text("utf-8")
    with sqlite3.connect(elsewhere / "slamon.db") as db:
        db.executescript("\n".join(x for x in ddl.splitlines() if not x.startswith("--")))
    (elsewhere / "config.yaml").write_text("source: {kind: none}\n", encoding="utf-8")
    slamon = str(installed / "slamon")
    refused = _run([slamon, "status"], cwd=elsewhere)
    assert refused.returncode == 1 and "请先运行 slamon store upgrade" in refused.stderr
    r = _run([slamon, "store", "upgrade"], cwd=elsewhere)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "已升级到结构版本" in r.stdout and (elsewhere / "slamon.db.bak-unversioned").is_file()
    r = _run([slamon, "status"], cwd=elsewhere)
    assert r.returncode == 0, r.stdout + r.stderr
