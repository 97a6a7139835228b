"""``status`` and ``demo`` print a StatusReport: the departments, the applications, the reads, the
changed deadlines and the rejected rows, one rich table or block each."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from slamon.cli.common import console, warn
from slamon.cli.fit import Col, Fitted, fit_table
from slamon.core.formats import table_moment
from slamon.core.vocabulary import (
    FLAG_NAMES,
    HELD_STAGES,
    ISSUE_REASON_NAMES,
    NOT_APPLICABLE,
    OVERDUE,
    STAGE_NAMES,
    STAGE_SEVERITY,
    field_name,
)

if TYPE_CHECKING:
    from slamon.runtime import Runtime
    from slamon.service.status import StatusItem, StatusReport


def render_status(
    report: StatusReport, rt: Runtime, stages: tuple[str, ...] | None = None, wide: bool = False
) -> None:
    """Print a StatusReport as rich tables (shared by ``status`` and ``demo``); ``stages`` limits
    the list of applications (default: every open one). In a narrow terminal low-value columns
    are left out (and said so) unless ``wide``; ids and department names are never cut."""
    tz = rt.tz
    _print(_department_table(report, tz, wide))
    _print_items(report, stages, tz, wide)
    _print_reads(report, tz)
    if report.deadline_changes:
        _print(_deadline_changes_table(report.deadline_changes, tz, wide))
    if report.rejected:
        _print(_rejected_table(report.rejected, wide))


def _print(fitted: Fitted) -> None:
    console.print(fitted.table, crop=False)
    if fitted.dropped:
        console.print(
            f"（终端较窄，未显示：{'、'.join(fitted.dropped)}；加 --wide 显示全部列）",
            markup=False,
        )


def _department_table(report: StatusReport, tz: dt.tzinfo, wide: bool) -> Fitted:
    """Each provider department's applications by stage, the most overdue first; a narrow
    terminal leaves out the stages no department has, the least severe first."""
    stages = tuple(c for c in STAGE_SEVERITY if c != NOT_APPLICABLE)
    rows = [
        [dept, *(str(counts.get(c, 0)) for c in stages)]
        for dept, counts in sorted(
            report.by_department.items(), key=lambda kv: (-kv[1][OVERDUE], kv[0])
        )
    ]
    cols = [Col("提供部门", squeeze=8)]
    for n, c in enumerate(stages, start=1):
        empty = all(r[n] == "0" for r in rows)
        drop = len(stages) - n + 1 if empty else 0
        cols.append(Col(STAGE_NAMES[c], drop=drop, floor=99, justify="right"))
    title = f"各提供部门（{table_moment(report.now, tz)}）"
    return fit_table(title, cols, rows, console.width, wide)


_ITEM_COLUMNS = (
    Col("申请编号", whole=True),
    Col("提供部门", squeeze=8),
    Col("资源名称", drop=2, squeeze=8),
    Col("收到时间", drop=1, floor=16, squeeze=10),
    Col("答复期限", floor=10, squeeze=10),
    Col("阶段", floor=8),
    Col("超期工作日", floor=4),
)


def _print_items(
    report: StatusReport,
    stages: tuple[str, ...] | None,
    tz: dt.tzinfo,
    wide: bool,
    limit: int = 200,
) -> None:
    """The applications in ``stages`` (default: the open and the held ones), ``limit`` at most."""
    listed = [
        it
        for it in report.items
        if (it.state.stage in stages if stages else it.state.is_open)
        or (not stages and it.state.stage in HELD_STAGES)
    ]
    title = "、".join(STAGE_NAMES[s] for s in stages) if stages else "未办结及数据存疑"
    rows = []
    for it in listed[:limit]:
        r, s = it.record, it.state
        due = s.deadline_date.isoformat() if s.deadline_date else "—"
        if s.extended_by:
            due += f"（已延期{s.extended_by}个工作日）"
        rows.append(
            [
                r.application_id,
                r.provider_dept,
                r.resource_name,
                table_moment(s.started_at, tz),
                due,
                _stage_cell(it),
                str(s.overdue_working_days) if s.stage == OVERDUE else "",
            ]
        )
    title = f"{title}申请（{len(listed)} 件）"
    _print(fit_table(title, _ITEM_COLUMNS, rows, console.width, wide))
    if len(listed) > limit:
        console.print(f"……另有 {len(listed) - limit} 件未列出（--json 输出全部）")


def _stage_cell(it: StatusItem) -> str:
    """The stage, then why it is held, its data flags, the calendar and exemption marks."""
    s = it.state
    why = ""
    if it.issue is not None:
        why = f"：{ISSUE_REASON_NAMES.get(it.issue[0], it.issue[0])}（{it.issue[1]}）"
    why += "".join(f"（{FLAG_NAMES.get(f, f)}）" for f in s.flags)
    return (
        STAGE_NAMES[s.stage]
        + why
        + ("" if s.calendar_official else "（非官方日历）")
        + ("（已核实排除）" if it.exemption is not None else "")
    )


def _print_reads(report: StatusReport, tz: dt.tzinfo) -> None:
    """The last good read, a later failed one, and rows dated after now."""
    ok = report.last_ok_poll
    console.print(
        f"上次成功读取：{table_moment(ok['finished_at'], tz)}（{ok['source']}）"
        if ok
        else "上次成功读取：无"
    )
    bad = report.last_failed_poll
    if bad and (not ok or bad["id"] > ok["id"]):
        warn(f"最近一次读取失败：{table_moment(bad['started_at'], tz)}，{bad['error']}")
    if report.future_rows:
        shown = "、".join(f"{r['row']}（{r['updated_at'][:16]}）" for r in report.future_rows[:10])
        warn(f"更新时间晚于当前时间的行（未用于推进增量游标）：{shown}")


def _deadline_changes_table(
    changes: list[dict[str, Any]], tz: dt.tzinfo, wide: bool, limit: int = 100
) -> Fitted:
    rows = []
    for ch in changes[:limit]:
        old, new = ch["old_deadline"], ch["new_deadline"]
        rows.append(
            [
                ch["application_id"],
                f"{old.astimezone(tz):%Y-%m-%d}" if old else "—",
                f"{new.astimezone(tz):%Y-%m-%d}" if new else "—",
            ]
        )
    cols = (Col("申请编号", whole=True), Col("原期限", floor=10), Col("新期限", floor=10))
    title = f"因日历或规则变化而改变的答复期限（{len(changes)} 件）"
    return fit_table(title, cols, rows, console.width, wide)


def _rejected_table(rejected: list[dict[str, Any]], wide: bool, limit: int = 50) -> Fitted:
    rows = [
        [
            r["source"],
            r["row_ref"],
            field_name(r["field"]),
            r["message"] + ("（已被后来的正确记录更正）" if r.get("settled_at") else ""),
        ]
        for r in rejected[:limit]
    ]
    cols = (Col("来源", squeeze=8), Col("行", squeeze=8), Col("字段", squeeze=8), Col("原因"))
    return fit_table(f"被拒绝的行（{len(rejected)} 行）", cols, rows, console.width, wide)
