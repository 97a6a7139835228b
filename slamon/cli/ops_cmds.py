"""Operating commands: ``test-mail`` (one message through the relay) and ``health``."""

from __future__ import annotations

from typing import Any

import typer

from slamon.cli.common import console, now_option, print_json, runtime
from slamon.core.formats import table_moment


def test_mail_cmd(
    address: str = typer.Argument(..., metavar="ADDRESS", help="收件人邮箱"),
    now: str = typer.Option(None, "--now", help="邮件中写明的时刻（默认当前时间）"),
) -> None:
    """经配置的邮件服务器发送一封测试邮件，并如实报告服务器的答复。"""
    from slamon.service.mail_check import send_test_mail

    rt = runtime()
    smtp = rt.settings.smtp
    result = send_test_mail(rt, address, now_option(now))
    where = f"{smtp.host}:{smtp.port}"
    console.print(
        f"邮件服务器 {where}" + (f"（{result.server}）" if result.server else ""), markup=False
    )
    for a in result.accepted:
        console.print(f"收件人 {a}：已接受", markup=False)
    for a, reason in result.refused.items():
        console.print(f"收件人 {a}：被拒收（{reason}）", markup=False)
    console.print(f"服务器对邮件的答复：{result.reply or '（无）'}", markup=False)
    if result.refused:
        raise typer.Exit(1)


def health(
    now: str = typer.Option(None, "--now", help="按此时刻判断（默认当前时间）"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
) -> None:
    """守护进程健康状况：租约持有者、上次读取、上次发送、邮件队列（供运维监控）。

    退出码：0 正常，1 有问题（状态：异常），供监控程序判断。"""
    from slamon.service.health import daemon_health

    rt = runtime()
    at = now_option(now)
    h = daemon_health(rt.engine, rt, at)
    if as_json:
        print_json(h)
    else:
        _print_health(h, rt)
    if not h["ok"]:
        raise typer.Exit(1)


def _print_health(h: dict, rt: Any) -> None:
    from slamon.core.vocabulary import OUTBOX_STATUS_NAMES, RUN_OK

    d = h["daemon"]

    def when(v: object) -> str:
        return table_moment(v, rt.tz) if v else "无"  # type: ignore[arg-type]

    console.print("状态：" + ("正常" if h["ok"] else "异常"), markup=False)
    console.print(f"租约持有者：{d['lease_holder'] or '无'}", markup=False)
    poll = d["last_poll"]
    if poll:
        outcome = "成功" if poll["status"] == RUN_OK else f"失败（{poll['error']}）"
        console.print(
            f"上次读取：{when(poll['finished_at'] or poll['started_at'])}，{outcome}", markup=False
        )
    else:
        console.print("上次读取：无", markup=False)
    console.print(f"上次成功读取：{when(d['last_successful_poll_at'])}", markup=False)
    console.print(f"上次发送处理：{when(d['last_delivery_at'])}", markup=False)
    console.print(f"上次发出邮件：{when(d['last_sent_at'])}", markup=False)
    box = "，".join(f"{OUTBOX_STATUS_NAMES.get(s, s)} {n}" for s, n in sorted(h["outbox"].items()))
    console.print(f"邮件队列：{box or '空'}", markup=False)
    for p in h["problems"]:
        console.print(f"问题：{p}", markup=False)


def register(app: typer.Typer) -> None:
    app.command("test-mail")(test_mail_cmd)
    app.command("health")(health)
