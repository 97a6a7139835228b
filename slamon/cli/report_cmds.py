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
) -> None:
    """月报各节：一、（一）数据调度情况；三、（一）数据申请响应情况；六、存在问题。"""
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
        output.write_text(mail.html, encoding="utf-8")
        console.print(f"已写入 {output}", markup=False)
        return
    sys.stdout.write(f"主题：{mail.subject}\n\n{mail.text}")
    sys.stdout.flush()


def register(app: typer.Typer) -> None:
    app.add_typer(report_app, name="report")
    app.command("digest")(digest)
