"""Running slamon as a real process, the way an operator starts it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def spawn_slamon(config: Path, cwd: Path, *argv: str) -> subprocess.Popen:
    """``python -m slamon --config CONFIG ARGV…`` in ``cwd``, with no SLAMON_* variables of the
    test environment leaking in; stdout and stderr captured as text."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLAMON_")}
    return subprocess.Popen(
        [sys.executable, "-m", "slamon", "--config", str(config), *argv],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
