"""Excel workbooks (openpyxl): the ``status`` list and the monthly report's appendix.

Chinese headers, column widths set from the content (a CJK character counts two), the header row
frozen and filterable. Moments are real Excel date-times in the configured zone, to the second (no
offset: Excel has none; the zone is named in the sheet's title row); a deadline is its date, the
last day to answer; ids and department names are text.

Every text cell is a string cell that no spreadsheet evaluates (CWE-1236): names come from the
platform, and a resource called ``=HYPERLINK(...)`` must not become a live formula in Excel or WPS.
:func:`spreadsheet_text` is the one place that neutralises such text, as OWASP recommends.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from slamon.core.formats import chinese_date, chinese_moment
from slamon.core.vocabulary import SHARE_TYPE_NAMES, STAGE_NAMES

MOMENT_FORMAT = "yyyy-mm-dd hh:mm"
DATE_FORMAT = "yyyy-mm-dd"
MAX_WIDTH = 60
# A spreadsheet reads text starting with one of these as a formula (a TAB or CR before it, too).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(value: Any) -> Any:
    """``value`` as a spreadsheet cell that is shown, never evaluated: text starting with
    ``= + - @``, TAB or CR gets a leading apostrophe (OWASP); numbers, dates and None unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _append(ws: Any, values: Iterable[Any]) -> list[Any]:
    """Append one row of neutralised values; every text cell a string cell (openpyxl would make
    "#N/A" an error cell, and any "=..." a formula)."""
    row = [spreadsheet_text(v) for v in values]
    ws.append(row)
    for col, v in enumerate(row, start=1):
        if isinstance(v, str):
            ws.cell(ws.max_row, col).data_type = "s"
    return row


def _display_width(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, dt.datetime):
        return 16
    if isinstance(value, dt.date):
        return 10
    text = str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _local(v: dt.datetime | None, tz: dt.tzinfo) -> dt.datetime | None:
    """Local wall time to the second: Excel rounds fractions, and 23:59:59.999999 must never
    become the next day."""
    return v.astimezone(tz).replace(tzinfo=None, microsecond=0) if v is not None else None


def _sheet(wb: Any, title: str, note: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]):
    """One sheet: a note row, the header row (bold, frozen, filter), the rows; widths set."""
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(title)
    _append(ws, [note])
    ws["A1"].font = Font(bold=True)
    widths = [_display_width(h) for h in _append(ws, headers)]
    for values in rows:
        row = _append(ws, values)
        for i, v in enumerate(row):
            widths[i] = max(widths[i], _display_width(v))
    fill = PatternFill("solid", fgColor="DDEBF7")
    for cell in ws[2]:
        cell.font = Font(bold=True)
        cell.fill = fill
        cell.alignment = Alignment(horizontal="center", vertical="center")
    for col, width in enumerate(widths, start=1):
        letter = get_column_letter(col)
        ws.column_dimensions[letter].width = min(MAX_WIDTH, width + 2)
        for cell in ws[letter][2:]:
            if isinstance(cell.value, dt.datetime):
                cell.number_format = MOMENT_FORMAT
            elif isinstance(cell.value, dt.date):
                cell.number_format = DATE_FORMAT
            elif isinstance(cell.value, str):
                cell.number_format = "@"  # ids stay text (no 1.2E+17, no lost zeros)
    ws.freeze_panes = "A3"
    ws.auto_filter.ref = f"A2:{get_column_letter(len(headers))}{ws.max_row}"
    return ws


def _save(wb: Any, path: Path) -> Path:
    del wb[wb.sheetnames[0]]  # the empty default sheet
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(str(path))
    return path


STATUS_HEADERS = (
    "申请编号",
    "提供部门",
    "资源名称",
    "申请部门",
    "共享类型",
    "收到时间",
    "答复期限",
    "阶段",
    "超期工作日",
    "答复时间",
    "规则",
    "日历",
)


def write_status_xlsx(report: Any, tz: dt.tzinfo, zone_name: str, path: Path) -> Path:
    """The applications ``slamon status`` lists (most urgent first) and the per-department counts."""
    from openpyxl import Workbook

    wb = Workbook()
    at = report.now.astimezone(tz)
    note = f"截至 {at:%Y-%m-%d %H:%M}（{zone_name}）"
    rows = []
    for it in report.items:
        r, s = it.record, it.state
        rows.append(
            (
                r.application_id,
                r.provider_dept,
                r.resource_name,
                r.applicant_dept,
                SHARE_TYPE_NAMES.get(r.share_type, r.share_type),
                _local(s.started_at, tz),
                s.deadline_date,  # the last day to answer (24:00 or the rule's close of business)
                STAGE_NAMES.get(s.stage, s.stage),
                s.overdue_working_days if s.overdue_working_days else None,
                _local(r.decided_at, tz),
                s.rule_id,
                "官方" if s.calendar_official else "非官方（推算）",
            )
        )
    _sheet(wb, "申请", f"申请答复期限与阶段，{note}", STATUS_HEADERS, rows)
    stages = [st for st in STAGE_NAMES if any(st in c for c in report.by_department.values())]
    dept_rows = [
        (dept, *(counts.get(st, 0) for st in stages))
        for dept, counts in sorted(report.by_department.items())
    ]
    _sheet(
        wb,
        "各提供部门",
        f"各提供部门申请数（按阶段），{note}",
        ("提供部门", *(STAGE_NAMES[st] for st in stages)),
        dept_rows,
    )
    return _save(wb, path)


APPENDIX_HEADERS = (
    "序号",
    "提供部门",
    "申请编号",
    "资源名称",
    "申请部门",
    "收到时间",
    "答复期限",
    "情况",
    "答复时间",
    "超期工作日",
    "延期工作日",
    "规则",
)


def write_report_xlsx(report: Any, path: Path) -> Path:
    """The monthly report's appendix: every late application, grouped by provider."""
    return _save(report_workbook(report), path)


def report_xlsx_bytes(report: Any) -> bytes:
    """The same workbook as :func:`write_report_xlsx`, as the bytes of an .xlsx download."""
    return _bytes(report_workbook(report))


def _bytes(wb: Any) -> bytes:
    import io

    del wb[wb.sheetnames[0]]  # the empty default sheet
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def report_workbook(report: Any) -> Any:
    from openpyxl import Workbook

    f, tz = report.figures, report.tz
    wb = Workbook()
    rows = []
    n = 0
    for group in f.late:
        for item in group.items:
            n += 1
            rows.append(
                (
                    n,
                    group.provider_dept,
                    item.application_id,
                    item.resource_name,
                    item.applicant_dept,
                    _local(item.started_at, tz),
                    item.deadline_date,
                    ("超期答复" if item.answered else "超期未答复")
                    + (f"（{item.stage_name}）" if item.stage_name else ""),
                    _local(item.decided_at, tz),
                    item.overdue_working_days,
                    item.extended_by or None,
                    item.rule_id,
                )
            )
    as_of = f.as_of.astimezone(tz)
    title = f"{f.month.label}超期未答复及超期答复的申请（统计截至{chinese_moment(as_of, tz)}）"
    _sheet(wb, "附件 超期申请", title, APPENDIX_HEADERS, rows)
    return wb


NOTICE_HEADERS = ("序号", "申请编号", "资源名称", "申请部门", "起算时间", "答复期限", "超期工作日")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def notice_items_xlsx_bytes(
    items: Sequence[dict[str, Any]], department: str, day: dt.date
) -> bytes:
    """Every application a notice or an escalation names (its outbox snapshots, in the mail's
    order), as the bytes of the .xlsx attached to it when the mail lists only the first ones."""
    from openpyxl import Workbook

    def moment(value: str | None) -> dt.datetime | None:
        return dt.datetime.fromisoformat(value).replace(tzinfo=None) if value else None

    rows = [
        (
            n,
            i["application_id"],
            i.get("resource_name") or "",
            i.get("applicant_dept") or "",
            moment(i.get("received_at")),
            dt.date.fromisoformat(i["deadline_date"]),
            i.get("overdue_working_days") or None,
        )
        for n, i in enumerate(items, start=1)
    ]
    wb = Workbook()
    note = f"{department}：{chinese_date(day)}邮件所列全部 {len(rows)} 件申请"
    _sheet(wb, "全部申请", note, NOTICE_HEADERS, rows)
    return _bytes(wb)
