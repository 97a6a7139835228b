"""Evidence commands: ``explain``, ``exempt`` (and ``--revoke``) and ``exemptions``."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

import typer
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from slamon.cli.common import console, now_option, print_json, print_rule, runtime
from slamon.core.errors import InputError
from slamon.core.formats import WEEKDAYS, table_moment
from slamon.core.vocabulary import (
    DATA_ISSUE,
    DECISION_NAMES,
    FIELD_NAMES,
    FLAG_NAMES,
    ISSUE_REASON_NAMES,
    MAIL_KIND_NAMES,
    OUTBOX_STATUS_NAMES,
    REVIEW_NAMES,
    SHARE_TYPE_NAMES,
    START_EVENT_TEXT,
    field_name,
)

if TYPE_CHECKING:
    from slamon.service.explain import Evidence, RejectedEvidence

_KIND_STYLE = {"counted": "", "skipped": "dim", "late": "bold red", "late_off": "dim red"}


def _value(field: str, value: object, tz) -> str:  # noqa: ANN001
    import datetime as dt

    if value is None:
        return "—"
    if isinstance(value, dt.datetime):
        return table_moment(value, tz)
    if field == "share_type":
        return SHARE_TYPE_NAMES.get(str(value), str(value))
    if field == "review_status":
        return REVIEW_NAMES.get(str(value), str(value))
    if field == "decision":
        return DECISION_NAMES.get(str(value), str(value))
    return str(value)


def _changed(field: str, value: object, tz) -> str:  # noqa: ANN001
    """A value from the change history (datetimes stored as ISO text)."""
    import datetime as dt

    if isinstance(value, str) and field.endswith("_at"):
        with contextlib.suppress(ValueError):
            value = dt.datetime.fromisoformat(value)
    return _value(field, value, tz)


def _verdict(ev: Evidence) -> str:
    text = ev.verdict
    if ev.data_issue is None:
        return text
    return f"结论：数据存疑，暂不作判定。（按现有记录推算——{text.removeprefix('结论：')}）"


def _print_evidence(ev: Evidence) -> None:
    """``explain`` for one application: the record and its history, the rule and the count, the
    notes on the data, the verdict, the mail, the exemption."""
    print_rule(f"申请 {ev.application_id} 的判定依据", style="bold")
    console.print(_record_panel(ev))
    console.print(_history_table(ev))
    console.print(_rule_block(ev))
    if ev.clock_field and ev.clock_start is not None:
        what = START_EVENT_TEXT.get(ev.clock_field, ev.clock_field)
        console.print(f"起算：{what} {table_moment(ev.clock_start, ev.tz)}", markup=False)
    if ev.days:
        _print_walk(ev)
    _print_notes(ev)
    open_rows = [r for r in ev.rejections if r["settled_at"] is None]
    if open_rows:
        console.print("此申请后来送来的行被拒绝，仍按已入库的记录判定：", markup=False)
        console.print(_rejections_table(open_rows, ev.tz))
    console.print(Text(_verdict(ev), style="bold"))
    _print_mail(ev)
    _print_exemption(ev)
    if ev.data_issue is not None:
        code = ev.data_issue["reason_code"]
        console.print(
            f"数据存疑：{ISSUE_REASON_NAMES.get(code, code)}（{ev.data_issue['detail']}），"
            "暂不作判定、不催办、不计入通报。",
            markup=False,
        )


def _print_rejected(ev: RejectedEvidence) -> None:
    """An id only rejected rows carry: no record, no verdict; which row of which read was
    refused, on which field, and why."""
    print_rule(f"申请 {ev.application_id}：未入库", style="bold")
    console.print(
        f"存储库中没有申请 {ev.application_id} 的记录：数据源送来的含此编号的行被拒绝，"
        "未入库，因此没有判定、不催办。平台改正后，下次读取即入库。",
        markup=False,
    )
    console.print(_rejections_table(ev.rejections, ev.tz))


def _rejections_table(rows: list[dict], tz) -> Table:  # noqa: ANN001
    table = Table(title=f"被拒绝的行（{len(rows)} 行）", title_justify="left")
    for col in ("来源", "行", "读取", "字段", "原因", "最近一次读到"):
        table.add_column(col)
    for r in rows:
        read = f"第 {r['poll_run_id']} 次" if r["poll_run_id"] is not None else "—"
        if r["run_started_at"] is not None:
            read += f"（{table_moment(r['run_started_at'], tz)}）"
        table.add_row(
            r["source"],
            r["row_ref"],
            read,
            field_name(r["field"]),
            r["message"],
            table_moment(r["last_seen_at"], tz),
        )
    return table


def _record_panel(ev: Evidence) -> Panel:
    """The record as the store holds it now, one field a line."""
    rec = Table(show_header=False, box=None, padding=(0, 2))
    rec.add_column(style="bold")
    rec.add_column()
    for name, value in ev.record.as_dict().items():
        if name == "application_id":
            continue
        rec.add_row(FIELD_NAMES.get(name, name), _value(name, value, ev.tz))
    return Panel(rec, title="申请记录（存储库当前内容）", title_align="left", expand=False)


def _history_table(ev: Evidence) -> Table:
    """Each change slamon saw in the record, field by field."""
    tz = ev.tz
    hist = Table(title="slamon 观察到的变化", title_justify="left")
    for col in ("观察时间", "变化"):
        hist.add_column(col)
    for e in ev.events:
        when = table_moment(e["observed_at"], tz)
        if e["kind"] == "created":
            hist.add_row(when, "首次读到")
            continue
        parts = [
            f"{FIELD_NAMES.get(k, k)}：{_changed(k, v[0], tz)} → {_changed(k, v[1], tz)}"
            for k, v in e["changes"].items()
        ]
        hist.add_row(when, "；".join(parts) or "内容变化")
    if not ev.events:
        hist.add_row("—", "没有记录（导入早于变化记录）")
    return hist


def _rule_block(ev: Evidence) -> Panel | Text:
    """The governing rule: its instrument and article, its sentence, how it counts."""
    rule = ev.rule
    if rule is None:
        return Text("适用规则：无（没有生效的规则约束此申请）")
    article = rule.article or ""
    return Panel(
        Text(
            f"《{rule.title}》（{rule.instrument}）{article}\n{rule.citation}\n"
            f"时限：{ev.working_days}个工作日；"
            f"{'收到当日不计入' if rule.start_day_excluded else '收到当日计入'}；"
            f"期限届满于最后一个工作日"
            f"{rule.ends_at.strftime('%H:%M') if rule.ends_at else '24时'}。"
            f"（规则 {rule.id}）"
        ),
        title="适用规则",
        title_align="left",
        expand=False,
    )


def _print_notes(ev: Evidence) -> None:
    """What qualifies the count: an extension, an estimated calendar, the history, doubtful data."""
    s = ev.state
    if ev.extended_by:
        console.print(f"延期：批准延长{ev.extended_by}个工作日，期限已相应顺延。", markup=False)
    if s.deadline is not None and not s.calendar_official:
        console.print("注意：所涉年份没有官方节假日安排，期限按周末和法定节日推算。", markup=False)
    for note in ev.history_notes:
        console.print(note, markup=False)
    for flag in s.flags:
        console.print(f"数据疑点：{FLAG_NAMES.get(flag, flag)}。", markup=False)
    if s.stage == DATA_ISSUE and s.issue and ev.data_issue is None:
        console.print(
            f"数据存疑：{ISSUE_REASON_NAMES.get(s.issue, s.issue)}，暂不作判定、不催办、不计入通报。",
            markup=False,
        )


def _print_exemption(ev: Evidence) -> None:
    """The exemption in force, or the last one revoked."""
    if ev.exemption is not None:
        x = ev.exemption
        console.print(
            Panel(
                Text(f"{x.reason}\n—— {x.by}，{table_moment(x.at, ev.tz)}"),
                title="已核实排除：不催办、不计入超期通报和排名",
                title_align="left",
                style="yellow",
                expand=False,
            )
        )
    elif ev.exemption_history:
        last = ev.exemption_history[-1]
        console.print(
            f"曾核实排除，已于 {table_moment(last.at, ev.tz)} 由 {last.by} 撤销。", markup=False
        )


def _print_walk(ev: Evidence) -> None:
    table = Table(title="逐日计算", title_justify="left")
    for col in ("日期", "星期", "计数", "说明"):
        table.add_column(col)
    decided = ev.judged.decided_at
    answered = decided.astimezone(ev.tz).date() if decided is not None else None
    for d in ev.days:
        if d.kind == "start":
            count = "—"
        elif d.kind == "counted":
            count = f"第{d.number}个工作日"
        elif d.kind == "late":
            count = f"超期第{d.number}个工作日"
        else:
            count = "跳过"
        marks = [d.reason] if d.reason else []
        if d.day == ev.state.deadline_date:
            marks.append("答复期限")
        if answered is not None and d.day == answered:
            marks.append("答复")
        note = "；".join(marks)
        table.add_row(
            d.day.isoformat(),
            f"周{WEEKDAYS[d.day.weekday()]}",
            count,
            note,
            style=_KIND_STYLE.get(d.kind, ""),
        )
    console.print(table)
    if ev.walk_truncated:
        console.print("（超期天数过多，逐日表只列出期限后 400 天）", markup=False)


def _print_mail(ev: Evidence) -> None:
    if not ev.mail:
        console.print("通知：没有发出或计划关于此申请的邮件。", markup=False)
        return
    table = Table(title="关于此申请的邮件", title_justify="left")
    for col in ("编号", "类别", "工作日", "状态", "发送时间", "收件人"):
        table.add_column(col)
    for m in ev.mail:
        table.add_row(
            str(m["id"]),
            MAIL_KIND_NAMES.get(m["kind"], m["kind"]),
            str(m["working_day"]),
            OUTBOX_STATUS_NAMES.get(m["status"], m["status"]),
            table_moment(m["sent_at"], ev.tz) if m["sent_at"] else "—",
            "、".join(m["recipients"]),
        )
    console.print(table)


def explain(
    ids: list[str] = typer.Argument(..., metavar="ID...", help="申请编号"),
    now: str = typer.Option(None, "--now", help="按此时刻判定（默认当前时间）"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
) -> None:
    """逐日说明申请的判定依据：记录与变化、适用规则、起算、逐日计数、期限、答复、通知、排除。"""
    from slamon.service.explain import RejectedEvidence
    from slamon.service.explain import explain as build

    rt = runtime()
    at = now_option(now)
    evidence = [build(rt.engine, rt, aid, at) for aid in ids]
    if as_json:
        print_json([e.as_json() for e in evidence])
        return
    for ev in evidence:
        if isinstance(ev, RejectedEvidence):
            _print_rejected(ev)
        else:
            _print_evidence(ev)


def exempt(
    ids: list[str] = typer.Argument(..., metavar="ID...", help="申请编号"),
    reason: str = typer.Option(None, "--reason", help="核实排除的理由（必填）"),
    by: str = typer.Option(None, "--by", metavar="NAME", help="核实人"),
    revoke: bool = typer.Option(False, "--revoke", help="撤销核实排除"),
    now: str = typer.Option(None, "--now", help="记录时刻（默认当前时间）"),
) -> None:
    """核实排除：被排除的申请不再催办，不计入超期通报和排名；--revoke 撤销（记录永不删除）。"""
    from slamon.service import exemptions as svc

    rt = runtime()
    at = now_option(now)
    if revoke:
        result = svc.revoke(rt.engine, rt, ids, by, at, reason)
        if result.recorded:
            console.print(f"已撤销核实排除：{'、'.join(result.recorded)}", markup=False)
        if result.unchanged:
            console.print(f"未处于排除状态，未作改动：{'、'.join(result.unchanged)}", markup=False)
        return
    if not reason or not reason.strip():
        raise InputError("核实排除必须写明理由（--reason）")
    result = svc.exempt(rt.engine, rt, ids, reason, by, at)
    if result.recorded:
        console.print(
            f"已核实排除：{'、'.join(result.recorded)}（理由：{reason.strip()}）", markup=False
        )
    if result.unchanged:
        console.print(f"此前已核实排除，未重复记录：{'、'.join(result.unchanged)}", markup=False)


def exemptions(
    month: str = typer.Option(
        None, "--month", metavar="YYYY-MM", help="只列该月记录或该月提交的申请"
    ),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
) -> None:
    """列出核实排除与撤销记录：谁、何时、为何。"""
    from slamon.service.exemptions import ACTION_NAMES, list_exemptions

    rt = runtime()
    facts = list_exemptions(rt.engine, rt, month)
    if as_json:
        print_json([f.as_json(rt.tz) for f in facts])
        return
    if not facts:
        console.print("没有核实排除记录。", markup=False)
        return
    table = Table(title=f"核实排除记录（{len(facts)} 条）", title_justify="left")
    for col in ("申请编号", "提供部门", "资源名称", "操作", "理由", "核实人", "时间"):
        table.add_column(col)
    for f in facts:
        table.add_row(
            f.application_id,
            f.provider_dept or "—",
            f.resource_name or "—",
            ACTION_NAMES.get(f.action, f.action),
            f.reason or "—",
            f.by,
            table_moment(f.at, rt.tz),
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command("explain")(explain)
    app.command("exempt")(exempt)
    app.command("exemptions")(exemptions)
