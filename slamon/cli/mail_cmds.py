"""``slamon outbox``: the mail queue — list queued, retrying and failed messages, and those with a
refused recipient in the last week; requeue one."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.table import Table

from slamon.cli.common import console, now_option, print_json, runtime
from slamon.core.errors import InputError
from slamon.core.formats import table_moment
from slamon.core.vocabulary import OUTBOX_STATUSES, SENDING, SENT, UNSETTLED_OUTBOX

PENDING_STATUSES = UNSETTLED_OUTBOX
ALL_STATUSES = OUTBOX_STATUSES

outbox_app = typer.Typer(
    help="邮件队列：列出待发送、待重试和发送失败的邮件；retry ID 重新排队。",
    no_args_is_help=False,
    invoke_without_command=True,
    add_completion=False,
)


def _local(value: Any) -> str:
    return table_moment(value, runtime().tz) if value is not None else ""


def _json_row(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": r["id"],
        "key": r["key"],
        "kind": r["kind"],
        "department": r["department"],
        "working_day": r["working_day"].isoformat(),
        "recipients": json.loads(r["recipients"]),
        "subject": r["subject"],
        "status": r["status"],
        "attempts": r["attempts"],
        "unknown_outcomes": r["unknown_outcomes"],
        "not_before": r["not_before"].isoformat() if r["not_before"] else None,
        "claimed_by": r["claimed_by"],
        "sent_at": r["sent_at"].isoformat() if r["sent_at"] else None,
        "last_error": r["last_error"],
        "refused": json.loads(r["refused"]) if r["refused"] else {},
        "message_id": r["message_id"],
    }


@outbox_app.callback()
def outbox(
    ctx: typer.Context,
    show_all: bool = typer.Option(False, "--all", help="也列出已发送和已取消的邮件"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
    now: str = typer.Option(None, "--now", help="按此时刻列出最近 7 天的拒收（默认当前时间）"),
) -> None:
    """列出待发送、待重试、发送失败和最近 7 天有收件人被拒收的邮件（--all 包括已发送）。"""
    if ctx.invoked_subcommand is not None:
        return
    from slamon.core.refusals import REFUSAL_WINDOW, refusals_phrase
    from slamon.core.vocabulary import OUTBOX_STATUS_NAMES as STATUS_NAMES
    from slamon.service.outbox_admin import outbox_view, refused_recipients

    rt, at = runtime(), now_option(now)
    statuses = ALL_STATUSES if show_all else PENDING_STATUSES
    rows, counts = outbox_view(rt.engine, statuses, at)
    refused = refused_recipients(rt.engine, rt, at)
    if as_json:
        print_json(
            {
                "counts": counts,
                "messages": [_json_row(r) for r in rows],
                "refused_recipients": [r.as_json() for r in refused],
            }
        )
        return
    summary = "，".join(f"{STATUS_NAMES.get(s, s)} {counts.get(s, 0)}" for s in ALL_STATUSES)
    console.print(f"邮件队列：{summary}", markup=False)
    if refused:
        days = REFUSAL_WINDOW.days
        console.print(f"最近 {days} 天有 {refusals_phrase(refused)}", markup=False)
    if not rows:
        console.print("没有待发送、发送失败或被拒收的邮件。")
        return
    _table(rows)


def _table(rows: list[dict[str, Any]]) -> None:
    from slamon.core.vocabulary import MAIL_KIND_NAMES as KIND_NAMES
    from slamon.core.vocabulary import OUTBOX_STATUS_NAMES as STATUS_NAMES

    table = Table(title="邮件队列")
    for col in (
        "编号",
        "类别",
        "部门",
        "收件人",
        "主题",
        "状态",
        "尝试",
        "最早发送",
        "错误 / 拒收",
    ):
        table.add_column(col)
    for r in rows:
        refused = json.loads(r["refused"]) if r["refused"] else {}
        problem = r["last_error"] or ""
        if refused:
            problem = (problem + "；" if problem else "") + "拒收：" + "、".join(refused)
        table.add_row(
            str(r["id"]),
            KIND_NAMES.get(r["kind"], r["kind"]),
            r["department"] or "",
            "、".join(json.loads(r["recipients"])),
            r["subject"],
            STATUS_NAMES.get(r["status"], r["status"]),
            str(r["attempts"]),
            _local(r["not_before"]),
            problem,
        )
    console.print(table)


@outbox_app.command("retry")
def retry(
    message_id: int = typer.Argument(
        ..., metavar="ID", help="邮件编号（slamon outbox 的“编号”列）"
    ),
    now: str = typer.Option(None, "--now", help="按此时刻重新排队（默认当前时间）"),
) -> None:
    """把一封发送失败、待人工处理（或待重试）的邮件重新排队，下一个发送时段发出。"""
    from slamon.core.vocabulary import OUTBOX_STATUS_NAMES as STATUS_NAMES
    from slamon.service.outbox_admin import requeue

    old = requeue(runtime().engine, message_id, now_option(now))
    if old is None:
        raise InputError(f"邮件队列中没有编号为 {message_id} 的邮件")
    if old in (SENT, SENDING):
        raise InputError(f"邮件 {message_id} 的状态为“{STATUS_NAMES[old]}”，不能重新排队")
    console.print(
        f"邮件 {message_id} 已重新排队（原状态：{STATUS_NAMES.get(old, old)}），将在下一个发送时段发出。"
    )


def register(app: typer.Typer) -> None:
    app.add_typer(outbox_app, name="outbox")
