"""The 节假日安排 page: every year the calendar covers and where it came from (any viewer), and
for an operator the State Council's notice pasted, previewed and confirmed. Thin views over
service/calendar_import.py — the same reading, checks and comparison as ``slamon calendar import``.

Confirming is a second POST that reads the same text again (nothing is kept between the two); the
running process uses the new calendar at once (see Runtime.reload_calendar)."""

from __future__ import annotations

import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from slamon.core.calendar_import import DAY_STATUS_NAMES
from slamon.core.errors import SlamonError
from slamon.core.formats import WEEKDAYS, chinese_date
from slamon.service.calendar_import import (
    apply_notice,
    calendar_years,
    preview_notice,
    replace_refusal,
)
from slamon.web.auth import Visitor, action, department_page, redirect_with_flash, take_flash, web
from slamon.web.pages import context
from slamon.web.render import page as render

log = logging.getLogger("slamon.web")
MAX_NOTICE_CHARS = 20_000  # a notice is a page of text
CONFIRM_REPLACE = "请勾选“以本通知为准”后再确认"


def _year(request: Request, v: Visitor, years: list[Any]) -> int:
    """The year shown in detail: ?year=, else this year (within the calendar's range)."""
    raw = request.query_params.get("year", "").strip()
    covered = {y.year for y in years}
    if raw.isdigit() and int(raw) in covered:
        return int(raw)
    this = web(request).now().astimezone(web(request).rt.tz).year
    return this if this in covered else max(covered)


def _view(request: Request, v: Visitor, status: int = 200, **extra: Any) -> Response:
    ctx = web(request)
    years = calendar_years(ctx.rt)
    year = extra.pop("year", None) or _year(request, v, years)
    cal = ctx.rt.calendar
    return render(
        "calendar.html.j2",
        context(
            request,
            v,
            "calendar",
            years=years,
            year=year,
            info=cal.year_info(year),
            holidays=cal.holidays_in(year),
            makeup=cal.makeup_workdays_in(year),
            weekday=lambda d: f"周{WEEKDAYS[d.weekday()]}",
            day_status=DAY_STATUS_NAMES,
            confirm_replace=CONFIRM_REPLACE,
            chinese_date=chinese_date,
            notice=extra.pop("notice", ""),
            preview=extra.pop("preview", None),
            refusal=extra.pop("refusal", None),
            message=extra.pop("message", None),
            **extra,
        ),
        status,
    )


@department_page  # the official calendar names no application: department users see it too
def calendar_page(request: Request, v: Visitor) -> Response:
    return _view(request, v, message=take_flash(request, v))


def _notice_text(form: dict[str, Any]) -> str:
    return form.get("notice", "").replace("\r\n", "\n")[:MAX_NOTICE_CHARS]


def _preview(request: Request, v: Visitor, form: dict[str, Any]) -> Response:
    """What importing the pasted notice would change; nothing is written."""
    text = _notice_text(form)
    if not text.strip():
        return _view(request, v, 400, refusal="请粘贴国务院办公厅节假日安排通知的全文")
    try:
        preview = preview_notice(web(request).rt, text)
    except SlamonError as exc:
        return _view(request, v, 400, notice=text, refusal=str(exc))
    return _view(request, v, notice=text, preview=preview, year=preview.year)


def _apply(request: Request, v: Visitor, form: dict[str, Any]) -> Response:
    """The confirmed notice read again and written; the page then shows its year."""
    text = _notice_text(form)
    replace = form.get("replace") == "1"
    rt = web(request).rt
    try:
        preview = preview_notice(rt, text)
        if preview.needs_replace and not replace:
            refusal = str(replace_refusal(preview, CONFIRM_REPLACE))
            return _view(request, v, 400, notice=text, preview=preview, refusal=refusal)
        outcome = apply_notice(rt, text, replace=replace)
    except SlamonError as exc:
        return _view(request, v, 400, notice=text, refusal=str(exc))
    p = outcome.preview
    log.info(
        "web.calendar_import user=%s year=%d file=%s changes=%d replace=%s",
        v.user.name,
        p.year,
        outcome.written,
        len(p.changes),
        replace,
    )
    info = rt.calendar.year_info(p.year)
    message = (
        f"已导入《{p.notice.title}》，写入 {outcome.written}（{len(p.changes)} 天有变化）。"
        f"{p.year} 年现为{'官方' if info.official else '非官方'}安排；"
        "已在本进程生效，受影响申请的答复期限在下一轮读取时重新计算"
    )
    return redirect_with_flash(request, v, f"/calendar?year={p.year}", message)


def routes() -> list[Any]:
    return [
        Route("/calendar", calendar_page),
        Route("/calendar/preview", action(_preview), methods=["POST"]),
        Route("/calendar/apply", action(_apply), methods=["POST"]),
    ]
