"""The site install of README 部署 with no package index: a clean venv gets slamon and every locked
dependency from ``wheelhouse/`` alone (``pip install --no-index --find-links wheelhouse``), and runs.

``make wheelhouse`` (which needs the index) builds the folder; ``.ci/run`` runs it before the tests.
Without the folder, or with a slamon wheel built from other sources than this checkout, the tests
are skipped with the reason (under ``CI=true`` they fail). pip is started with no configuration
file and none of the machine's ``PIP_*`` variables, so no local mirror or extra index can help.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import venv
import zipfile
from pathlib import Path

import pytest
from cihelpers import unavailable
from lockfiles import RUNTIME_LOCK, read_lock
from packaging.utils import canonicalize_name

from slamon import __version__

pytestmark = pytest.mark.packaging

REPO_ROOT = Path(__file__).resolve().parent.parent
WHEELHOUSE = REPO_ROOT / "wheelhouse"
VENV_OWN = {"pip", "setuptools"}  # what `python3 -m venv` puts in a new environment itself


def _run(args: list[str], cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLAMON_", "PYTHON", "PIP_"))}
    env.update(PYTHONNOUSERSITE="1", PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1")
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def _stale_file(wheel: Path) -> str | None:
    """The first file of the package that differs between the wheel and this checkout."""
    with zipfile.ZipFile(wheel) as zf:
        packed = {n: zf.read(n) for n in zf.namelist() if n.startswith("slamon/")}
    sources = {
        p.relative_to(REPO_ROOT).as_posix()
        for p in (REPO_ROOT / "slamon").rglob("*.py")
        if "__pycache__" not in p.parts
    }
    for name in sorted(sources - set(packed)):
        return name
    for name, data in sorted(packed.items()):
        if not (REPO_ROOT / name).is_file() or (REPO_ROOT / name).read_bytes() != data:
            return name
    return None


def _wheel() -> Path:
    if not WHEELHOUSE.is_dir():
        unavailable("没有 wheelhouse/：先运行 make wheelhouse（需要软件包索引）")
    wheels = sorted(WHEELHOUSE.glob("slamon-*.whl"))
    if [w.name.split("-")[1] for w in wheels] != [__version__]:
        unavailable(
            f"wheelhouse/ 中没有唯一的 slamon {__version__} wheel：重新运行 make wheelhouse"
        )
    stale = _stale_file(wheels[0])
    if stale:
        unavailable(
            f"wheelhouse/ 中的 slamon wheel 不是由当前源码构建的（{stale}）：重新运行 make wheelhouse"
        )
    return wheels[0]


@pytest.fixture(scope="module")
def offline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin/ folder of a new venv into which the wheelhouse alone installed slamon."""
    _wheel()
    root = tmp_path_factory.mktemp("offline")
    started = time.perf_counter()
    venv.EnvBuilder(with_pip=True).create(root / "venv")
    pip = root / "venv" / "bin" / "pip"
    r = _run(
        [str(pip), "install", "--no-index", "--find-links", str(WHEELHOUSE)]
        + ["--quiet", "slamon[postgres,mysql]"],
        cwd=root,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    print(f"offline install: {time.perf_counter() - started:.1f} s")  # noqa: T201 (shown with -s)
    return root / "venv" / "bin"


def test_slamon_runs_from_the_offline_install(offline: Path, tmp_path: Path) -> None:
    r = _run([str(offline / "slamon"), "--version"], cwd=tmp_path)
    assert r.returncode == 0 and r.stdout.strip() == f"slamon {__version__}", r.stdout + r.stderr
    r = _run([str(offline / "slamon"), "deadline", "2024-12-03", "--json"], cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    (row,) = json.loads(r.stdout)
    assert row["deadline_date"] == "2024-12-10" and row["rule"] == "guizhou-2023"
    code = (
        "import json, slamon, psycopg, pymysql, matplotlib, alembic, multipart; "
        "print(json.dumps([slamon.__file__, psycopg.pq.__impl__]))"
    )
    r = _run([str(offline / "python"), "-c", code], cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    package_file, impl = json.loads(r.stdout)
    assert offline.parent in Path(package_file).parents  # the wheel, not the checkout
    assert impl == "binary"  # the postgres extra brought psycopg's binary build


def test_the_offline_install_holds_exactly_the_locked_versions(offline: Path) -> None:
    r = _run([str(offline / "pip"), "list", "--format=json"], cwd=offline)
    assert r.returncode == 0, r.stderr
    installed = {canonicalize_name(d["name"]): d["version"] for d in json.loads(r.stdout)}
    locked = {name: pin.version for name, pin in read_lock(RUNTIME_LOCK).items()}
    assert installed.pop("slamon") == __version__
    for name in VENV_OWN:  # the venv's own; setuptools is locked only to build the wheel
        installed.pop(name, None)
        locked.pop(name, None)
    assert installed == locked


def test_the_wheelhouse_passes_the_locks_hash_check(offline: Path) -> None:
    """README's check that the copied folder is intact: every file against the lock's hashes."""
    r = _run(
        [str(offline / "pip"), "install", "--dry-run", "--ignore-installed", "--no-index"]
        + ["--find-links", str(WHEELHOUSE), "--require-hashes", "--only-binary=:all:"]
        + ["-r", str(WHEELHOUSE / "requirements.lock")],
        cwd=offline,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Would install" in r.stdout and "slamon" not in r.stdout.split("Would install")[1]
