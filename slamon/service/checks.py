"""``check-config``: validate configuration, rules, calendar coverage and reachability.

Each check returns findings; the CLI prints them and exits 1 when any is an error.
Checks touching the network take a timeout and never raise.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

from slamon.core.errors import SlamonError
from slamon.core.findings import ERROR, OK, WARN, Finding
from slamon.core.vocabulary import SHARE_TYPE_NAMES
from slamon.runtime import Runtime
from slamon.service.contact_checks import check_contacts


def check_rules(rt: Runtime, now: dt.datetime) -> Iterator[Finding]:
    rules = rt.rules  # raises on a malformed file or an unknown active id
    for rule in rules.active:
        kinds = "、".join(
            f"{SHARE_TYPE_NAMES[t]} {rule.limit_for(t)} 个工作日" for t in rule.share_types
        )
        yield Finding(OK, f"规则 {rule.id}", f"《{rule.title}》（{rule.instrument}）：{kinds}")


def check_calendar(rt: Runtime, now: dt.datetime) -> Iterator[Finding]:
    cal = rt.calendar
    folder = rt.settings.calendar_dir
    today = now.astimezone(rt.tz).date()
    for year in (today.year - 1, today.year, today.year + 1):
        if year not in cal.years:
            continue
        info = cal.year_info(year)
        if info.official:
            yield Finding(OK, f"日历 {year}", info.describe())
        elif year <= today.year:
            yield Finding(
                ERROR,
                f"日历 {year}",
                f"{year} 年没有官方节假日安排，期限计算不可靠；请录入 {folder / f'{year}.yaml'}",
            )
        elif today.month >= 11:
            yield Finding(
                WARN,
                f"日历 {year}",
                f"已到 {today.year} 年 11 月，{year} 年的官方节假日安排尚未录入；"
                "国务院办公厅通知发布后请运行 slamon calendar import 通知文件 导入"
                f"（写入 {folder / f'{year}.yaml'}）",
            )
        else:
            yield Finding(OK, f"日历 {year}", "尚未发布官方安排（通常于 11 月前后发布）")


def check_source(rt: Runtime, now: dt.datetime) -> Iterator[Finding]:
    src = rt.settings.source
    if src.kind == "sql":
        from slamon.adapters.sources.sql_probe import sql_source_findings

        yield from sql_source_findings(src, rt.tz, now)
    elif src.kind == "folder":
        folder = src.folder
        if folder is None or not folder.is_dir():
            yield Finding(ERROR, "数据源", f"导出文件目录 {folder} 不存在")
        else:
            yield Finding(OK, "数据源", f"导出文件目录 {folder}")
    elif src.kind == "demo":
        yield Finding(OK, "数据源", "内置演示数据（demo）")
    else:
        yield Finding(
            WARN,
            "数据源",
            "未配置数据源（source.kind: none）：用 slamon import 导入，poll 和守护进程按导入的数据评估并发送通知",
        )


def check_store(rt: Runtime, now: dt.datetime) -> Iterator[Finding]:
    from slamon.adapters.store.probe import probe_store

    usable, message = probe_store(rt.settings.store_url)
    yield Finding(OK if usable else ERROR, "存储库", message)


def check_smtp(rt: Runtime, now: dt.datetime) -> Iterator[Finding]:
    from slamon.adapters.mail.probe import probe_smtp

    smtp = rt.settings.smtp
    level, message = probe_smtp(smtp, timeout=min(smtp.timeout_seconds, 5))
    yield Finding({"ok": OK, "warn": WARN}.get(level, ERROR), "邮件服务器", message)


CHECKS: list[Callable[[Runtime, dt.datetime], Iterator[Finding]]] = [
    check_rules,
    check_calendar,
    check_source,
    check_store,
    check_smtp,
    check_contacts,
]


def run_checks(rt: Runtime, now: dt.datetime) -> list[Finding]:
    findings: list[Finding] = []
    for check in CHECKS:
        try:
            findings.extend(check(rt, now))
        except SlamonError as exc:
            findings.append(Finding(ERROR, check.__name__.removeprefix("check_"), str(exc)))
    return findings
