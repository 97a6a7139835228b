"""``slamon disputes`` (the 情况说明 and their outcome) and ``slamon dispute add / accept /
reject`` (staff record one received by phone or letter; an operator decides one)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from slamon.cli.common import console, now_option, print_json, runtime

if TYPE_CHECKING:
    from slamon.service.disputes import DisputeView

dispute_app = typer.Typer(
    help="情况说明：dispute add 申请编号 --reason …；dispute accept|reject 编号 --reason …",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)


def disputes(
    status: str = typer.Option(
        None, "--status", metavar="STATUS", help="只列 pending（待核实）/ accepted / rejected"
    ),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
) -> None:
    """列出情况说明：申请、部门、说明、附件、状态与核实结果（最早的在前）。"""
    from slamon.core.disputes import parse_status
    from slamon.service.disputes import list_disputes

    rt = runtime()
    found = list_disputes(rt.engine, rt, parse_status(status))
    if as_json:
        print_json([d.as_json(rt.tz) for d in found])
        return
    if not found:
        console.print(
            "没有情况说明。" if status is None else "没有该状态的情况说明。", markup=False
        )
        return
    _print_table(found)


def _print_table(found: list[DisputeView]) -> None:
    from rich.table import Table
    from rich.text import Text

    from slamon.core.disputes import CHANNEL_NAMES, STATUS_NAMES, size_text
    from slamon.core.formats import table_moment

    tz = runtime().tz
    table = Table(title=f"情况说明（{len(found)} 件）", title_justify="left")
    for col in ("编号", "申请编号", "提供部门", "说明", "附件", "来源", "提交", "状态", "核实意见"):
        table.add_column(col)
    for d in found:
        attached = f"{d.attachment_name}（{size_text(d.attachment_size or 0)}）"
        outcome = "—"
        if d.decided_at is not None:
            outcome = f"{d.decision_reason}（{d.decided_by}，{table_moment(d.decided_at, tz)}）"
        table.add_row(
            str(d.id),
            Text(d.application_id),
            Text(d.department),
            Text(d.text),
            Text(attached) if d.attachment_name else "—",
            CHANNEL_NAMES.get(d.channel, d.channel),
            Text(f"{d.by}，{table_moment(d.at, tz)}"),
            STATUS_NAMES.get(d.status, d.status),
            Text(outcome),
        )
    console.print(table)


@dispute_app.command("add")
def dispute_add(
    application_id: str = typer.Argument(..., metavar="APP_ID", help="申请编号"),
    reason: str = typer.Option(..., "--reason", help="部门的说明（必填）"),
    by: str = typer.Option(None, "--by", metavar="NAME", help="登记人"),
    channel: str = typer.Option("电话", "--channel", help="电话 或 来函"),
    now: str = typer.Option(None, "--now", help="登记时刻（默认当前时间）"),
) -> None:
    """代部门登记以电话或来函提出的情况说明（待核实）。"""
    from slamon.core.disputes import parse_channel
    from slamon.service.disputes import submit

    rt = runtime()
    kind = parse_channel(channel)
    d = submit(rt.engine, rt, application_id, reason, by, now_option(now), channel=kind)
    console.print(
        f"已登记{d.citation}（申请 {d.application_id}，{d.department}），待核实", markup=False
    )


def _decide(dispute_id: int, decision: str, reason: str, by: str | None, now: str | None) -> None:
    from slamon.service.disputes import decide

    rt = runtime()
    d = decide(rt.engine, rt, dispute_id, decision, reason, by, now_option(now))
    if decision == "accepted":
        console.print(
            f"已采纳{d.citation}：申请 {d.application_id} 已核实排除（理由：{d.decision_reason}）",
            markup=False,
        )
    else:
        console.print(
            f"未采纳{d.citation}（申请 {d.application_id}，理由：{d.decision_reason}）",
            markup=False,
        )


@dispute_app.command("accept")
def dispute_accept(
    dispute_id: int = typer.Argument(..., metavar="ID", help="情况说明编号"),
    reason: str = typer.Option(..., "--reason", help="采纳理由（写入核实排除）"),
    by: str = typer.Option(None, "--by", metavar="NAME", help="核实人"),
    now: str = typer.Option(None, "--now", help="记录时刻（默认当前时间）"),
) -> None:
    """采纳情况说明：其申请核实排除，理由引用该情况说明。"""
    _decide(dispute_id, "accepted", reason, by, now)


@dispute_app.command("reject")
def dispute_reject(
    dispute_id: int = typer.Argument(..., metavar="ID", help="情况说明编号"),
    reason: str = typer.Option(..., "--reason", help="不予采纳的理由（部门可见）"),
    by: str = typer.Option(None, "--by", metavar="NAME", help="核实人"),
    now: str = typer.Option(None, "--now", help="记录时刻（默认当前时间）"),
) -> None:
    """不予采纳情况说明，并写明理由（部门在看板上可见）。"""
    _decide(dispute_id, "rejected", reason, by, now)


def register(app: typer.Typer) -> None:
    app.command("disputes")(disputes)
    app.add_typer(dispute_app, name="dispute")
