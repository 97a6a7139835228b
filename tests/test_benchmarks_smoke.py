"""Every benchmark runs at ``--smoke`` size (seconds), so none rots: two of them called a
function that no longer existed and nothing noticed. Their figures are not asserted (speed is
measured by running them at full size, not here); that they run to the end is."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
SCRIPTS = sorted(p.name for p in BENCHMARKS.glob("bench_*.py"))


def test_every_benchmark_is_listed() -> None:
    assert len(SCRIPTS) >= 6, SCRIPTS


# The runs besides each benchmark's default one: (script, its other arguments).
VARIANTS = [("bench_poll.py", ("--incremental",))]  # steady state: idle, changed, poll --full


@pytest.mark.parametrize(
    ("script", "extra"),
    [(s, ()) for s in SCRIPTS] + VARIANTS,
    ids=[*SCRIPTS, *(f"{s}{''.join(e)}" for s, e in VARIANTS)],
)
def test_the_benchmark_runs_at_smoke_size(script: str, extra: tuple[str, ...]) -> None:
    env = {**os.environ, "PYTHONPATH": str(BENCHMARKS)}
    done = subprocess.run(
        [sys.executable, script, "--smoke", *extra],
        cwd=BENCHMARKS,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    assert done.stdout.strip(), "a benchmark prints its figures"
