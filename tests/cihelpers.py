"""What a test needs from the machine: skipped with the reason where it is missing, except under
CI (``CI=true``), where ``.ci/run`` provides it and its absence is a failure."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def unavailable(reason: str) -> NoReturn:
    """Skip the test with ``reason``; under ``CI=true`` fail it instead."""
    if os.environ.get("CI") == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)
