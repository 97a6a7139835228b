"""Notify service: plan notices into the outbox (inside the poll transaction), queue any other
message (the weekly digest, source alerts), and deliver (see :mod:`slamon.service.delivery`).

Public functions (signatures are relied on by the poll cycle, the daemon, the demo and reports):

- ``plan_notices(conn, rt, now) -> int``: called inside the poll transaction after SLA evaluation;
  returns the number of outbox rows it inserted (0 when everything was already planned).
- ``queue_message(target, rt, now, *, key, kind, recipients, subject, text, html, department=None,
  working_day=None, unassigned=False) -> bool``: queue one message under a unique ``key``; False
  when the key exists.
  ``target`` is a Connection (joins the caller's transaction) or an Engine (own transaction).
- ``notify_stale_source(engine, rt, now, message, source=None) -> bool``: mail the operators (or
  the supervisors) once per working day per source (key ``stale|<source>|<day>``).
- ``deliver_due(engine, rt, now, worker, ...) -> DeliveryReport``: send what is due.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from slamon.adapters.mail.messages import item_dicts, message_id, render, render_notice
from slamon.adapters.store import applications, exemptions, outbox
from slamon.core.departments import canonical
from slamon.core.notice_policy import (
    History,
    OpenItem,
    Policy,
    plan,
)
from slamon.core.vocabulary import (
    CLOCK_RUNNING_STAGES,
    ESCALATION,
    FAILED,
    NOTICE,
    QUEUED,
    STALE_SOURCE,
)
from slamon.runtime import Runtime
from slamon.service import notice_stamp
from slamon.service.citations import cite, rule_facts
from slamon.service.delivery import DeliveryReport, deliver_due
from slamon.service.recipients import (
    contact_map,
    for_department,
    for_escalation,
    for_operators,
)

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

__all__ = ["DeliveryReport", "deliver_due", "notify_stale_source", "plan_notices", "queue_message"]

log = logging.getLogger("slamon.notices")
HISTORY_DAYS = 60  # reminders and overdue repeats look back this far; escalations look back forever


def notice_key(department: str, kind: str, day: dt.date) -> str:
    return f"{department}|{kind}|{day.isoformat()}"


def load_open_items(conn: Connection, rt: Runtime, day: dt.date) -> list[OpenItem]:
    """Unanswered applications that may be due soon or overdue on ``day``: deadlines up to the
    longest due-soon horizon of the rules, one working day more before a long break."""
    soon = {r.id: r.due_soon_working_days for r in rt.rules.active}
    horizon = rt.calendar.nth_working_day_after(day, max(soon.values(), default=1) + 1)
    rows = applications.unanswered_due_by(conn, CLOCK_RUNNING_STAGES, horizon)
    aliases = rt.settings.aliases
    return [
        OpenItem(
            aid,
            canonical(dept, aliases),
            res,
            applicant,
            started,
            deadline,
            ddate,
            event,
            soon.get(rule_id or "", 1),
        )
        for aid, dept, res, applicant, started, event, deadline, ddate, rule_id in rows
    ]


def load_history(conn: Connection, day: dt.date) -> History:
    history = History()
    for kinds, since in (
        ((NOTICE,), day - dt.timedelta(days=HISTORY_DAYS)),
        ((ESCALATION,), dt.date.min),
    ):
        for kind, working_day, items in outbox.history_rows(conn, kinds, since):
            parsed = json.loads(items or "[]")
            history.add(
                kind,
                working_day,
                ((i["application_id"], i.get("kind", "")) for i in parsed if isinstance(i, dict)),
            )
    return history


def plan_notices(conn: Connection, rt: Runtime, now: dt.datetime) -> int:
    """Plan today's (or the next working day's) notices into the outbox; idempotent per key."""
    s, cal, tz = rt.settings, rt.calendar, rt.tz
    n = s.notify
    day, not_before = rt.window.sending_day(now)
    exempted = exemptions.active(conn)  # 核实排除: never the subject of a notice
    stamp = notice_stamp.plan_stamp(conn, rt, day, exempted)
    if notice_stamp.unchanged(conn, stamp):  # nothing that decides the plan changed since
        log.debug("notify.plan_unchanged day=%s", day)
        return 0
    items = [i for i in load_open_items(conn, rt, day) if i.application_id not in exempted]
    notices = plan(
        items, day, cal, Policy(n.repeat_overdue_every, n.escalate_after), load_history(conn, day)
    )
    contacts = contact_map(s)
    named = {i.application_id for notice in notices for i in (p.item for p in notice.items)}
    facts = rule_facts(conn, rt, sorted(named), now)
    inserted = 0
    for notice in notices:
        rec = (
            for_department(s, notice.department, contacts)
            if notice.kind == NOTICE
            else for_escalation(s)
        )
        snapshots = cite(item_dicts(notice.items, tz), facts)
        rendered = render_notice(
            notice.kind,
            notice.department,
            day,
            snapshots,
            unassigned=rec.unassigned,
            notify=n,
            base_url=s.web.public_url,
        )
        key = notice_key(notice.department, notice.kind, day)
        row = _row(
            key,
            notice.kind,
            notice.department,
            day,
            rec.addresses,
            rendered.subject,
            rendered.text,
            rendered.html,
            s.smtp.sender,
            not_before,
            now,
            items=snapshots,
            unassigned=rec.unassigned,
            problem=rec.problem,
        )
        if outbox.insert_if_absent(conn, row):
            inserted += 1
            level = logging.WARNING if rec.problem or rec.unassigned else logging.INFO
            log.log(
                level,
                "notify.planned key=%s items=%d recipients=%d unassigned=%s problem=%s",
                key,
                len(snapshots),
                len(rec.addresses),
                rec.unassigned,
                rec.problem or "",
            )
    if inserted:  # the outbox moved: the stamp after this plan (see notice_stamp)
        stamp = notice_stamp.plan_stamp(conn, rt, day, exempted)
    notice_stamp.remember(conn, stamp)
    return inserted


def _row(
    key: str,
    kind: str,
    department: str | None,
    day: dt.date,
    recipients: Sequence[str],
    subject: str,
    text: str,
    html: str,
    sender: str,
    not_before: dt.datetime,
    now: dt.datetime,
    *,
    items: list[dict[str, Any]] | None = None,
    unassigned: bool = False,
    problem: str | None = None,
) -> dict[str, Any]:
    return {
        "key": key,
        "kind": kind,
        "department": department,
        "working_day": day,
        "recipients": json.dumps(list(recipients), ensure_ascii=False),
        "subject": subject,
        "body_text": text,
        "body_html": html,
        "items": json.dumps(items or [], ensure_ascii=False),
        "unassigned": unassigned,
        "message_id": message_id(key, sender),
        "status": FAILED if problem else QUEUED,
        "attempts": 0,
        "not_before": not_before,
        "last_error": problem,
        "created_at": now,
    }


def queue_message(
    target: Connection | Engine,
    rt: Runtime,
    now: dt.datetime,
    *,
    key: str,
    kind: str,
    recipients: Sequence[str],
    subject: str,
    text: str,
    html: str,
    department: str | None = None,
    working_day: dt.date | None = None,
    unassigned: bool = False,
) -> bool:
    """Queue one ready-made message (Chinese subject, plain text and HTML) under a unique ``key``.

    It leaves at the next sending window (working day, notify.window_start–window_end) at or
    after ``now``. Returns False (and changes nothing) when ``key`` was queued before, so callers
    can call it on every tick. With no recipients the row is recorded as failed, never dropped.
    """
    s = rt.settings
    day, not_before = rt.window.sending_day(now)
    recipients = tuple(dict.fromkeys(r.strip() for r in recipients if r and r.strip()))
    problem = None if recipients else f"邮件 {key} 没有收件人"
    row = _row(
        key,
        kind,
        department,
        working_day or day,
        recipients,
        subject,
        text,
        html,
        s.smtp.sender,
        not_before,
        now,
        unassigned=unassigned,
        problem=problem,
    )
    done = outbox.insert_if_absent(target, row)
    if done:
        log.info("notify.queued key=%s kind=%s recipients=%d", key, kind, len(recipients))
    return done


def notify_stale_source(
    engine: Engine | Connection,
    rt: Runtime,
    now: dt.datetime,
    message: str,
    source: str | None = None,
) -> bool:
    """Tell the operators (else the supervisors) that the source is failing or silent: once per
    working day and source. True when a message was queued by this call."""
    s, n = rt.settings, rt.settings.notify
    source = source or s.source.kind
    day, _nb = rt.window.sending_day(now)
    rec = for_operators(s)
    rendered = render(
        STALE_SOURCE,
        {"message": message, "day": day, "now": now.astimezone(rt.tz)},
        n.templates_dir,
    )
    if rec.problem:
        log.error("notify.stale_source_unaddressed problem=%s", rec.problem)
    return queue_message(
        engine,
        rt,
        now,
        key=f"stale|{source}|{day.isoformat()}",
        kind=STALE_SOURCE,
        recipients=rec.addresses,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        working_day=day,
    )
