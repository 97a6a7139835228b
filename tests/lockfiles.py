"""Reading ``requirements.lock`` and ``requirements-test.lock`` (uv's ``pip compile`` output with
hashes) and the dependencies ``pyproject.toml`` declares, for the tests of the lock and of the
offline install."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO_ROOT = Path(__file__).resolve().parent.parent
RUNTIME_LOCK = REPO_ROOT / "requirements.lock"
TEST_LOCK = REPO_ROOT / "requirements-test.lock"
RUNTIME_EXTRAS = ("postgres", "mysql")  # what requirements.lock holds besides the runtime

_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")
_HASH = re.compile(r"--hash=sha256:([0-9a-f]{64})")


@dataclass(frozen=True)
class Pin:
    name: str  # canonical
    version: str
    hashes: tuple[str, ...]


def read_lock(path: Path) -> dict[str, Pin]:
    """Each ``name==version`` entry of a lock with the sha256 hashes that follow it."""
    pins: dict[str, Pin] = {}
    current: tuple[str, str] | None = None
    hashes: list[str] = []

    def close() -> None:
        if current is not None:
            pins[current[0]] = Pin(current[0], current[1], tuple(hashes))

    for line in path.read_text(encoding="utf-8").splitlines():
        pin = _PIN.match(line)
        if pin:
            close()
            current, hashes = (canonicalize_name(pin[1]), pin[2]), []
        hashes.extend(_HASH.findall(line))
    close()
    return pins


def declared(*extras: str, build: bool = True) -> list[Requirement]:
    """The runtime dependencies, those of the named extras and (``build``) the build system's
    requirements, which the locks hold too so that the project builds without an index."""
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    texts = list(project["project"]["dependencies"])
    for extra in extras:
        texts += project["project"]["optional-dependencies"][extra]
    if build:
        texts += project["build-system"]["requires"]
    return [Requirement(text) for text in texts]
