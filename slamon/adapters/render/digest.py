"""The weekly digest as an email: a Chinese subject, a real plain-text part and an HTML part.

The HTML uses inline CSS only, tables for layout and bars drawn as nested ``div``s, so it needs
no image, no script and no web font; mail clients on a government network show it as is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from html import escape

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

FONT = "'Microsoft YaHei','PingFang SC','Noto Sans CJK SC','WenQuanYi Micro Hei',SimSun,sans-serif"
GREEN, RED, AMBER, GREY = "#15803d", "#b91c1c", "#b45309", "#e5e7eb"
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


def render_digest_text(d: Digest, tz: dt.tzinfo, quality: DataQuality | None = None) -> str:
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
    note = [f"数据说明：{quality.note(tz)}"] if quality else []
    lines += ["", *note, RULE_NOTE, "本邮件由 slamon 自动发送。"]
    return "\n".join(lines) + "\n"


# -- HTML ------------------------------------------------------------------------------------
def _bar(fraction: float, color: str, width: int = 110) -> str:
    pct = max(0.0, min(1.0, fraction)) * 100
    return (
        f'<div style="width:{width}px;height:10px;background:{GREY};border-radius:2px;display:inline-block;'
        f'vertical-align:middle"><div style="width:{pct:.1f}%;height:10px;background:{color};'
        f'border-radius:2px"></div></div>'
    )


def _card(label: str, value: str, note: str, color: str = "#111827") -> str:
    return (
        f'<td style="padding:12px 14px;background:#f9fafb;border:1px solid {GREY};width:20%;vertical-align:top">'
        f'<div style="font-size:12px;color:#6b7280">{escape(label)}</div>'
        f'<div style="font-size:24px;font-weight:bold;color:{color};margin:4px 0">{escape(value)}</div>'
        f'<div style="font-size:12px;color:#6b7280">{escape(note)}</div></td>'
    )


_TH = 'style="text-align:left;padding:6px 8px;border-bottom:2px solid #d1d5db;font-size:13px;color:#374151;white-space:nowrap"'
_TD = 'style="padding:6px 8px;border-bottom:1px solid #e5e7eb;font-size:13px;vertical-align:middle"'
_TDW = 'style="padding:6px 8px;border-bottom:1px solid #e5e7eb;font-size:13px;vertical-align:middle;white-space:nowrap"'
_TDN = 'style="padding:6px 8px;border-bottom:1px solid #e5e7eb;font-size:13px;text-align:right;white-space:nowrap"'


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


def _dept_row(row: DigestRow, max_overdue: int) -> str:
    r = row.current
    rate = r.on_time_rate
    rate_cell = (
        "—" if rate is None else f"{_bar(rate, GREEN if rate >= 0.9 else AMBER)} {_rate(rate)}"
    )
    over_cell = f"{_bar(r.overdue / max_overdue, RED, 80)} {r.overdue}" if r.overdue else "0"
    change = row.overdue_change
    change_color = RED if change > 0 else GREEN if change < 0 else "#6b7280"
    return (
        f"<tr><td {_TD}>{escape(r.provider_dept)}</td><td {_TDN}>{r.received}</td>"
        f"<td {_TDN}>{r.answered}</td><td {_TDN}>{r.on_time}</td>"
        f"<td {_TDW}>{rate_cell}</td>"
        f"<td {_TDW}>{over_cell}</td>"
        f"<td {_TDN}>{r.due_soon}</td><td {_TDN}>{r.returned}</td><td {_TDN}>{r.withdrawn}</td>"
        f'<td {_TDN}><span style="color:{change_color}">{escape(_signed(change))}</span></td></tr>'
    )


def _overdue_cell(days: int, max_days: int) -> str:
    if days <= 0:
        return escape(overdue_phrase(days))
    return f"{_bar(days / max_days, RED, 70)} {days}"


def render_digest_html(d: Digest, tz: dt.tzinfo, quality: DataQuality | None = None) -> str:
    c, p = d.total.current, d.total.previous
    warnings = "".join(
        f'<tr><td style="padding:10px 22px;background:#fef3c7;color:{AMBER};font-size:13px">'
        f"<strong>注意：</strong>{escape(w)}</td></tr>"
        for w in (quality.warnings if quality else ())
    )
    note = f"数据说明：{escape(quality.note(tz))}<br>" if quality else ""
    rate_color = GREEN if (c.on_time_rate or 0) >= 0.9 else AMBER
    cards = "".join(
        [
            _card("本周收到申请", str(c.received), f"上周 {p.received}"),
            _card("本周完成审批", str(c.answered), f"上周 {p.answered}"),
            _card(
                "按时审批率",
                _rate(c.on_time_rate),
                f"较上周 {_points(d.total.rate_change)}",
                rate_color,
            ),
            _card(
                "超期未审批",
                str(c.overdue),
                f"较上周 {_signed(d.total.overdue_change)}",
                RED if c.overdue else GREEN,
            ),
            _card(
                "即将到期",
                str(c.due_soon),
                "请提醒相关部门及时答复",
                AMBER if c.due_soon else "#111827",
            ),
        ]
    )
    max_overdue = max([r.current.overdue for r in d.rows] + [1])
    dept_rows = "".join(_dept_row(r, max_overdue) for r in d.rows) or (
        f'<tr><td {_TD} colspan="10">本周无有条件共享数据申请需要统计。</td></tr>'
    )
    heads = (
        "提供部门",
        "收到",
        "审批",
        "按时",
        "按时率",
        "超期未审批",
        "即将到期",
        "退回补正",
        "撤回",
        "超期较上周",
    )
    max_days = max([i.overdue_working_days for i in d.longest_overdue] + [1])
    overdue_rows = (
        "".join(
            f"<tr><td {_TD}>{escape(i.application_id)}</td><td {_TD}>{escape(i.provider_dept)}</td>"
            f"<td {_TD}>{escape(i.resource_name)}</td><td {_TD}>{escape(i.applicant_dept)}</td>"
            f"<td {_TDW}>{escape(chinese_date(i.started_at.astimezone(tz).date()))}</td>"
            f"<td {_TDW}>{escape(chinese_date(i.deadline_date))}</td>"
            f"<td {_TDW}>{_overdue_cell(i.overdue_working_days, max_days)}</td></tr>"
            for i in d.longest_overdue
        )
        or f'<tr><td {_TD} colspan="7">截至统计时无超期未审批的申请。</td></tr>'
    )
    overdue_heads = (
        "申请编号",
        "提供部门",
        "资源名称",
        "申请部门",
        "收到日期",
        "答复期限",
        "超期工作日",
    )
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{escape(subject(d))}</title></head>
<body style="margin:0;padding:0;background:#f3f4f6;font-family:{FONT};color:#111827">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f3f4f6"><tr><td align="center" style="padding:20px 8px">
<table role="presentation" width="900" cellpadding="0" cellspacing="0" style="max-width:900px;background:#ffffff;border:1px solid {GREY}">
<tr><td style="padding:18px 22px;background:#1e3a8a;color:#ffffff">
<div style="font-size:20px;font-weight:bold">{escape(TITLE)}</div>
<div style="font-size:13px;margin-top:4px">统计周期：{escape(d.week.label)}　统计截至：{escape(chinese_moment(d.current.as_of, tz))}</div>
</td></tr>
{warnings}
<tr><td style="padding:16px 22px"><table role="presentation" width="100%" cellpadding="0" cellspacing="6"><tr>{cards}</tr></table></td></tr>
<tr><td style="padding:4px 22px"><div style="font-size:16px;font-weight:bold;margin:8px 0">各提供部门情况</div>
<table width="100%" cellpadding="0" cellspacing="0" style="border-collapse:collapse">
<tr>{"".join(f"<th {_TH}>{escape(h)}</th>" for h in heads)}</tr>
{dept_rows}
</table></td></tr>
<tr><td style="padding:12px 22px"><div style="font-size:16px;font-weight:bold;margin:8px 0">超期时间最长的申请</div>
<table width="100%" cellpadding="0" cellspacing="0" style="border-collapse:collapse">
<tr>{"".join(f"<th {_TH}>{escape(h)}</th>" for h in overdue_heads)}</tr>
{overdue_rows}
</table></td></tr>
<tr><td style="padding:12px 22px 20px;font-size:12px;color:#6b7280">{note}{escape(RULE_NOTE)}<br>本邮件由 slamon 自动发送。</td></tr>
</table></td></tr></table>
</body></html>
"""


def render_digest(d: Digest, tz: dt.tzinfo, quality: DataQuality | None = None) -> RenderedDigest:
    """The digest mail; with ``quality``, the warnings on top and the data note at the end."""
    return RenderedDigest(
        subject(d),
        render_digest_text(d, tz, quality),
        render_digest_html(d, tz, quality),
        quality.warnings if quality else (),
    )
