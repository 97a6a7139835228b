"""Commands that need no store: deadline, calendar, rules, check-config."""

from __future__ import annotations

import typer
from rich.table import Table

from slamon.cli.common import console, now_option, print_json, runtime, warn
from slamon.core.errors import InputError
from slamon.core.vocabulary import SHARE_TYPE_NAMES, SHARE_TYPES, field_name

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
        warn(
            rt.unofficial_warning(
                __import__("datetime").date(year, 1, 1), __import__("datetime").date(year, 12, 31)
            )
            or ""
        )
    if as_json:
        print_json(
            {
                "year": year,
                "official": info.official,
                "source": info.source,
                "source_detail": info.describe(),
                "holidays": [{"date": d.isoformat(), "name": n} for d, n in holidays],
                "makeup_workdays": [d.isoformat() for d in makeup],
            }
        )
        return
    console.print(
        f"[bold]{year} 年[/bold]  {'官方' if info.official else '非官方'}：{info.describe()}"
    )
    table = Table(title=f"{year} 年节假日")
    table.add_column("日期")
    table.add_column("星期")
    table.add_column("名称")
    weekdays = "一二三四五六日"
    for d, n in holidays:
        table.add_row(d.isoformat(), f"周{weekdays[d.weekday()]}", n)
    console.print(table)
    if makeup:
        console.print(
            "调休上班："
            + "、".join(f"{d.isoformat()}（周{weekdays[d.weekday()]}）" for d in makeup)
        )
    else:
        console.print("调休上班：无")


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


def register(app: typer.Typer) -> None:
    app.command("deadline")(deadline)
    app.command("calendar")(calendar)
    app.command("rules")(rules)
    app.command("check-config")(check_config)
