"""The 核实 round before a monthly report: ``report monthly --draft [--send]``, the web's
发起核实 button and the daemon's ``report.draft_day`` all go through here.

:func:`draft_round` computes the month's draft 存在问题 and, for each department it names, the
one mail listing only that department's findings; :func:`send_round` queues those mails through
the outbox (key ``feedback|<YYYY-MM>|<department>``: a second send queues nothing) and records
each department asked (``feedback_request``) in the same transaction. :func:`round_summary`
is what the final report's data note says about it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from slamon.adapters.mail.messages import UNASSIGNED_MARK, Rendered, render
from slamon.adapters.store import feedback as store
from slamon.adapters.store import runs
from slamon.core.errors import InputError
from slamon.core.feedback import (
    FeedbackAsk,
    feedback_asks,
    feedback_deadline,
    feedback_key,
)
from slamon.core.formats import chinese_moment
from slamon.core.links import application_url, department_url
from slamon.core.periods import Month
from slamon.core.report_wording import REPORT_TITLE, MonthlyReport, citation_sentence
from slamon.core.report_wording import provider_sentence as group_sentence
from slamon.core.vocabulary import FEEDBACK
from slamon.runtime import Runtime
from slamon.service.feedback_record import round_due_day
from slamon.service.recipients import contact_map, for_department

if TYPE_CHECKING:
    from sqlalchemy import Engine

log = logging.getLogger("slamon.feedback")


@dataclass(frozen=True)
class DraftMail:
    """One department's 核实 mail, as it would be (or was) queued."""

    department: str
    key: str
    recipients: tuple[str, ...]
    unassigned: bool  # no contact configured: the supervisors receive it
    problem: str | None  # nobody can receive it (recorded as failed, never dropped)
    application_ids: tuple[str, ...]
    rendered: Rendered
    asked_before: bool = False  # this month's round already asked this department

    def as_json(self) -> dict[str, object]:
        return {
            "department": self.department,
            "key": self.key,
            "recipients": list(self.recipients),
            "unassigned": self.unassigned,
            "no_recipient": self.problem is not None,
            "applications": list(self.application_ids),
            "subject": self.rendered.subject,
            "asked_before": self.asked_before,
        }


@dataclass(frozen=True)
class DraftRound:
    month: Month
    report: MonthlyReport
    now: dt.datetime
    send_day: dt.date  # the working day the mails leave (the sending window's)
    deadline: dt.date  # report.feedback_working_days working days after send_day
    working_days: int  # report.feedback_working_days
    mails: tuple[DraftMail, ...]
    queued: tuple[str, ...] = ()  # departments queued by send_round

    def as_json(self, tz: dt.tzinfo) -> dict[str, object]:
        return {
            "month": self.month.key,
            "draft": True,
            "as_of": self.report.figures.as_of.astimezone(tz).isoformat(timespec="seconds"),
            "send_day": self.send_day.isoformat(),
            "feedback_deadline": self.deadline.isoformat(),
            "feedback_working_days": self.working_days,
            "departments": [m.as_json() for m in self.mails],
            "without_contact": [m.department for m in self.mails if m.unassigned],
            "queued": list(self.queued),
            "warnings": list(self.report.quality.warnings) if self.report.quality else [],
        }


def _item(i: Any, base_url: str | None, tz: dt.tzinfo) -> dict[str, Any]:
    return {
        "application_id": i.application_id,
        "resource_name": i.resource_name,
        "applicant_dept": i.applicant_dept,
        "stage_name": i.stage_name,
        "received_at": i.started_at.astimezone(tz),
        "deadline_date": i.deadline_date,
        "answered": i.answered,
        "decided_at": i.decided_at.astimezone(tz) if i.decided_at else None,
        "overdue_working_days": i.overdue_working_days,
        "url": application_url(base_url, i.application_id),
    }


def compose_mail(
    rt: Runtime, report: MonthlyReport, ask: FeedbackAsk, deadline: dt.date, unassigned: bool
) -> Rendered:
    """The department's mail: its findings only, the rule, the evidence links (or whom to ask
    for the evidence) and the feedback deadline."""
    s, tz = rt.settings, rt.tz
    base = s.web.public_url
    context = {
        "department": ask.department,
        "month_label": report.figures.month.label,
        "report_title": REPORT_TITLE,
        "issuer": s.report_document.issuer,
        "citations": [citation_sentence(rt.rules.get(r)) for r in ask.rule_ids],
        "sentences": [group_sentence(g) for g in ask.groups],
        "items": [_item(i, base, tz) for i in ask.items],
        "deadline": deadline,
        "day": deadline,
        "as_of": report.figures.as_of.astimezone(tz),
        "department_url": department_url(base, ask.department),
        "unassigned": unassigned,
        "unassigned_mark": UNASSIGNED_MARK,
    }
    return render(FEEDBACK, context, s.notify.templates_dir)


def draft_round(engine: Engine, rt: Runtime, month: str | Month, now: dt.datetime) -> DraftRound:
    """The month's draft 存在问题 (as of the month's end) and one mail per department it names."""
    from slamon.service.reports import monthly_report

    m = Month.parse(month)
    report = monthly_report(engine, rt, m, None, now, with_feedback=False)
    send_day, _not_before = rt.window.sending_day(now)
    working_days = rt.settings.feedback.working_days
    deadline = feedback_deadline(send_day, working_days, rt.calendar)
    asks = feedback_asks(report.figures)
    contacts = contact_map(rt.settings)
    with engine.connect() as conn:
        asked = store.departments_asked(conn, m.key, [a.department for a in asks])
    mails = []
    for ask in asks:
        rec = for_department(rt.settings, ask.department, contacts)
        mails.append(
            DraftMail(
                department=ask.department,
                key=feedback_key(m, ask.department),
                recipients=rec.addresses,
                unassigned=rec.unassigned,
                problem=rec.problem,
                application_ids=tuple(ask.application_ids),
                rendered=compose_mail(rt, report, ask, deadline, rec.unassigned),
                asked_before=ask.department in asked,
            )
        )
    return DraftRound(m, report, now, send_day, deadline, working_days, tuple(mails))


def check_sendable(draft: DraftRound, tz: dt.tzinfo) -> None:
    """A round is about a finished month, on data read after its end: before, the findings are
    projections; on stale data, answers given since the last read would be accused."""
    end = draft.month.end(tz)
    if draft.now < end:
        raise InputError(
            f"{draft.month.label}尚未结束（至{chinese_moment(end, tz)}），不能发起核实：初稿中的超期"
            "认定还会变化"
        )
    warnings = draft.report.quality.warnings if draft.report.quality else ()
    if warnings:
        raise InputError(f"不能发起核实：{warnings[0]}请先读取最新的平台数据（slamon poll）")


def send_round(engine: Engine, rt: Runtime, draft: DraftRound, by: str) -> DraftRound:
    """Queue the draft's mails (those not queued before) and record each department asked;
    returns the draft with ``queued`` naming the departments queued by this call."""
    from slamon.service.notices import queue_message

    check_sendable(draft, rt.tz)
    queued = []
    for mail in draft.mails:
        with engine.begin() as conn:
            new = queue_message(
                conn,
                rt,
                draft.now,
                key=mail.key,
                kind=FEEDBACK,
                recipients=mail.recipients,
                subject=mail.rendered.subject,
                text=mail.rendered.text,
                html=mail.rendered.html,
                department=mail.department,
                unassigned=mail.unassigned,
            )
            if not new:
                continue
            store.record(
                conn,
                {
                    "month": draft.month.key,
                    "department": mail.department,
                    "asked_at": draft.now,
                    "send_day": draft.send_day,
                    "feedback_deadline": draft.deadline,
                    "applications": mail.application_ids,
                    "recipients": mail.recipients,
                    "unassigned": mail.unassigned,
                    "outbox_key": mail.key,
                    "by": by,
                },
            )
        queued.append(mail.department)
        log.info(
            "feedback.queued month=%s department=%s applications=%d deadline=%s",
            draft.month.key,
            mail.department,
            len(mail.application_ids),
            draft.deadline.isoformat(),
        )
    return dataclasses.replace(draft, queued=tuple(queued))


# -- the daemon --------------------------------------------------------------------------------
def queue_round_if_due(engine: Engine, rt: Runtime, now: dt.datetime) -> tuple[str, ...]:
    """From the configured working day of a month on (and within that month): the previous
    month's round, once (a Meta row remembers it; the outbox keys guard every mail)."""
    today = now.astimezone(rt.tz).date()
    target = Month.of(today).previous()
    due = round_due_day(target, rt)
    if due is None or today < due:
        return ()
    key = f"feedback_round:{target.key}"
    with engine.connect() as conn:
        if runs.get_meta(conn, key) is not None:
            return ()
    try:
        done = send_round(engine, rt, draft_round(engine, rt, target, now), by="daemon")
    except InputError as exc:  # stale data: tried again on the next tick
        log.warning("feedback.round_not_started month=%s reason=%s", target.key, exc)
        return ()
    with engine.begin() as conn:
        if runs.get_meta(conn, key) is None:
            runs.set_meta(conn, key, now.isoformat())
    log.info("feedback.round month=%s queued=%d", target.key, len(done.queued))
    return done.queued
