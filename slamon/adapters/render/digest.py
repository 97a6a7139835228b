"""The weekly digest as an email: a Chinese subject, a real plain-text part and an HTML part.

The HTML part is the template ``templates/digest.html.j2`` (autoescaped): inline CSS only, tables
for layout and bars drawn as nested ``div``s, so it needs no image, no script and no web font;
mail clients on a government network show it as is. This module lays the figures out for it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from slamon.adapters.render.templating import template_environment
from slamon.adapters.render.trend_charts import Chart
from slamon.core.data_quality import DataQuality
from slamon.core.digest_figures import (
    DeptWeek,
    Digest,
    DigestRow,
    OverdueItem,
)
from slamon.core.evidence import overdue_phrase
from slamon.core.formats import chinese_date, chinese_moment
from slamon.core.vocabulary import START_EVENT_NAMES

if TYPE_CHECKING:
    from jinja2 import Template

GREEN, RED, AMBER = "#15803d", "#b91c1c", "#b45309"
INK, MUTED = "#111827", "#6b7280"  # a figure with no signal colour; an unchanged count
TITLE = "数据共享申请答复时限周报"
RULE_NOTE = (
    "统计口径：有条件共享数据申请；“收到”为提供方本周收到的申请，“审批”为本周完成的审批（含退回补正），"
    "“按时”为在答复期限内完成的审批；按时率＝按时审批次数÷（本周审批次数＋截至统计时超期未审批次数），"
    "超期未审批的申请计为未按时；“撤回”为本周撤回的申请，不计时限；"
    "超期与即将到期（在适用规则规定的提前工作日数内到期）按统计截至时刻计算；经核实排除的申请不计入。"
)


@dataclass(frozen=True)
class RenderedDigest:
    subject: str
    text: str
    html: str
    warnings: tuple[str, ...] = ()  # also said in the text: the CLI repeats them on stderr
    # trend charts the HTML shows as inline images (``src="cid:…"``, see :func:`content_id`)
    images: tuple[Chart, ...] = ()
    week: str = ""

    def html_with_data_uris(self) -> str:
        """The HTML with each ``cid:`` image as a data: URI (a browser, a saved file)."""
        html = self.html
        for c in self.images:
            html = html.replace(f'src="cid:{content_id(c, self.week)}"', f'src="{c.data_uri}"')
        return html


def content_id(chart: Chart, week: str) -> str:
    """The Content-ID (without angle brackets) of a chart in the digest of ``week``."""
    return f"{chart.key}.{week}@slamon"


def charts_text(charts: Sequence[Chart]) -> list[str]:
    """The charts' numbers as text lines (the plain-text part has no pictures)."""
    lines: list[str] = []
    for i, c in enumerate(charts):
        lines += ["", f"{_CN_ORDINALS[3 + i]}、{c.title}", "｜".join(c.headers)]
        lines += ["｜".join(r) for r in c.rows]
    return lines


_CN_ORDINALS = "一二三四五六七八九十"


def _rate(v: float | None) -> str:
    return "—" if v is None else f"{v * 100:.1f}%"


def _signed(n: int) -> str:
    return f"+{n}" if n > 0 else str(n) if n < 0 else "持平"


def _points(v: float | None) -> str:
    if v is None:
        return "—"
    pts = v * 100
    if abs(pts) < 0.05:
        return "持平"
    return f"{'+' if pts > 0 else ''}{pts:.1f}个百分点"


def subject(d: Digest) -> str:
    return f"{TITLE}：{d.week.label}"


# -- plain text ------------------------------------------------------------------------------
def _started(item: OverdueItem) -> str:
    """How the item's clock started: 收到 (the provider received it), or the event that did."""
    if item.start_event in (None, "received_at"):
        return "收到"
    return START_EVENT_NAMES.get(item.start_event, "起算")


def _lifecycle_lines(c: DeptWeek) -> list[str]:
    """Returned, withdrawn and held applications, each on its own line (only when there are any)."""
    lines = []
    if c.returned:
        lines.append(f"本周退回补正{c.returned}次。")
    if c.withdrawn:
        lines.append(f"本周申请方撤回或作废{c.withdrawn}次（不计入超期）。")
    if c.held:
        lines.append(f"数据存疑暂不判定{c.held}次（待平台数据更正后再统计）。")
    return lines


def render_digest_text(
    d: Digest, tz: dt.tzinfo, quality: DataQuality | None = None, charts: Sequence[Chart] = ()
) -> str:
    c, p = d.total.current, d.total.previous
    lines = [
        f"{TITLE}",
        f"统计周期：{d.week.label}",
        f"统计截至：{chinese_moment(d.current.as_of, tz)}",
        *(f"注意：{w}" for w in (quality.warnings if quality else ())),
        "",
        "一、总体情况",
        f"本周提供方收到有条件共享数据申请{c.received}次（上周{p.received}次），"
        f"完成审批{c.answered}次（上周{p.answered}次），其中按时审批{c.on_time}次，"
        f"按时率{_rate(c.on_time_rate)}（较上周{_points(d.total.rate_change)}）；"
        f"超期未审批{c.overdue}次（较上周{_signed(d.total.overdue_change)}），"
        f"即将到期{c.due_soon}次。",
        *_lifecycle_lines(c),
        "",
        "二、各提供部门情况",
    ]
    if not d.rows:
        lines.append("本周无有条件共享数据申请需要统计。")
    for i, row in enumerate(d.rows, start=1):
        r = row.current
        lines.append(
            f"{i}. {r.provider_dept}：收到{r.received}次，审批{r.answered}次"
            f"（其中退回补正{r.returned}次），按时{r.on_time}次，"
            f"按时率{_rate(r.on_time_rate)}；超期未审批{r.overdue}次（较上周{_signed(row.overdue_change)}），"
            f"即将到期{r.due_soon}次；撤回{r.withdrawn}次。"
        )
    lines += ["", "三、超期时间最长的申请"]
    if not d.longest_overdue:
        lines.append("截至统计时无超期未审批的申请。")
    for i, item in enumerate(d.longest_overdue, start=1):
        lines.append(
            f"{i}. {item.application_id}  {item.provider_dept}  “{item.resource_name}”（申请部门：{item.applicant_dept}），"
            f"{chinese_date(item.started_at.astimezone(tz).date())}{_started(item)}，答复期限{chinese_date(item.deadline_date)}，"
            f"{overdue_phrase(item.overdue_working_days)}。"
        )
    lines += charts_text(charts)
    note = [f"数据说明：{quality.note(tz)}"] if quality else []
    lines += ["", *note, RULE_NOTE, "本邮件由 slamon 自动发送。"]
    return "\n".join(lines) + "\n"


# -- HTML ------------------------------------------------------------------------------------
TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass(frozen=True)
class _Bar:
    pct: str  # the filled share of the bar, "0.0" to "100.0"
    color: str
    width: int  # px


@dataclass(frozen=True)
class _Cell:
    """A figure in a table cell, with a bar drawn before it when it has one."""

    text: str
    bar: _Bar | None = None


@dataclass(frozen=True)
class _Card:
    label: str
    value: str
    note: str
    color: str = INK


@dataclass(frozen=True)
class _DeptLine:
    current: DeptWeek
    rate: _Cell
    overdue: _Cell
    change: str
    change_color: str


@dataclass(frozen=True)
class _LateLine:
    item: OverdueItem
    started: str
    deadline: str
    late: _Cell


def _bar(fraction: float, color: str, width: int = 110) -> _Bar:
    return _Bar(f"{max(0.0, min(1.0, fraction)) * 100:.1f}", color, width)


def _cards(d: Digest) -> list[_Card]:
    c, p = d.total.current, d.total.previous
    rate_color = GREEN if (c.on_time_rate or 0) >= 0.9 else AMBER
    return [
        _Card("本周收到申请", str(c.received), f"上周 {p.received}"),
        _Card("本周完成审批", str(c.answered), f"上周 {p.answered}"),
        _Card(
            "按时审批率",
            _rate(c.on_time_rate),
            f"较上周 {_points(d.total.rate_change)}",
            rate_color,
        ),
        _Card(
            "超期未审批",
            str(c.overdue),
            f"较上周 {_signed(d.total.overdue_change)}",
            RED if c.overdue else GREEN,
        ),
        _Card(
            "即将到期",
            str(c.due_soon),
            "请提醒相关部门及时答复",
            AMBER if c.due_soon else INK,
        ),
    ]


def _dept_line(row: DigestRow, max_overdue: int) -> _DeptLine:
    r = row.current
    rate = r.on_time_rate
    rate_cell = (
        _Cell("—")
        if rate is None
        else _Cell(_rate(rate), _bar(rate, GREEN if rate >= 0.9 else AMBER))
    )
    over_cell = (
        _Cell(str(r.overdue), _bar(r.overdue / max_overdue, RED, 80)) if r.overdue else _Cell("0")
    )
    change = row.overdue_change
    change_color = RED if change > 0 else GREEN if change < 0 else MUTED
    return _DeptLine(r, rate_cell, over_cell, _signed(change), change_color)


def _late_line(item: OverdueItem, max_days: int, tz: dt.tzinfo) -> _LateLine:
    days = item.overdue_working_days
    late = (
        _Cell(overdue_phrase(days))
        if days <= 0
        else _Cell(str(days), _bar(days / max_days, RED, 70))
    )
    return _LateLine(
        item,
        chinese_date(item.started_at.astimezone(tz).date()),
        chinese_date(item.deadline_date),
        late,
    )


@cache
def _template() -> Template:
    return template_environment([TEMPLATES], keep_trailing_newline=True).get_template(
        "digest.html.j2"
    )


def render_digest_html(
    d: Digest, tz: dt.tzinfo, quality: DataQuality | None = None, charts: Sequence[Chart] = ()
) -> str:
    """The HTML part: templates/digest.html.j2 with the week's figures laid out for it."""
    max_overdue = max([r.current.overdue for r in d.rows] + [1])
    max_days = max([i.overdue_working_days for i in d.longest_overdue] + [1])
    return _template().render(
        subject=subject(d),
        title=TITLE,
        period=d.week.label,
        as_of=chinese_moment(d.current.as_of, tz),
        warnings=quality.warnings if quality else (),
        warning_color=AMBER,
        cards=_cards(d),
        dept_rows=[_dept_line(r, max_overdue) for r in d.rows],
        overdue_rows=[_late_line(i, max_days, tz) for i in d.longest_overdue],
        note=quality.note(tz) if quality else None,
        rule_note=RULE_NOTE,
        charts=[{"chart": c, "src": f"cid:{content_id(c, d.week.key)}"} for c in charts],
    )


def render_digest(
    d: Digest, tz: dt.tzinfo, quality: DataQuality | None = None, charts: Sequence[Chart] = ()
) -> RenderedDigest:
    """The digest mail; with ``quality``, the warnings on top and the data note at the end;
    with ``charts``, the trend pictures (inline, by Content-ID) each with its numbers."""
    return RenderedDigest(
        subject(d),
        render_digest_text(d, tz, quality, charts),
        render_digest_html(d, tz, quality, charts),
        quality.warnings if quality else (),
        tuple(c for c in charts if c.png),
        d.week.key,
    )
