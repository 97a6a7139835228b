"""Rendering notices into mail: Chinese subject, a plain-text part and an HTML part, from Jinja2
templates a site can override (``notify.templates_dir``). HTML templates autoescape every value.

A notice or an escalation lists at most ``notify.max_items_per_mail`` applications (in the
planner's order: the most overdue first) and counts the rest (``rest_note``); a message that
would still be larger than :data:`MAX_MESSAGE_BYTES` on the wire lists fewer and says so.

Template names (each kind has three): ``<kind>.subject.j2``, ``<kind>.txt.j2``, ``<kind>.html.j2``
for the kinds ``notice``, ``escalation`` and ``stale_source``. A site folder only needs the files
it overrides; the rest come from the built-in ``slamon/adapters/mail/templates``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from slamon.adapters.render.templating import template_environment
from slamon.config import NotifyConfig
from slamon.core.errors import ConfigError
from slamon.core.evidence import overdue_phrase
from slamon.core.formats import chinese_date_weekday, chinese_moment
from slamon.core.links import application_url, department_url
from slamon.core.notice_policy import attaches_full_list, unlisted_sentence
from slamon.core.vocabulary import (
    DUE_SOON,
    OVERDUE,
    START_EVENT_NAMES,
)

BUILTIN_TEMPLATES = Path(__file__).resolve().parent / "templates"
UNASSIGNED_MARK = "未配置联系人"
MAX_MESSAGE_BYTES = 1_000_000  # on the wire (base64 parts): well below common relay limits
SIZE_CAP_WORDS = "1 MB"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


@lru_cache(maxsize=8)
def _environment(templates_dir: str | None) -> Any:
    folders: list[str | Path] = []
    if templates_dir:
        if not Path(templates_dir).is_dir():
            raise ConfigError(
                f"目录 {templates_dir} 不存在", key="notify.templates_dir", value=templates_dir
            )
        folders.append(templates_dir)
    env = template_environment([*folders, BUILTIN_TEMPLATES])
    env.filters["day"] = _day_filter
    env.filters["moment"] = _moment_filter
    env.filters["overdue"] = overdue_phrase
    return env


def _day_filter(value: dt.date | str | None) -> str:
    if value is None:
        return "—"
    return chinese_date_weekday(
        dt.date.fromisoformat(value[:10]) if isinstance(value, str) else value
    )


def _moment_filter(value: dt.datetime | str | None) -> str:
    """A snapshot's moment, already in the configured zone when it was planned, in the mail's
    one style (``2024年12月3日 10:08``, like the dates beside it)."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return chinese_moment(value, value.tzinfo) if value is not None else "—"


def render(kind: str, context: dict[str, Any], templates_dir: Path | None = None) -> Rendered:
    """Render the three templates of ``kind`` with ``context``."""
    from jinja2 import TemplateError

    env = _environment(str(templates_dir) if templates_dir else None)
    try:
        subject = env.get_template(f"{kind}.subject.j2").render(context)
        text = env.get_template(f"{kind}.txt.j2").render(context)
        html = env.get_template(f"{kind}.html.j2").render(context)
    except TemplateError as exc:
        raise ConfigError(f"邮件模板 {kind} 无法渲染：{exc}") from exc
    return Rendered(" ".join(subject.split()), text.strip() + "\n", html)


def message_id(key: str, sender: str) -> str:
    """A Message-ID that depends only on the outbox key: every (re)send of a row carries the same."""
    domain = sender.rsplit("@", 1)[-1] or "localhost"
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    return f"<slamon.{digest}@{domain}>"


def item_dicts(planned: Sequence[Any], tz: dt.tzinfo) -> list[dict[str, Any]]:
    """JSON-ready snapshots of planned items (stored in the outbox, rendered into the mail)."""
    out = []
    for p in planned:
        it = p.item
        out.append(
            {
                "application_id": it.application_id,
                "kind": p.kind,
                "resource_name": it.resource_name,
                "applicant_dept": it.applicant_dept,
                "received_at": it.started_at.astimezone(tz).isoformat()  # the clock's start
                if it.started_at
                else None,
                "start_label": START_EVENT_NAMES.get(it.start_event or "", "收到申请"),
                "deadline": it.deadline.astimezone(tz).isoformat() if it.deadline else None,
                "deadline_date": it.deadline_date.isoformat(),
                "overdue_working_days": p.overdue_working_days,
            }
        )
    return out


def wire_size(r: Rendered) -> int:
    """About the size of the message on the wire: both parts in base64 (76-column lines), the
    subject and a margin for the headers."""
    body = len(r.text.encode("utf-8")) + len(r.html.encode("utf-8"))
    return body * 4 // 3 * 78 // 76 + 2 * len(r.subject.encode("utf-8")) + 4096


def render_notice(
    kind: str,
    department: str,
    day: dt.date,
    items: list[dict[str, Any]],
    *,
    unassigned: bool,
    notify: NotifyConfig,
    max_bytes: int = MAX_MESSAGE_BYTES,
    base_url: str | None = None,
) -> Rendered:
    """A notice or an escalation listing at most ``notify.max_items_per_mail`` of ``items``;
    halved again while the message would exceed ``max_bytes`` (the mail then says so).
    ``base_url`` (``web.public_url``): the items and the department link to the dashboard."""
    limit, size_cap = notify.max_items_per_mail, None
    while True:
        ctx = notice_context(
            kind,
            department,
            day,
            items,
            unassigned=unassigned,
            repeat_every=notify.repeat_overdue_every,
            escalate_after=notify.escalate_after,
            max_items=limit,
            size_cap=size_cap,
            attached=attaches_full_list(len(items), notify.max_items_per_mail),
            base_url=base_url,
        )
        r = render(kind, ctx, notify.templates_dir)
        if wire_size(r) <= max_bytes or limit <= 1:
            return r
        limit, size_cap = max(1, min(limit, len(items)) // 2), SIZE_CAP_WORDS


def notice_context(
    kind: str,
    department: str,
    day: dt.date,
    items: list[dict[str, Any]],
    *,
    unassigned: bool,
    repeat_every: int,
    escalate_after: int,
    max_items: int | None = None,
    size_cap: str | None = None,
    attached: bool = False,
    base_url: str | None = None,
) -> dict[str, Any]:
    """The template context: ``items``/``overdue``/``due_soon`` are the listed ones (the first
    ``max_items`` in the planner's order), ``*_count`` count them all, ``rest_note`` the others."""
    citations = list(dict.fromkeys(i["citation"] for i in items if i.get("citation")))
    listed = items[:max_items] if max_items else items
    if base_url:  # copies: the stored snapshots never carry a link
        listed = [{**i, "url": application_url(base_url, i["application_id"])} for i in listed]
    rest = len(items) - len(listed)
    overdue = [i for i in items if i["kind"] == OVERDUE]
    return {
        "kind": kind,
        "department": department,
        "day": day,
        "items": listed,
        "item_count": len(items),
        "overdue": [i for i in listed if i["kind"] == OVERDUE],
        "overdue_count": len(overdue),
        "due_soon": [i for i in listed if i["kind"] == DUE_SOON],
        "due_soon_count": sum(1 for i in items if i["kind"] == DUE_SOON),
        "rest": rest,
        "rest_note": (
            unlisted_sentence(
                rest,
                len(listed),
                department,
                size_cap,
                attached,
                department_url(base_url, department),
            )
            if rest
            else ""
        ),
        "unassigned": unassigned,
        "unassigned_mark": UNASSIGNED_MARK,
        "repeat_every": repeat_every,
        "escalate_after": escalate_after,
        "max_overdue": max((i["overdue_working_days"] for i in overdue), default=0),
        # the governing rules' sentences (根据《…》规定，…5个工作日内予以答复。), in order
        "citations": citations,
        "department_url": department_url(base_url, department),  # None without web.public_url
    }
