"""``slamon report monthly --month M --draft [--send]``: the 核实 round before the report.

Without ``--send`` it prints each mail that would go out (to whom, and its text) and sends
nothing; with ``--send`` it queues them through the outbox and runs one delivery pass.
"""

from __future__ import annotations

import datetime as dt
import sys
from typing import TYPE_CHECKING

from slamon.cli.common import console, now_option, print_json, runtime, warn
from slamon.core.formats import chinese_date_weekday, chinese_moment

if TYPE_CHECKING:
    from slamon.service.feedback_round import DraftMail, DraftRound


def _mail_line(m: DraftMail) -> str:
    ids = "、".join(m.application_ids)
    if m.problem:
        who = "未配置联系人，也未配置督办人：无人可收（发送时记为失败）"
    elif m.unassigned:
        who = f"未配置联系人，改发督办人 {', '.join(m.recipients)}"
    else:
        who = ", ".join(m.recipients)
    before = "（本月此前已发送，不重复）" if m.asked_before else ""
    return f"【{m.department}】→ {who}{before}\n  申请：{ids}"


def _print_draft(d: DraftRound, tz: dt.tzinfo, show_text: bool) -> None:
    f = d.report.figures
    console.print(
        f"{f.month.label}月报存在问题初稿（统计截至{chinese_moment(f.as_of, tz)}）"
        f"涉及 {len(d.mails)} 个部门。",
        markup=False,
    )
    if not d.mails:
        console.print("没有超期的部门，无需核实。", markup=False)
        return
    console.print(
        f"邮件于 {chinese_date_weekday(d.send_day)} 发出，"
        f"反馈截止 {chinese_date_weekday(d.deadline)}"
        f"（{d.working_days} 个工作日，report.feedback_working_days）。",
        markup=False,
    )
    for mail in d.mails:
        console.print(_mail_line(mail), markup=False)
        if show_text:
            sys.stdout.write(f"\n主题：{mail.rendered.subject}\n\n{mail.rendered.text}\n")
            sys.stdout.flush()
    without = [m.department for m in d.mails if m.unassigned]
    if without:
        warn(f"未配置联系人（contacts）的部门：{'、'.join(without)}")


def run_draft(month: str, now: str | None, send: bool, by: str | None, as_json: bool) -> None:
    from slamon.service.delivery import worker_id
    from slamon.service.feedback_round import draft_round, send_round
    from slamon.service.jobs import deliver_job

    rt = runtime()
    engine = rt.engine
    at = now_option(now)
    draft = draft_round(engine, rt, month, at)
    for w in draft.report.quality.warnings if draft.report.quality else ():
        warn(f"警告：{w}")
    if send:
        draft = send_round(engine, rt, draft, by=(by or "").strip() or "命令行")
    if as_json:
        print_json(draft.as_json(rt.tz))
    else:
        _print_draft(draft, rt.tz, show_text=not send)
    if not send:
        if not as_json and draft.mails:
            console.print("未发送任何邮件（加 --send 发送）。", markup=False)
        return
    if not as_json:
        queued = "、".join(draft.queued) if draft.queued else "无（均已发送过）"
        console.print(f"已加入发件队列：{queued}", markup=False)
    real_now = now_option(None) if now else None  # a replay: the real clock sends
    result = deliver_job(engine, rt, at, worker_id("cli"), real_now=real_now)
    if not as_json:
        console.print(str(result), markup=False)
