"""The evidence pages: 申请 (one application's explain evidence) and 核实排除 (exemptions), with
the operator's record and revoke actions. Wired to service/explain.py and service/exemptions.py."""

from __future__ import annotations

from typing import Any


def routes() -> list[Any]:
    return []
