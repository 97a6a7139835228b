"""A valid rule file's data for tests that vary one field at a time."""

from __future__ import annotations

from typing import Any


def rule_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "测试规则",
        "instrument": "测试文号",
        "citation": "应自收到申请之日起5个工作日内予以答复。",
        "effective_from": "2020-01-01",
        "share_types": ["conditional"],
        "working_days": 5,
        "counting": {"start_day": "excluded", "ends_at": "24:00"},
    }
    data.update(overrides)
    return data
