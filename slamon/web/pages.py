"""The read-only pages: 总览, 部门, 月报 (and its downloads), 周报, 数据质量. Each is one service
call and one template; the handlers run in a worker thread (see auth.page)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from slamon.adapters.render.formats import report_format
from slamon.adapters.render.text import (
    EXEMPTION_HEADERS,
    EXEMPTION_TITLE,
    detail_rows,
    exemption_rows,
    quality_note,
    subtitle,
    warnings,
)
from slamon.adapters.render.trend_charts import department_chart, overview_charts
from slamon.core.errors import InputError
from slamon.core.periods import IsoWeek, Month, ending
from slamon.core.report_wording import REPORT_TITLE
from slamon.service import overview as overview_service
from slamon.service import trends
from slamon.service.accounts import can_see, scope_overview
from slamon.service.data_quality import data_quality
from slamon.service.reports import default_week, monthly_report, rendered_digest, report_months
from slamon.web.auth import Visitor, department_page, not_found, page, take_flash, web
from slamon.web.render import page as render


def context(request: Request, v: Visitor, active: str, **extra: Any) -> dict[str, Any]:
    ctx = web(request)
    return {
        "visitor": v,
        "csrf": v.session.csrf,
        "active": active,
        "tz": ctx.rt.tz,
        "now": ctx.now(),
        **extra,
    }


def error(request: Request, v: Visitor, message: str, status: int = 400) -> Response:
    return render("error.html.j2", context(request, v, "", message=message), status)


@department_page
def overview(request: Request, v: Visitor) -> Response:
    ctx = web(request)
    search = request.query_params.get("q", "")
    only = request.query_params.get("only", "")
    o = overview_service.overview(ctx.engine, ctx.rt, ctx.now(), search)
    if v.user.is_department:  # its own rows only, and its own trend (see department_charts)
        o = scope_overview(ctx.rt, o, v.user.departments, search)
    rows = o.rows
    if only == "late":
        rows = [r for r in rows if r.overdue]
    elif only == "attention":
        rows = [r for r in rows if r.overdue or r.due_soon]
    history = trends.history(ctx.engine, ctx.rt, ctx.now(), weeks=trends.WEEKS)
    charts = overview_charts(history)
    if v.user.is_department:
        charts = [department_chart(history, d) for d in v.user.departments]
    return render(
        "overview.html.j2",
        context(request, v, "overview", o=o, rows=rows, q=search, only=only, charts=charts),
    )


@department_page
def department(request: Request, v: Visitor) -> Response:
    ctx = web(request)
    name = request.query_params.get("name", "").strip()
    if not name:
        return error(request, v, "未指定部门")
    if v.user.is_department and not can_see(ctx.rt, v.user.departments, name):
        return not_found(request, v)
    d = overview_service.department(ctx.engine, ctx.rt, name, ctx.now())
    if not d.known:
        return error(request, v, f"没有找到提供部门“{name}”的申请", 404)
    chart = department_chart(trends.history(ctx.engine, ctx.rt, ctx.now()), d.department)
    return render("department.html.j2", context(request, v, "overview", d=d, chart=chart))


def _month(request: Request) -> tuple[Month, Any]:
    """The requested month (default: this month) and its as-of moment (now while it runs)."""
    ctx = web(request)
    now = ctx.now()
    text = request.query_params.get("month", "").strip()
    m = Month.parse(text) if text else Month.of(now.astimezone(ctx.rt.tz).date())
    end = m.end(ctx.rt.tz)
    return m, (now if now < end else None)


def _report(request: Request):  # noqa: ANN202

    ctx = web(request)
    m, as_of = _month(request)
    return m, monthly_report(ctx.engine, ctx.rt, m, as_of)


@page
def report(request: Request, v: Visitor) -> Response:
    try:
        m, r = _report(request)
    except InputError as exc:
        return error(request, v, str(exc))
    ctx = web(request)
    months = report_months(ctx.engine, ctx.rt, ctx.now())
    if m not in months:  # a month outside the stored span is still shown as the one selected
        months = sorted({*months, m}, reverse=True)
    return render(
        "report.html.j2",
        context(
            request,
            v,
            "report",
            m=m,
            r=r,
            months=months,
            title=REPORT_TITLE,
            subtitle=subtitle(r),
            rows=detail_rows(r),
            warnings=warnings(r),
            note=quality_note(r),
            exemption_title=EXEMPTION_TITLE,
            exemption_headers=EXEMPTION_HEADERS,
            exemption_rows=exemption_rows(r),
            # 发起核实 (web/feedback_pages.py): a finished month with departments to ask
            round_departments=len({g.provider_dept for g in r.figures.late}),
            round_open=ctx.now() >= m.end(ctx.rt.tz),
            feedback_days=ctx.rt.settings.feedback.working_days,
            message=take_flash(request, v),
        ),
    )


@page
def report_download(request: Request, v: Visitor) -> Response:
    try:
        fmt = report_format(request.query_params.get("format", "docx"))
        m, r = _report(request)
    except InputError as exc:
        return error(request, v, str(exc))
    name = f"report-{m.key}.{fmt.ext}"
    return Response(
        fmt.render(r, False),
        media_type=fmt.media_type,
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


def _week(request: Request) -> IsoWeek | None:
    text = request.query_params.get("week", "").strip()
    return IsoWeek.parse(text) if text else None


@page
def digest(request: Request, v: Visitor) -> Response:
    ctx = web(request)
    try:
        week = _week(request) or default_week(ctx.now(), ctx.rt.tz)
    except InputError as exc:
        return error(request, v, str(exc))
    weeks = ending(IsoWeek.of(ctx.now().astimezone(ctx.rt.tz).date()), 13)[::-1]  # newest first
    return render("digest.html.j2", context(request, v, "digest", week=week, weeks=weeks))


@page
def digest_view(request: Request, v: Visitor) -> Response:
    """The digest exactly as the supervisors receive it (the mail's HTML, escaped by its renderer)."""

    ctx = web(request)
    try:
        _, mail = rendered_digest(ctx.engine, ctx.rt, _week(request), ctx.now())
    except InputError as exc:
        return error(request, v, str(exc))
    return HTMLResponse(mail.html_with_data_uris())


@page
def quality(request: Request, v: Visitor) -> Response:
    ctx = web(request)
    q = overview_service.quality_basics(ctx.engine, ctx.rt, ctx.now())
    note = data_quality(ctx.engine, ctx.rt, ctx.now())
    return render("quality.html.j2", context(request, v, "quality", dq=q, note=note))
