"""Config sections parsed apart from :mod:`slamon.config.settings` (which stays small): the monthly
document's issuer and distribution lines, and the known-department list.

Each parser takes the section's reader (``slamon.config.reader.Reader``), so every error names the key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slamon.core.errors import ConfigError

# 报/送/发 (and 抄送), in the order the seed reports print them.
DISTRIBUTION_KEYS = ("报", "送", "发", "抄送")


@dataclass(frozen=True)
class ReportDocument:
    """How the monthly document names itself: 发文机关 and the closing lines."""

    issuer: str = "贵州省信息中心"
    distribution: tuple[tuple[str, str], ...] = ()  # (报, 省大数据局), (送, 省直各部门) ...
    printed_by: str | None = None  # 印发机关 line at the very end, e.g. 贵州省信息中心办公室
    charts: bool = False  # ``report.charts``: a trend figure in the DOCX appendix


@dataclass(frozen=True)
class FeedbackConfig:
    """The 核实 round before the monthly report (``report.feedback_working_days``,
    ``report.draft_day``)."""

    working_days: int = 2  # the departments answer within this many working days of the mail
    draft_day: int | None = None  # the daemon sends the draft on this working day of the next month


def parse_feedback(reader: Any) -> FeedbackConfig:
    """``report.feedback_working_days`` (1–20) and ``report.draft_day`` (null, or 1–20)."""
    working_days = reader.integer("feedback_working_days", FeedbackConfig.working_days, 1, 20)
    raw = reader.data.get("draft_day")
    draft_day = None if raw is None else reader.integer("draft_day", 0, 1, 20) or None
    return FeedbackConfig(working_days=working_days, draft_day=draft_day)


def parse_report_document(reader: Any) -> ReportDocument:
    issuer = reader.text("issuer", ReportDocument.issuer) or ReportDocument.issuer
    raw = reader.data.get("distribution") or {}
    if not isinstance(raw, dict):
        raise reader.fail("distribution", "应为 {报: ..., 送: ..., 发: ...} 映射")
    lines: list[tuple[str, str]] = []
    for key, value in raw.items():
        if key not in DISTRIBUTION_KEYS:
            raise ConfigError(
                f"应为 {' / '.join(DISTRIBUTION_KEYS)} 之一",
                key=f"report.distribution.{key}",
            )
        if isinstance(value, list):
            value = "、".join(str(v).strip() for v in value)
        if not isinstance(value, str) or not value.strip():
            raise ConfigError("应为非空文本", key=f"report.distribution.{key}", value=value)
        lines.append((key, value.strip()))
    lines.sort(key=lambda kv: DISTRIBUTION_KEYS.index(kv[0]))
    return ReportDocument(
        issuer=issuer,
        distribution=tuple(lines),
        printed_by=reader.text("printed_by", None),
        charts=reader.boolean("charts", ReportDocument.charts),
    )


def parse_departments(value: Any) -> tuple[str, ...]:
    """``departments:``: a list of the known department names (besides contacts and aliases)."""
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError("应为部门名称列表", key="departments", value=value)
    return tuple(dict.fromkeys(v.strip() for v in value))
