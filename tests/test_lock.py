"""The locks CI and ``make demo``/``make test`` install from (``--require-hashes``) agree with
``pyproject.toml``: every declared dependency is pinned inside its bounds, with hashes, and the two
locks pin the same versions. A dependency added to pyproject.toml without ``make lock`` fails here.
"""

from __future__ import annotations

import importlib.metadata

import pytest
from lockfiles import RUNTIME_EXTRAS, RUNTIME_LOCK, TEST_LOCK, Pin, declared, read_lock
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

# Direct dependencies without an upper bound, each with its reason.
UNBOUNDED = {"tzdata": "zone data: a newer release is always the right one (the lock pins it)"}
UPPER_BOUND_OPERATORS = {"<", "<=", "==", "===", "~="}


def _extra_requirements(req: Requirement) -> list[Requirement]:
    """What ``name[extra]`` adds, read from the installed distribution's metadata."""
    added = []
    for text in importlib.metadata.requires(req.name) or []:
        dep = Requirement(text)
        if dep.marker and any(dep.marker.evaluate({"extra": e}) for e in req.extras):
            dep.marker = None  # evaluated here, with the extra
            added.append(dep)
    return added


def _problems(pins: dict[str, Pin], requirements: list[Requirement]) -> list[str]:
    problems = []
    for req in requirements:
        if req.marker and not req.marker.evaluate():
            continue
        pin = pins.get(canonicalize_name(req.name))
        if pin is None:
            problems.append(f"{req} is not in the lock")
        elif not req.specifier.contains(pin.version, prereleases=True):
            problems.append(f"{req} but the lock has {pin.version}")
        if req.extras:
            problems += _problems(pins, _extra_requirements(req))
    return problems


@pytest.mark.parametrize(
    ("lock", "extras"),
    [(RUNTIME_LOCK, RUNTIME_EXTRAS), (TEST_LOCK, ("test", *RUNTIME_EXTRAS))],
    ids=["requirements.lock", "requirements-test.lock"],
)
def test_every_declared_dependency_is_locked_within_its_bounds(lock, extras) -> None:  # noqa: ANN001
    problems = _problems(read_lock(lock), declared(*extras))
    assert not problems, f"run `make lock`: {problems}"


def test_the_two_locks_pin_the_same_versions() -> None:
    runtime, test = read_lock(RUNTIME_LOCK), read_lock(TEST_LOCK)
    assert len(runtime) > 20
    assert set(runtime) <= set(test), set(runtime) - set(test)
    differ = {n: (p.version, test[n].version) for n, p in runtime.items() if test[n] != p}
    assert not differ


def test_every_pin_carries_hashes_and_the_lock_names_its_platform() -> None:
    for lock in (RUNTIME_LOCK, TEST_LOCK):
        pins = read_lock(lock)
        assert [name for name, pin in pins.items() if not pin.hashes] == []
        header = lock.read_text(encoding="utf-8").split("\n", 4)[:4]
        assert any("Linux x86_64" in line and "CPython 3.11" in line for line in header), header


def test_every_direct_dependency_has_an_upper_bound() -> None:
    unbounded = [
        str(req)
        for req in declared("test", *RUNTIME_EXTRAS, build=False)
        if canonicalize_name(req.name) not in UNBOUNDED
        and not any(spec.operator in UPPER_BOUND_OPERATORS for spec in req.specifier)
    ]
    assert unbounded == []
