"""Plain-text, Markdown and JSON renderings of the monthly report (and its 存在问题 section)."""

from __future__ import annotations

import json

from slamon.core.data_quality import EXEMPTION_HEADERS
from slamon.core.evidence import overdue_phrase
from slamon.core.formats import chinese_date, chinese_moment
from slamon.core.report_wording import (
    REPORT_TITLE,
    MonthlyReport,
)
from slamon.core.vocabulary import START_ESTIMATED

DETAIL_HEADERS = ("序号", "提供部门", "资源名称", "申请编号", "收到日期", "答复期限", "情况")
DETAIL_TITLE = "附：超期申请明细"
EXEMPTION_TITLE = "附：核实排除的申请"
NOTE_LABEL = "数据说明："
WARNING_LABEL = "注意："


def warnings(r: MonthlyReport) -> list[str]:
    return list(r.quality.warnings) if r.quality else []


def quality_note(r: MonthlyReport) -> str | None:
    """数据说明: what the figures rest on (None for a report built without the store)."""
    return None if r.quality is None else NOTE_LABEL + r.quality.note(r.tz)


def exemption_rows(r: MonthlyReport, compact: bool = False) -> list[tuple[str, ...]]:
    return r.quality.exemption_rows(r.tz, compact) if r.quality else []


def subtitle(r: MonthlyReport) -> str:
    f = r.figures
    return f"{f.month.year}年{f.month.month}月（统计截至{chinese_moment(f.as_of, r.tz)}）"


def detail_rows(r: MonthlyReport, compact: bool = False) -> list[tuple[str, ...]]:
    """One row per late application, for the appendix table (``compact``: dates as 2024-12-02,
    so a narrow table column never breaks one)."""
    day = (lambda d: d.isoformat()) if compact else chinese_date
    rows = []
    n = 0
    for g in r.figures.late:
        for i in g.items:
            n += 1
            late = i.overdue_working_days
            if i.answered:
                assert i.decided_at is not None
                answered = day(i.decided_at.astimezone(r.tz).date())
                state = f"{answered}审批，{overdue_phrase(late, answered=True)}"
            else:
                state = f"未审批，{overdue_phrase(late)}"
            if not i.calendar_official:
                state += "（期限按非官方日历推算）"
            rows.append(
                (
                    str(n),
                    g.provider_dept,
                    i.resource_name,
                    i.application_id,
                    day(i.started_at.astimezone(r.tz).date())
                    + ("（估计）" if START_ESTIMATED in i.flags else ""),
                    day(i.deadline_date),
                    state,
                )
            )
    return rows


def render_text(r: MonthlyReport, problems_only: bool = False) -> str:
    lines = [] if problems_only else [REPORT_TITLE, subtitle(r), ""]
    lines.extend(f"{WARNING_LABEL}{w}" for w in warnings(r))
    if warnings(r):
        lines.append("")
    for section in r.sections(problems_only):
        lines.append(section.heading)
        if section.subheading:
            lines.append(section.subheading)
        lines.extend(["　　" + section.text, ""])
    note = quality_note(r)
    if note:
        lines.extend(["　　" + note, ""])
    for title, rows in _appendices(r, problems_only):
        lines.append(title)
        lines.extend("  ".join(row) for row in rows)
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _appendices(r: MonthlyReport, problems_only: bool) -> list[tuple[str, list[tuple[str, ...]]]]:
    out = []
    rows = detail_rows(r)
    if rows and not problems_only:
        out.append((DETAIL_TITLE, rows))
    exempted = exemption_rows(r)
    if exempted:
        out.append((EXEMPTION_TITLE, exempted))
    return out


_MD_INLINE = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        **{c: "\\" + c for c in "\\`*_[]|~#"},
    }
)


def md_escape(text: str) -> str:
    """Platform text made inert in Markdown: no HTML (``<script>``), no emphasis (``**…**``),
    links, code, headings, lists or table cells (``|``) from data; line breaks become spaces."""
    return " ".join(text.splitlines()).translate(_MD_INLINE)


def _md_cell(text: str) -> str:
    return md_escape(text)


def render_markdown(r: MonthlyReport, problems_only: bool = False) -> str:
    lines = [] if problems_only else [f"# {REPORT_TITLE}", "", f"**{subtitle(r)}**", ""]
    lines.extend(f"> **{WARNING_LABEL}**{_md_cell(w)}\n" for w in warnings(r))
    level = "##" if not problems_only else "#"
    for section in r.sections(problems_only):
        lines.extend([f"{level} {section.heading}", ""])
        if section.subheading:
            lines.extend([f"{level}# {section.subheading}", ""])
        lines.extend([md_escape(section.text), ""])
    note = quality_note(r)
    if note:
        lines.extend([_md_cell(note), ""])
    for title, rows in _appendices(r, problems_only):
        headers = DETAIL_HEADERS if title == DETAIL_TITLE else EXEMPTION_HEADERS
        lines.extend([f"{level} {title}", ""])
        lines.append("| " + " | ".join(headers) + " |")
        lines.append("|" + "---|" * len(headers))
        lines.extend("| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows)
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def report_json(r: MonthlyReport, problems_only: bool = False) -> dict[str, object]:
    data = r.as_json()
    if problems_only:
        return {k: data[k] for k in ("month", "as_of", "late", "problems_text", "data_quality")}
    return data


def render_json(r: MonthlyReport, problems_only: bool = False) -> str:
    return json.dumps(report_json(r, problems_only), ensure_ascii=False, indent=2) + "\n"
