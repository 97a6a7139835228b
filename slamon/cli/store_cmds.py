"""Commands over the store: import, poll, status, run, demo, store upgrade. Heavy imports stay
inside them."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from slamon.cli.common import console, now_option, print_json, runtime, warn
from slamon.cli.status_view import render_status
from slamon.core.errors import InputError
from slamon.core.vocabulary import DUE_SOON, MAIL_KIND_NAMES, OVERDUE, field_name

if TYPE_CHECKING:
    from slamon.service.poll_summary import PollSummary

REPLAY_NOT_SENT = (
    "邮件：按 --now 指定的时刻重放，未发送邮件（通知已计划并留在发件队列）；"
    "如需发送，请加 --send（按当前真实时间的发送时段发送），或由守护进程在发送时段发出"
)


def _print_errors(errors: list, limit: int = 50) -> None:
    if not errors:
        return
    table = Table(title=f"被拒绝的行（{len(errors)} 行）")
    for col in ("行", "字段", "原因"):
        table.add_column(col)
    for e in errors[:limit]:
        table.add_row(str(e.row), e.header or field_name(e.field), e.message)
    console.print(table)
    if len(errors) > limit:
        console.print(f"……另有 {len(errors) - limit} 行未列出（slamon status 查看全部）")


def import_file(
    file: Path = typer.Argument(..., help="CSV（UTF-8、GB18030 或 Big5）或 XLSX 导出文件"),
    sheet: str = typer.Option(
        None, "--sheet", help="XLSX 中要导入的工作表名称（默认第一个有表头的工作表）"
    ),
    now: str = typer.Option(None, "--now", help="按此时刻评估时限（默认当前时间）"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
) -> None:
    """导入 CSV/XLSX 申请记录：好行全部入库，坏行逐行报告行号、字段和原因。"""
    from slamon.adapters.sources.factory import file_limits
    from slamon.adapters.sources.files import FileSource
    from slamon.service.poll import run_poll_cycle

    if not file.is_file():
        raise InputError(f"文件 {file} 不存在")
    rt = runtime()
    at = now_option(now)
    source = FileSource(file, file_limits(rt.settings), sheet)
    summary = run_poll_cycle(runtime().engine, rt, source, at, incremental=False)
    if as_json:
        print_json(summary.as_import_json())
        return
    console.print(
        f"导入 {file.name}：新增 {summary.inserted} 条，更新 {summary.updated} 条，"
        f"未变 {summary.unchanged} 条，拒绝 {summary.rejected} 行。"
    )
    _print_errors(summary.errors)
    if rt.settings.source.kind == "none":
        console.print(
            "未配置数据源（source.kind 为 none）：slamon poll 和守护进程按导入的数据计算时限、"
            "计划并发送提醒、预警和督办。"
        )


@contextlib.contextmanager
def _row_progress(dry_run: bool = False) -> Iterator[Callable[[int], None] | None]:
    """Rows read so far, live on a terminal (nothing otherwise: the log has progress lines)."""
    if not console.is_terminal:
        yield None
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console
    ) as bar:
        task = bar.add_task("读取数据源……", total=None)
        done = "已读取（试运行，未入库）" if dry_run else "已读取并入库"
        yield lambda rows: bar.update(task, description=f"{done} {rows:,} 行")


def poll(
    now: str = typer.Option(None, "--now", help="按此时刻运行本轮（默认当前时间）"),
    dry_run: bool = typer.Option(False, "--dry-run", help="只计划并打印通知，不写入、不发送"),
    full: bool = typer.Option(
        False, "--full", help="全量核对：重读全部记录，补齐增量遗漏，找出已从平台删除的申请"
    ),
    send: bool = typer.Option(
        False,
        "--send",
        help="与 --now 一起使用时也发送邮件（按当前真实时间的发送时段发送，记录真实发送时间）",
    ),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
) -> None:
    """运行一轮：读取数据源、入库、计算时限、计划并发送通知。

    用 --now 按某一时刻重放时只计划通知、不发送邮件，除非同时给出 --send。"""
    from slamon.adapters.sources.base import ImportedOnly
    from slamon.adapters.sources.factory import make_source
    from slamon.service.delivery import worker_id
    from slamon.service.jobs import deliver_job
    from slamon.service.poll import default_planner, run_poll_cycle

    if send and dry_run:
        raise typer.BadParameter("--send 与 --dry-run 不能同时使用", param_hint="--send")
    rt = runtime()
    at = now_option(now)
    source = make_source(rt.settings) or ImportedOnly()  # kind none: what import loaded
    if full and isinstance(source, ImportedOnly):
        raise InputError(
            "未配置数据源（source.kind 为 none），无法全量核对；请用 slamon import 导入文件"
        )
    engine = runtime().engine
    with _row_progress(dry_run) as progress:
        summary = run_poll_cycle(
            engine,
            rt,
            source,
            at,
            dry_run=dry_run,
            planner=default_planner(),
            full=full,
            progress=progress,
        )
    held_back = now is not None and not send and not dry_run  # a replay: nothing leaves
    delivery = None
    if not dry_run and not held_back:
        real_now = now_option(None) if now is not None else None  # the real clock sends
        delivery = deliver_job(engine, rt, at, worker_id("cli"), real_now=real_now)
    if held_back:
        delivery = REPLAY_NOT_SENT
    if as_json:
        print_json(_poll_json(summary, delivery, dry_run))
        return
    _print_poll(summary, delivery, dry_run)


def _poll_json(summary: PollSummary, delivery: Any, dry_run: bool) -> dict[str, Any]:
    """``poll --json``: the cycle's counts, its notes and planned notices, the delivery."""
    data = {
        "source": summary.source,
        "fetched": summary.fetched,
        **summary.as_import_json(),
        "evaluated": summary.evaluated,
        "deadline_changes": summary.deadline_changes,
        "deadline_update": summary.deadline_update,  # years changed, moves, mail sent before
        "data_issues": summary.data_issues,
        "issues_cleared": summary.issues_cleared,
        "planned": summary.planned,
        "full": summary.full,
        "missed": summary.missed,
        "deleted": summary.deleted,
        "future": summary.future,
        "dry_run": dry_run,
        "notes": summary.notes,
        "planned_notices": summary.preview,
    }
    if delivery is REPLAY_NOT_SENT:
        data["delivery"] = {"sent": 0, "replay_not_sent": True, "note": REPLAY_NOT_SENT}
    elif delivery is not None and hasattr(delivery, "as_json"):
        data["delivery"] = delivery.as_json()
    return data


def _print_poll(summary: PollSummary, delivery: Any, dry_run: bool) -> None:
    """The cycle in one line, its warnings on stderr, then the notices planned (and sent)."""
    s = summary
    counts = f"新增 {s.inserted}，更新 {s.updated}，未变 {s.unchanged}，拒绝 {s.rejected}"
    if dry_run:  # the read is rolled back: what it would have stored, nothing stored
        counts = f"未入库（试运行；入库将{counts}）"
    console.print(
        f"数据源 {s.source}：读取 {s.fetched} 行，{counts}；评估 {s.evaluated} 件申请。",
        markup=False,
    )
    if summary.data_issues:
        warn(f"{summary.data_issues} 件申请数据存疑，暂不判定、不催办（slamon status 查看原因）")
    for note in summary.notes:  # deadlines moved by a calendar or rule change among them
        warn(note)
    _print_errors(summary.errors, limit=20)
    if dry_run:
        console.print(f"试运行：计划 {summary.planned} 封通知（未写入、未发送）")
        for p in summary.preview:
            console.print(
                f"  【{MAIL_KIND_NAMES.get(p['kind'], p['kind'])}】{p['department'] or ''} → {', '.join(p['recipients'])}：{p['subject']}",
                markup=False,
            )
    else:
        console.print(f"计划通知 {summary.planned} 封。")
        if delivery is not None:
            console.print(str(delivery), markup=False)


def status(
    department: str = typer.Option(None, "--department", help="只看此提供部门"),
    now: str = typer.Option(None, "--now", help="按此时刻评估（默认当前时间）"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
    settled: bool = typer.Option(False, "--settled", help="也列出已被后来的正确记录更正的被拒绝行"),
    xlsx: Path = typer.Option(
        None, "--xlsx", metavar="FILE", help="把申请列表和各部门统计写入 Excel 文件"
    ),
    wide: bool = typer.Option(False, "--wide", help="终端较窄时也显示全部列（折行显示）"),
) -> None:
    """各部门及未办结申请的答复期限、阶段和超期工作日；上次成功读取；被拒绝的行。"""
    from slamon.service.status import build_status

    rt = runtime()
    at = now_option(now)
    report = build_status(runtime().engine, rt, at, department, include_settled=settled)
    _department_notes(report)
    if xlsx is not None:
        from slamon.adapters.render.xlsx import write_status_xlsx

        path = write_status_xlsx(report, rt.tz, rt.settings.timezone, xlsx)
        if not as_json:
            console.print(f"已写入 {path}（{len(report.items)} 件申请）", markup=False)
            return
    if as_json:
        print_json([it.as_json() for it in report.items])
        return
    render_status(report, rt, wide=wide)


def _department_notes(report) -> None:  # noqa: ANN001
    """Say when --department matched nothing (or several names), and which names look like typos."""
    query, matches = report.department_query, report.department_matches
    if query and not matches:
        warn(f"没有名称包含“{query}”的提供部门（按别名和全角/空格折算后比较）")
    elif query and len(matches) > 1:
        warn(f"“{query}”匹配多个提供部门：{'、'.join(matches)}")
    for u in report.unknown_departments:
        warn(f"部门名称疑有误：{u.sentence()}；请在平台更正或在 aliases 中配置")


def run(
    log_json: bool = typer.Option(
        False, "--log-json", help="日志输出为 JSON 行（默认按 daemon.log_format）"
    ),
) -> None:
    """守护进程：定时读取数据源、发送通知、生成月报和周报；SIGTERM/SIGINT 平稳退出。"""
    from slamon.daemon import Daemon
    from slamon.logs import setup_logging

    rt = runtime()
    setup_logging("json" if log_json else rt.settings.log_format, tz=rt.tz)
    rt.rules  # noqa: B018 — validate rules and calendar before starting
    rt.calendar  # noqa: B018
    Daemon(rt, runtime().engine).run_forever()


def demo(
    output: Path = typer.Option(Path("demo-output"), "--output", help="演示输出目录"),
) -> None:
    """端到端演示：内置样例平台数据库 → 读取 → 计算时限 → 通知 → 月报，无需任何配置。"""
    from slamon.demo.run import run_demo
    from slamon.service.status import build_status

    result = run_demo(output)
    rt, now, p = result.runtime, result.now, result.poll
    console.print(
        f"[bold]slamon 演示[/bold]：演示时刻 {now:%Y-%m-%d %H:%M}，规则 guizhou-2023（5 个工作日）"
    )
    console.print(
        f"读取演示平台数据库（2024 年 12 月）：{p.fetched} 行，入库 {p.inserted} 件，拒绝 {p.rejected} 行。"
    )
    render_status(build_status(rt.engine, rt, now), rt, stages=(OVERDUE, DUE_SOON))
    console.print(f"{result.delivery}；邮件已保存到 {result.output / 'mail'}：", markup=False)
    for line in result.mail_lines:
        console.print(f"  {line}", markup=False, soft_wrap=True)
    console.print("\n月报“六、存在问题”：", markup=False)
    console.print(result.problems_text, markup=False, soft_wrap=True)
    console.print("\n输出文件：", markup=False)
    for path in result.reports:
        console.print(f"  {path}", markup=False)


store_app = typer.Typer(
    help="存储库维护：slamon store upgrade 把存储库结构升级到本程序的版本。",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)

_ADOPT_WORDS = {
    "create_table": "新建表",
    "add_column": "添加列",
    "create_index": "补建索引",
    "widen_datetime": "时间列改为微秒精度",
}


@store_app.command("upgrade")
def store_upgrade(
    dry_run: bool = typer.Option(False, "--dry-run", help="只显示将做的修改，不修改存储库"),
) -> None:
    """把存储库结构升级到本程序需要的版本（可重复运行；已是最新时不做任何修改）。

    升级前请停止守护进程和看板；SQLite 存储库会先自动备份为 <文件>.bak-<版本>。"""
    from slamon.service.store_upgrade import plan_store_upgrade, upgrade_store

    url = runtime().settings.store_url
    found = plan_store_upgrade(url)
    state, plan = found.plan.state, found.plan
    current = state.current or ("无（空库）" if state.empty else "迁移前（slamon 0.1.0 及更早）")
    console.print(
        f"存储库 {found.store}：当前结构版本 {current}，程序需要 {state.head}", markup=False
    )
    if not plan.needed:
        console.print("结构已是最新，无需升级。", markup=False)
        return
    _print_upgrade_steps(plan)
    backup = (
        "SQLite 文件将先自动备份" if found.sqlite else "请先备份存储库（pg_dump / mariadb-dump）"
    )
    if dry_run:
        console.print(
            f"试运行：未做任何修改。升级前请先停止守护进程和看板；{backup}。", markup=False
        )
        return
    if not found.sqlite and not state.empty:
        console.print(f"提示：{backup}，并停止守护进程和看板。", markup=False)
    done = upgrade_store(url)
    if done.backup is not None:
        console.print(f"已备份到 {done.backup}", markup=False)
    console.print(f"已升级到结构版本 {done.plan.state.head}。", markup=False)


def _print_upgrade_steps(plan: Any) -> None:
    """What the upgrade applies: all tables of a new store, or the adoption of a store made
    before migrations, then the revisions in order."""
    if plan.state.empty:
        console.print(f"将新建全部数据表（结构版本 {plan.state.head}）。", markup=False)
        return
    console.print("将执行：", markup=False)
    if plan.adopt_as:
        for step in plan.adopt:
            names = f" {'、'.join(step.names)}" if step.names else ""
            console.print(f"  {_ADOPT_WORDS[step.action]} {step.table}{names}", markup=False)
        console.print(f"  记为结构版本 {plan.adopt_as}（接管迁移前建立的存储库）", markup=False)
    for step in plan.revisions:
        console.print(f"  {step.revision} {step.title}", markup=False)


def register(app: typer.Typer) -> None:
    app.add_typer(store_app, name="store")
    app.command("import")(import_file)
    app.command("poll")(poll)
    app.command("status")(status)
    app.command("run")(run)
    app.command("demo")(demo)
