"""情况说明 on the dashboard: a department user submits one from its application page (text and
at most one attachment, a multipart POST with the session's CSRF token); operators decide them
on the 情况说明 page (the queue of those 待核实) or on the application page; attachments are
downloaded, never shown inline. Thin views over service/disputes.py."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from slamon.core import disputes as rules
from slamon.core.errors import InputError
from slamon.service import disputes as service
from slamon.service.disputes import DisputeNotFound
from slamon.web.auth import (
    MAX_FORM_BYTES,
    Upload,
    Visitor,
    action,
    department_page,
    not_found,
    page,
    redirect_with_flash,
    take_flash,
    web,
)
from slamon.web.pages import context
from slamon.web.render import page as render
from slamon.web.users import DEPARTMENT

log = logging.getLogger("slamon.web")
ACCEPT = ",".join(f".{ext}" for ext in rules.FILE_KINDS)  # the file picker's filter
DECISION_FIELDS = {"accept": rules.ACCEPTED, "reject": rules.REJECTED}


def _scope(v: Visitor) -> tuple[str, ...] | None:
    """The departments a department user may see; None: everything."""
    return v.user.departments if v.user.is_department else None


def _max_bytes(request: Request) -> int:
    return web(request).rt.settings.web.dispute_max_bytes


def _app_url(aid: str) -> str:
    return f"/application?id={quote(aid, safe='')}"


def _refused(request: Request, v: Visitor, message: str, back: str, status: int = 400) -> Response:
    return render("error.html.j2", context(request, v, "", message=message, back=back), status)


def dispute_context(request: Request, v: Visitor, ev: Any) -> dict[str, Any]:
    """What the application page's 情况说明 section needs (templates/_disputes.html.j2)."""
    ctx = web(request)
    found = service.list_disputes(ctx.engine, ctx.rt, application_ids=[ev.application_id])
    waiting = any(d.status == rules.PENDING for d in found)
    return {
        "disputes": found,
        "can_dispute": v.user.is_department and not waiting and not ev.exemption,
        "dispute_waiting": waiting,
        "dispute_limit": rules.size_text(_max_bytes(request)),
        "dispute_max_text": rules.MAX_TEXT,
        "dispute_allowed": rules.ALLOWED_TEXT,
        "dispute_accept": ACCEPT,
        "status_names": rules.STATUS_NAMES,
        "channel_names": rules.CHANNEL_NAMES,
        "size_text": rules.size_text,
    }


def _submit(request: Request, v: Visitor, form: dict[str, Any]) -> Response:
    ctx = web(request)
    aid = str(form.get("id", "")).strip()
    back = _app_url(aid)
    upload = form.get("attachment")
    try:
        attachment = None
        if isinstance(upload, Upload):
            attachment = rules.check_attachment(upload.filename, upload.data, _max_bytes(request))
        d = service.submit(
            ctx.engine,
            ctx.rt,
            aid,
            str(form.get("text", "")),
            v.user.name,
            ctx.now(),
            channel=rules.WEB,
            attachment=attachment,
            departments=v.user.departments,
        )
    except DisputeNotFound:
        return not_found(request, v)
    except InputError as exc:
        return _refused(request, v, str(exc), back)
    log.info(
        "web.dispute_submitted user=%s application=%s dispute=%d attachment=%s",
        v.user.name,
        aid,
        d.id,
        d.attachment_size or 0,
    )
    return redirect_with_flash(request, v, back, f"已提交{d.citation}，待核实")


def _decide(request: Request, v: Visitor, form: dict[str, Any]) -> Response:
    ctx = web(request)
    raw = str(form.get("id", "")).strip()
    back = "/disputes" if form.get("back") == "queue" else None
    decision = DECISION_FIELDS.get(str(form.get("decision", "")))
    if not raw.isdigit() or decision is None:
        return _refused(request, v, "请求无效：缺少情况说明编号或决定", back or "/disputes")
    try:
        d = service.decide(
            ctx.engine,
            ctx.rt,
            int(raw),
            decision,
            str(form.get("reason", "")),
            v.user.name,
            ctx.now(),
        )
    except InputError as exc:
        return _refused(request, v, str(exc), back or "/disputes")
    log.info("web.dispute_decided user=%s dispute=%d decision=%s", v.user.name, d.id, decision)
    said = (
        f"已采纳{d.citation}，申请 {d.application_id} 已核实排除"
        if decision == rules.ACCEPTED
        else f"已不予采纳{d.citation}"
    )
    return redirect_with_flash(request, v, back or _app_url(d.application_id), said)


@department_page
def attachment(request: Request, v: Visitor) -> Response:
    """The attachment as a download, with the type its extension allows: never inline."""
    ctx = web(request)
    raw = request.query_params.get("id", "").strip()
    try:
        if not raw.isdigit():
            raise DisputeNotFound("未指定情况说明编号")
        d, data = service.attachment_of(ctx.engine, ctx.rt, int(raw), _scope(v))
    except DisputeNotFound as exc:
        if v.user.is_department:
            return not_found(request, v)
        return _refused(request, v, str(exc), "/disputes", 404)
    name = d.attachment_name or "附件"
    ext = rules.extension(name)
    kind = rules.FILE_KINDS.get(ext)
    fallback = f"dispute-{d.id}.{ext}" if kind else f"dispute-{d.id}.bin"
    disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
    return Response(
        data,
        media_type=kind.content_type if kind else "application/octet-stream",
        headers={"content-disposition": disposition},
    )


@page
def queue(request: Request, v: Visitor) -> Response:
    """情况说明: those 待核实 first (the default), or every one of a status, or all."""
    ctx = web(request)
    wanted = request.query_params.get("status", rules.PENDING).strip()
    status = wanted if wanted in rules.STATUSES else None
    found = service.list_disputes(ctx.engine, ctx.rt, status)
    counts: dict[str, int] = {s: 0 for s in rules.STATUSES}
    for d in service.list_disputes(ctx.engine, ctx.rt):
        counts[d.status] += 1
    return render(
        "disputes.html.j2",
        context(
            request,
            v,
            "disputes",
            disputes=list(reversed(found)) if status != rules.PENDING else found,
            status=status or "all",
            counts=counts,
            status_names=rules.STATUS_NAMES,
            channel_names=rules.CHANNEL_NAMES,
            size_text=rules.size_text,
            message=take_flash(request, v),
        ),
    )


def routes() -> list[Any]:
    def upload_limit(request: Request) -> int:
        return _max_bytes(request) + MAX_FORM_BYTES  # the file and the text fields

    return [
        Route(
            "/application/dispute",
            action(_submit, role=DEPARTMENT, upload_limit=upload_limit),
            methods=["POST"],
        ),
        Route("/dispute/decide", action(_decide), methods=["POST"]),
        Route("/dispute/attachment", attachment),
        Route("/disputes", queue),
    ]
