"""Report commands: ``report monthly``, ``report problems`` and ``digest``. Heavy imports
(SQLAlchemy, python-docx) stay inside the commands."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from slamon.cli.common import console, now_option, runtime, warn
from slamon.core.errors import InputError

report_app = typer.Typer(
    help="月报：数据调度情况、申请响应及时度、存在问题。",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)


def _emit(text: str, output: Path | None, announce: bool = True) -> None:
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    if announce:  # a JSON file is written silently (stdout stays parseable)
        console.print(f"已写入 {output}", markup=False)


def _report(
    month: str,
    as_of: str | None,
    fmt: str,
    output: Path | None,
    problems_only: bool,
    now: str | None = None,
) -> None:
    from slamon.adapters.render.formats import report_format
    from slamon.core.periods import Month
    from slamon.service.reports import monthly_report

    try:
        chosen = report_format(fmt)
    except InputError as exc:
        raise typer.BadParameter(str(exc), param_hint="--format") from None
    rt = runtime()
    m = Month.parse(month)
    at = now_option(as_of) if as_of else None
    if at is not None and at < m.start(rt.tz):
        raise InputError(f"--as-of {as_of} 早于 {m.label}，无可统计的申请")
    message = rt.unofficial_warning(m.first_day, m.last_day)
    if message:
        warn(message)
    report = monthly_report(runtime().engine, rt, m, at, now_option(now))
    for warning in report.quality.warnings if report.quality else ():
        warn(f"警告：{warning}")
    body = chosen.render(report, problems_only)
    if chosen.binary:
        stem = {"xlsx": "late", "docx": "problems" if problems_only else "report"}[chosen.name]
        path = output or Path.cwd() / f"{stem}-{m.key}.{chosen.ext}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        console.print(f"已写入 {path}", markup=False)
        return
    _emit(body.decode("utf-8"), output, announce=chosen.name != "json")


_MONTH = typer.Option(..., "--month", metavar="YYYY-MM", help="统计月份")
_AS_OF = typer.Option(None, "--as-of", metavar="T", help="统计截至时刻（默认该月最后一天 24:00）")
_FORMAT = typer.Option(
    "text", "--format", metavar="text|md|docx|json|xlsx", help="输出格式（xlsx：附件超期申请清单）"
)
_NOW = typer.Option(
    None, "--now", metavar="T", help="报告生成时刻（默认当前时间）：落款日期和时效警告"
)
_OUTPUT = typer.Option(
    None,
    "--output",
    metavar="PATH",
    help="写入文件（docx 默认写入当前目录 report-YYYY-MM.docx，xlsx 默认 late-YYYY-MM.xlsx）",
)


@report_app.command("monthly")
def monthly(
    month: str = _MONTH,
    as_of: str = _AS_OF,
    fmt: str = _FORMAT,
    output: Path = _OUTPUT,
    now: str = _NOW,
    draft: bool = typer.Option(
        False, "--draft", help="核实：把存在问题初稿分别发给涉及的部门（不加 --send 只显示）"
    ),
    send: bool = typer.Option(False, "--send", help="与 --draft 同用：加入发件队列并发送"),
    by: str = typer.Option(None, "--by", metavar="NAME", help="与 --draft --send 同用：发起人"),
) -> None:
    """月报各节：一、（一）数据调度情况；三、（一）数据申请响应情况；六、存在问题。
    --draft：印发前的核实反馈，每个涉及的部门一封邮件，只列该部门的情况。"""
    if send and not draft:
        raise typer.BadParameter("--send 只能与 --draft 同用", param_hint="--send")
    if draft:
        from slamon.cli.feedback_view import run_draft

        if as_of or output is not None or fmt not in ("text", "json"):
            raise typer.BadParameter(
                "--draft 按该月月末统计，只接受 --format text|json，不能与 --as-of、--output 同用",
                param_hint="--draft",
            )
        run_draft(month, now, send, by, as_json=fmt == "json")
        return
    _report(month, as_of, fmt, output, problems_only=False, now=now)


@report_app.command("problems")
def problems(
    month: str = _MONTH,
    as_of: str = _AS_OF,
    fmt: str = _FORMAT,
    output: Path = _OUTPUT,
    now: str = _NOW,
) -> None:
    """只输出月报“六、存在问题”一节。"""
    _report(month, as_of, fmt, output, problems_only=True, now=now)


@report_app.command("history")
def history(
    months: int = typer.Option(12, "--months", min=1, max=120, help="月数（含截止月份）"),
    month: str = typer.Option(
        None, "--month", metavar="YYYY-MM", help="截止月份（默认本月，统计到 --now）"
    ),
    now: str = typer.Option(None, "--now", metavar="T", help="按此时刻统计（默认当前时间）"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
) -> None:
    """按月的历史：各部门收到、答复、按时、超期答复、平均用时、月末超期未答复（与各月月报同一口径）。"""
    import json

    from slamon.core.periods import Month
    from slamon.service.trends import history as trend_history

    rt = runtime()
    at = now_option(now)
    last = Month.parse(month) if month else None
    t = trend_history(rt.engine, rt, at, months, last=last)
    if as_json:
        sys.stdout.write(json.dumps(t.as_json(rt.tz), ensure_ascii=False, indent=2) + "\n")
        return
    lines = []
    for m in t.months:
        lines.append(f"{m.month.label}（统计截至 {m.as_of.astimezone(rt.tz):%Y-%m-%d %H:%M}）")
        for d in (m.province, *m.departments):
            mean = "—" if d.mean_working_days is None else f"{d.mean_working_days:.1f}"
            rate = "—" if d.on_time_rate is None else f"{d.on_time_rate * 100:.1f}%"
            lines.append(
                f"  {d.department}：收到{d.received}，答复{d.answered}，按时{d.on_time}，"
                f"超期答复{d.late}，按时率{rate}，平均用时{mean}个工作日，"
                f"月末超期未答复{d.open_overdue}" + ("；列入存在问题" if d.named else "")
            )
    sys.stdout.write("\n".join(lines) + "\n")


def digest(
    week: str = typer.Option(
        None, "--week", metavar="YYYY-Www", help="ISO 周（默认：上一个完整的周）"
    ),
    now: str = typer.Option(None, "--now", help="按此时刻统计（默认当前时间）"),
    send: bool = typer.Option(False, "--send", help="加入发件队列并发送给 supervisors"),
    output: Path = typer.Option(
        None, "--output", metavar="PATH.html", help="把 HTML 邮件正文写入文件"
    ),
) -> None:
    """每周合规周报：各提供部门收到、审批、按时率、超期与即将到期，以及与上周的比较。"""
    from slamon.core.periods import IsoWeek
    from slamon.service.reports import default_week, queue_digest, rendered_digest

    if send and output is not None:
        raise typer.BadParameter("--send 与 --output 不能同时使用", param_hint="--send")
    rt = runtime()
    at = now_option(now)
    w = IsoWeek.parse(week) if week else default_week(at, rt.tz)
    message = rt.unofficial_warning(w.monday, w.sunday)
    if message:
        warn(message)
    engine = runtime().engine
    if send:
        if not rt.settings.supervisors:
            raise InputError("未配置 supervisors（周报收件人），无法发送周报")
        from slamon.service.delivery import worker_id
        from slamon.service.jobs import deliver_job

        queued = queue_digest(engine, rt, w, at)
        console.print(
            f"{w.key} 周报已加入发件队列"
            if queued
            else f"{w.key} 周报此前已加入发件队列，不重复发送",
            markup=False,
        )
        real_now = now_option(None) if now else None  # a replay: the real clock sends
        deliver_job(engine, rt, at, worker_id("cli"), real_now=real_now)
        return
    _d, mail = rendered_digest(engine, rt, w, at)
    for warning in mail.warnings:
        warn(f"警告：{warning}")
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(mail.html_with_data_uris(), encoding="utf-8")
        console.print(f"已写入 {output}", markup=False)
        return
    sys.stdout.write(f"主题：{mail.subject}\n\n{mail.text}")
    sys.stdout.flush()


def register(app: typer.Typer) -> None:
    app.add_typer(report_app, name="report")
    app.command("digest")(digest)
