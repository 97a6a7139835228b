"""Commands that need no store: deadline, calendar (and calendar import), rules, check-config."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table
from typer.core import TyperCommand, TyperGroup

from slamon.cli.common import config_findings, console, now_option, print_json, runtime, warn
from slamon.core.errors import InputError
from slamon.core.formats import WEEKDAYS, chinese_date
from slamon.core.vocabulary import SHARE_TYPE_NAMES, SHARE_TYPES, field_name

if TYPE_CHECKING:
    from slamon.core.calendar import YearInfo
    from slamon.core.calendar_import import ImportPreview


_SHARE_TYPE_INPUT = {**{t: t for t in SHARE_TYPES}, **{v: k for k, v in SHARE_TYPE_NAMES.items()}}


def deadline(
    received: list[str] = typer.Argument(..., metavar="RECEIVED...", help="提供方收到申请的时间"),
    rule: str = typer.Option(
        None, "--rule", help="按此规则计算（默认：适用的生效规则中最早到期者）"
    ),
    share_type: str = typer.Option(
        "conditional",
        "--share-type",
        help="conditional / unconditional（或 有条件共享 / 无条件共享）",
    ),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
) -> None:
    """计算答复期限：收到申请之日后第 N 个工作日的 24:00。"""
    from slamon.core.deadline import governing_deadline
    from slamon.core.formats import table_moment
    from slamon.core.times import END_OF_DAY, parse_datetime

    rt = runtime()
    stype = _SHARE_TYPE_INPUT.get(share_type.strip())
    if stype is None:
        raise InputError(f"未知的共享类型 {share_type!r}，应为 conditional 或 unconditional")
    only = [rule] if rule else None
    if rule:
        rt.rules.get(rule)
    starts = [parse_datetime(r, rt.tz) for r in received]
    results = []
    for raw, start in zip(received, starts, strict=True):
        d = governing_deadline(start, stype, rt.rules, rt.calendar, rt.tz, only=only)
        if d is None:
            which = (
                f"规则 {rule}"
                if rule
                else "生效规则（" + "、".join(rt.settings.active_rules) + "）"
            )
            raise InputError(f"{raw}：{which}不适用于该日期的{SHARE_TYPE_NAMES[stype]}申请")
        results.append(d)
        message = rt.unofficial_warning(start.astimezone(rt.tz).date(), d.deadline_date)
        if message:
            warn(message)
    if as_json:
        print_json(
            [
                {
                    "received": d.start.isoformat(),
                    "rule": d.rule_id,
                    "share_type": d.share_type,
                    "working_days": d.working_days,
                    "deadline_date": d.deadline_date.isoformat(),
                    "deadline": d.deadline.isoformat(timespec="seconds"),
                    "calendar_official": d.calendar_official,
                }
                for d in results
            ]
        )
        return
    table = Table(title="答复期限")
    for col in ("收到时间", "规则", "共享类型", "时限", "答复期限", "日历"):
        table.add_column(col)
    for d in results:
        table.add_row(
            table_moment(d.start, rt.tz),
            d.rule_id,
            SHARE_TYPE_NAMES[d.share_type],
            f"{d.working_days} 个工作日",
            f"{d.deadline_date.isoformat()} {'24:00' if d.deadline.time() == END_OF_DAY else d.deadline.strftime('%H:%M')}",
            "官方" if d.calendar_official else "非官方（推算）",
        )
    console.print(table)


def year_json(
    year: int, info: YearInfo, holidays: list[tuple[dt.date, str]], makeup: list[dt.date]
) -> dict[str, Any]:
    """The shape of ``calendar YEAR --json`` (which ``calendar import --json`` extends)."""
    return {
        "year": year,
        "official": info.official,
        "source": info.source,
        "source_detail": info.describe(),
        "holidays": [{"date": d.isoformat(), "name": n} for d, n in holidays],
        "makeup_workdays": [d.isoformat() for d in makeup],
    }


def calendar(
    year: int = typer.Argument(..., help="年份"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
) -> None:
    """列出某年的节假日、调休上班日和数据来源。"""
    rt = runtime()
    cal = rt.calendar
    info = cal.year_info(year)
    holidays = cal.holidays_in(year)
    makeup = cal.makeup_workdays_in(year)
    if not info.official:
        warn(rt.unofficial_warning(dt.date(year, 1, 1), dt.date(year, 12, 31)) or "")
    if as_json:
        print_json(year_json(year, info, holidays, makeup))
        return
    console.print(
        f"[bold]{year} 年[/bold]  {'官方' if info.official else '非官方'}：{info.describe()}"
    )
    table = Table(title=f"{year} 年节假日")
    table.add_column("日期")
    table.add_column("星期")
    table.add_column("名称")
    for d, n in holidays:
        table.add_row(d.isoformat(), f"周{WEEKDAYS[d.weekday()]}", n)
    console.print(table)
    if makeup:
        console.print(
            "调休上班："
            + "、".join(f"{d.isoformat()}（周{WEEKDAYS[d.weekday()]}）" for d in makeup)
        )
    else:
        console.print("调休上班：无")


def calendar_import(
    notice: Path = typer.Argument(
        ..., metavar="NOTICE", help="通知原文（文本文件，UTF-8 或 GB18030）"
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="只核对通知并列出变化，不写入"),
    replace: bool = typer.Option(
        False, "--replace", help="该年已有官方安排而通知与之不同时，仍以通知为准写入"
    ),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
) -> None:
    """导入国务院办公厅节假日安排通知：核对通知本身，列出日历的变化，写入该年的日历文件。"""
    from slamon.service.calendar_import import import_notice_file

    outcome = import_notice_file(runtime(), notice, dry_run=dry_run, replace=replace)
    p = outcome.preview
    if dry_run and p.needs_replace:
        warn(
            f"注意：{p.year} 年已有官方节假日安排（{p.before.describe()}），本通知改变其中 "
            f"{len(p.revised_dates)} 天；确认以本通知为准时，导入须加 --replace"
        )
    if as_json:
        shape = year_json(
            p.year, p.after, sorted(p.file.holidays.items()), sorted(p.file.makeup_workdays)
        )
        n = p.notice
        print_json(
            {
                **shape,
                "notice": {
                    "title": n.title,
                    "number": n.number,
                    "date": n.issued.isoformat() if n.issued else None,
                    "supplement": n.supplement,
                },
                "changes": [
                    {"date": c.day.isoformat(), "was": c.was, "now": c.now} for c in p.changes
                ],
                "needs_replace": p.needs_replace,
                "written": str(outcome.written) if outcome.written else None,
            }
        )
        return
    _print_import(p, outcome.written)


def _print_import(p: ImportPreview, written: Path | None) -> None:
    from rich.text import Text

    from slamon.core.calendar_import import DAY_STATUS_NAMES

    n = p.notice
    issued = chinese_date(n.issued) if n.issued else None
    details = "，".join(x for x in (n.number, issued) if x)
    console.print(n.title + (f"（{details}）" if details else ""), markup=False)
    console.print(
        f"{p.year} 年：放假 {len(p.file.holidays)} 天，调休上班 {len(p.file.makeup_workdays)} 天。"
        f"现行日历：{p.before.describe()}",
        markup=False,
    )
    if not p.changes:
        console.print("与现行日历相同，没有变化。")
    else:
        table = Table(title=f"导入后的变化（{len(p.changes)} 天）")
        for col in ("日期", "星期", "现为", "导入后", "说明"):
            table.add_column(col)
        for c in p.changes:
            table.add_row(
                c.day.isoformat(),
                f"周{WEEKDAYS[c.day.weekday()]}",
                DAY_STATUS_NAMES[c.was],
                DAY_STATUS_NAMES[c.now],
                Text(c.note()),  # a holiday's name as the notice writes it: no markup
            )
        console.print(table)
    if written is None:
        console.print(f"试运行：未写入。去掉 --dry-run 即写入 {p.file.path}", markup=False)
    else:
        console.print(f"已写入 {written}；请运行 slamon calendar {p.year} 核对。", markup=False)


def rules(as_json: bool = typer.Option(False, "--json", help="输出 JSON")) -> None:
    """列出 rules/ 目录中的时限规则及其是否生效。"""
    rt = runtime()
    rs = rt.rules
    rows = []
    for rule in sorted(rs.rules.values(), key=lambda r: r.id):
        rows.append(
            {
                "id": rule.id,
                "active": rule.id in rs.active_ids,
                "title": rule.title,
                "instrument": rule.instrument,
                "article": rule.article,
                "citation": rule.citation,
                "effective_from": rule.effective_from.isoformat(),
                "effective_until": rule.effective_until.isoformat()
                if rule.effective_until
                else None,
                "working_days": {t: rule.limit_for(t) for t in rule.share_types},
                "clock": {
                    "start": rule.answer_stage.start,
                    "fallback": rule.answer_stage.fallback,
                    "stop": rule.answer_stage.stop,
                },
                "ends_at": rule.ends_at.strftime("%H:%M") if rule.ends_at else "24:00",
                "due_soon_working_days": rule.due_soon_working_days,
                "extension": {
                    "max_working_days": rule.extension.max_working_days,
                    "approver": rule.extension.approver,
                }
                if rule.extension
                else None,
                "stages": [s.id for s in rule.stages],
                "path": rule.path,
            }
        )
    if as_json:
        print_json(rows)
        return
    table = Table(title="时限规则")
    table.add_column("编号", no_wrap=True)
    for col in ("生效", "依据", "时限", "起算", "适用期间"):
        table.add_column(col)
    for r in rows:
        limits = "，".join(
            f"{SHARE_TYPE_NAMES[t]} {n} 个工作日" for t, n in r["working_days"].items()
        )
        table.add_row(
            r["id"],
            "是" if r["active"] else "否",
            f"《{r['title']}》{r['instrument']}",
            limits,
            "，缺失时".join(
                field_name(e) for e in (r["clock"]["start"], r["clock"]["fallback"]) if e
            ),
            f"{r['effective_from']} 起"
            + (f"至 {r['effective_until']}" if r["effective_until"] else ""),
        )
    console.print(table)


def check_config(
    now: str = typer.Option(None, "--now", help="按此时刻检查（默认当前时间）"),
) -> None:
    """检查配置、规则、日历覆盖、数据源与邮件服务器。"""
    from slamon.core.findings import ERROR, OK, WARN
    from slamon.service.checks import run_checks

    findings = config_findings()  # every configuration error at once; the checks need none
    if not findings:
        rt = runtime()
        at = now_option(now)
        where = str(rt.settings.path) if rt.settings.path else "（无配置文件，使用默认值）"
        console.print(f"配置文件：{where}", markup=False)
        findings = run_checks(rt, at)
    marks = {OK: "[green]通过[/green]", WARN: "[yellow]警告[/yellow]", ERROR: "[red]错误[/red]"}
    for f in findings:
        console.print(f"{marks[f.level]}  {f.item}：{f.message}", highlight=False)
    errors = sum(f.level == ERROR for f in findings)
    warnings = sum(f.level == WARN for f in findings)
    console.print(f"共 {len(findings)} 项：{errors} 项错误，{warnings} 项警告")
    if errors:
        raise typer.Exit(1)


class _CalendarGroup(TyperGroup):
    """``slamon calendar YEAR`` (the hidden ``show`` command) beside ``slamon calendar import``:
    a first argument that is not a sub-command is a year."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = [_SHOW, *args]
        return super().parse_args(ctx, args)

    def format_usage(self, ctx: Any, formatter: Any) -> None:
        formatter.write_usage(ctx.command_path, "YEAR [--json]")
        formatter.write_usage(
            ctx.command_path, "import NOTICE [--dry-run] [--replace] [--json]", prefix="      "
        )


class _YearCommand(TyperCommand):
    """``show`` is parsed as ``slamon calendar`` itself, so its usage line and usage errors name
    the command as the user typed it."""

    def make_context(
        self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any
    ) -> Any:
        if parent is not None and parent.parent is not None:
            info_name, parent = parent.info_name, parent.parent
        return super().make_context(info_name, args, parent=parent, **extra)


_SHOW = "show"
calendar_app = typer.Typer(
    cls=_CalendarGroup,
    help="某年的节假日、调休上班日和数据来源（slamon calendar YEAR）；"
    "导入国务院办公厅节假日安排通知（slamon calendar import NOTICE）。",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
calendar_app.command(_SHOW, hidden=True, cls=_YearCommand)(calendar)
calendar_app.command("import")(calendar_import)


def register(app: typer.Typer) -> None:
    app.command("deadline")(deadline)
    app.add_typer(calendar_app, name="calendar")
    app.command("rules")(rules)
    app.command("check-config")(check_config)
