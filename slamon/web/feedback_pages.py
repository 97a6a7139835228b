"""发起核实 on the 月报 page: an operator's POST (with the session's CSRF token) does what
``slamon report monthly --month M --draft --send`` does — one mail per department named in the
draft 存在问题, queued through the outbox (never twice) and handed to one delivery pass."""

from __future__ import annotations

import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from slamon.core.errors import InputError
from slamon.core.formats import chinese_date_weekday
from slamon.core.periods import Month
from slamon.web.auth import Visitor, action, redirect_with_flash, web
from slamon.web.pages import error

log = logging.getLogger("slamon.web")


def round_message(
    queued: tuple[str, ...], asked_before: int, deadline: Any, unassigned: list[str]
) -> str:
    """The flash line after a round: who was asked, until when, who has no contact."""
    if not queued and not asked_before:
        return "本月存在问题中没有超期的部门，无需核实"
    if not queued:
        return f"本月核实邮件此前已发给 {asked_before} 个部门，未重复发送"
    text = (
        f"已向 {len(queued)} 个部门发起核实（{'、'.join(queued)}），"
        f"反馈截止 {chinese_date_weekday(deadline)}"
    )
    if unassigned:
        text += f"；未配置联系人、改发督办人：{'、'.join(unassigned)}"
    return text


def _start_round(request: Request, v: Visitor, form: dict[str, Any]) -> Response:
    from slamon.service.delivery import worker_id
    from slamon.service.feedback_round import draft_round, send_round
    from slamon.service.jobs import deliver_job

    ctx = web(request)
    try:
        m = Month.parse(form.get("month", "").strip())
        now = ctx.now()
        done = send_round(ctx.engine, ctx.rt, draft_round(ctx.engine, ctx.rt, m, now), v.user.name)
    except InputError as exc:
        return error(request, v, str(exc))
    log.info("web.feedback_round user=%s month=%s queued=%d", v.user.name, m.key, len(done.queued))
    if done.queued:
        deliver_job(ctx.engine, ctx.rt, now, worker_id("web"))
    unassigned = [x.department for x in done.mails if x.unassigned and x.department in done.queued]
    before = sum(1 for x in done.mails if x.asked_before)
    message = round_message(done.queued, before, done.deadline, unassigned)
    return redirect_with_flash(request, v, f"/report?month={m.key}", message)


def routes() -> list[Any]:
    return [Route("/report/feedback", action(_start_round), methods=["POST"])]
