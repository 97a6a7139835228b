"""The evidence pages: 申请 (one application's explain evidence) and 核实排除 (exemptions), with
the operator's record and revoke actions. Thin views over service/explain.py and
service/exemptions.py; the actions are POSTs with a CSRF token, for operators only."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from slamon.core.errors import InputError
from slamon.core.evidence import DAY_KIND_NAMES
from slamon.core.periods import Month
from slamon.core.vocabulary import (
    DECISION_NAMES,
    FIELD_NAMES,
    FLAG_NAMES,
    MAIL_KIND_NAMES,
    OUTBOX_STATUS_NAMES,
    REVIEW_NAMES,
    SHARE_TYPE_NAMES,
    START_EVENT_TEXT,
)
from slamon.service.accounts import can_see
from slamon.service.exemptions import ACTION_NAMES, active_ids, exempt, list_exemptions, revoke
from slamon.service.explain import RejectedEvidence, explain
from slamon.web.auth import (
    Visitor,
    action,
    department_page,
    not_found,
    page,
    redirect_with_flash,
    take_flash,
    web,
)
from slamon.web.dispute_pages import dispute_context
from slamon.web.pages import context, error
from slamon.web.render import page as render

log = logging.getLogger("slamon.web")
VALUE_NAMES = {
    "share_type": SHARE_TYPE_NAMES,
    "review_status": REVIEW_NAMES,
    "decision": DECISION_NAMES,
}


@department_page
def application(request: Request, v: Visitor) -> Response:
    ctx = web(request)
    aid = request.query_params.get("id", "").strip()
    if not aid:
        return error(request, v, "未指定申请编号")
    try:
        ev = explain(ctx.engine, ctx.rt, aid, ctx.now())
    except InputError as exc:
        return not_found(request, v) if v.user.is_department else error(request, v, str(exc), 404)
    if v.user.is_department and (  # another department's, or unknown: the same 404
        isinstance(ev, RejectedEvidence)
        or not can_see(ctx.rt, v.user.departments, ev.record.provider_dept)
    ):
        return not_found(request, v)
    if isinstance(ev, RejectedEvidence):  # only rejected rows carry the id: say why
        return error(request, v, ev.sentence(), 404)
    return render(
        "application.html.j2",
        context(
            request,
            v,
            "overview",
            ev=ev,
            clock_field=ev.clock_field,
            start_names=START_EVENT_TEXT,
            field_names=FIELD_NAMES,
            flag_names=FLAG_NAMES,
            value_names=VALUE_NAMES,
            day_kinds=DAY_KIND_NAMES,
            mail_kinds=MAIL_KIND_NAMES,
            outbox_statuses=OUTBOX_STATUS_NAMES,
            message=take_flash(request, v),  # never from the URL: a link cannot put words here
            **dispute_context(request, v, ev),
        ),
    )


def _back(request: Request, v: Visitor, aid: str, message: str) -> Response:
    return redirect_with_flash(request, v, f"/application?id={quote(aid, safe='')}", message)


def _exempt(request: Request, v: Visitor, form: dict[str, Any]) -> Response:
    ctx = web(request)
    aid = form.get("id", "").strip()
    try:
        result = exempt(ctx.engine, ctx.rt, [aid], form.get("reason", ""), v.user.name, ctx.now())
    except InputError as exc:
        return error(request, v, str(exc))
    log.info("web.exempt user=%s application=%s new=%s", v.user.name, aid, bool(result.recorded))
    return _back(request, v, aid, "已核实排除" if result.recorded else "此申请此前已核实排除")


def _revoke(request: Request, v: Visitor, form: dict[str, Any]) -> Response:
    ctx = web(request)
    aid = form.get("id", "").strip()
    try:
        result = revoke(ctx.engine, ctx.rt, [aid], v.user.name, ctx.now(), form.get("reason"))
    except InputError as exc:
        return error(request, v, str(exc))
    log.info("web.revoke user=%s application=%s new=%s", v.user.name, aid, bool(result.recorded))
    return _back(request, v, aid, "已撤销核实排除" if result.recorded else "此申请未被核实排除")


@page
def exemptions(request: Request, v: Visitor) -> Response:
    ctx = web(request)
    month = request.query_params.get("month", "").strip() or None
    try:
        facts = list_exemptions(ctx.engine, ctx.rt, Month.parse(month) if month else None)
    except InputError as exc:
        return error(request, v, str(exc))
    return render(
        "exemptions.html.j2",
        context(
            request,
            v,
            "exemptions",
            facts=list(reversed(facts)),
            exempted=active_ids(ctx.engine),
            actions=ACTION_NAMES,
            month=month or "",
        ),
    )


def routes() -> list[Any]:
    return [
        Route("/application", application),
        Route("/application/exempt", action(_exempt), methods=["POST"]),
        Route("/application/revoke", action(_revoke), methods=["POST"]),
        Route("/exemptions", exemptions),
    ]
