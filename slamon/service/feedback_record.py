"""What a month's 核实 round came to, for the final report: the departments asked (the
``feedback_request`` rows), the 情况说明 about the applications they were asked about, the
accepted ones cited in the exemptions appendix, and when the final report may be written.

Kept apart from :mod:`slamon.service.feedback_round` (which computes the draft through
:mod:`slamon.service.reports`), so the report service can use it without an import cycle.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import TYPE_CHECKING

from slamon.adapters.store import feedback as store
from slamon.core.data_quality import DataQuality
from slamon.core.feedback import AskedDepartment, FeedbackRound, draft_day, feedback_deadline
from slamon.core.periods import Month
from slamon.core.times import stored_utc
from slamon.runtime import Runtime
from slamon.service.disputes import accepted_disputes, dispute_counts

if TYPE_CHECKING:
    from sqlalchemy import Engine


def asked_departments(engine: Engine, month: Month) -> tuple[AskedDepartment, ...]:
    with engine.connect() as conn:
        rows = store.for_month(conn, month.key)
    return tuple(
        AskedDepartment(
            department=r["department"],
            asked_at=stored_utc(r["asked_at"]),
            send_day=r["send_day"],
            feedback_deadline=r["feedback_deadline"],
            application_ids=tuple(r["applications"]),
            recipients=tuple(r["recipients"]),
            unassigned=bool(r["unassigned"]),
            mail_status=r["mail_status"],
        )
        for r in rows
    )


def round_summary(engine: Engine, month: Month) -> FeedbackRound | None:
    """The month's round with the 情况说明 about the applications it named; None when no round
    was run for the month."""
    asked = asked_departments(engine, month)
    if not asked:
        return None
    fb = FeedbackRound(month, asked)
    counts = dispute_counts(engine, fb.application_ids)
    return dataclasses.replace(
        fb,
        received=counts.received,
        accepted=counts.accepted,
        rejected=counts.rejected,
        pending=counts.pending,
    )


def with_round(engine: Engine, month: Month, quality: DataQuality) -> DataQuality:
    """The final report's note: the month's round (when one was run), and each exemption that
    an accepted 情况说明 made citing it in the appendix."""
    ids = [e.application_id for e in quality.exemptions]
    cited = accepted_disputes(engine, ids) if ids else {}
    entries = tuple(
        dataclasses.replace(e, reason=f"{cited[e.application_id]}（{e.reason}）")
        if e.application_id in cited and cited[e.application_id] not in e.reason
        else e
        for e in quality.exemptions
    )
    return dataclasses.replace(quality, exemptions=entries, feedback=round_summary(engine, month))


def round_due_day(month: Month, rt: Runtime) -> dt.date | None:
    """The day the daemon starts the round about ``month`` (``report.draft_day``: that working
    day of the next month); None when the daemon does not run rounds."""
    nth = rt.settings.feedback.draft_day
    return None if nth is None else draft_day(month.next(), nth, rt.calendar)


def final_report_day(month: Month, rt: Runtime, engine: Engine) -> dt.date | None:
    """When a round about ``month`` was run or is configured: the working day after its
    feedback deadline (the final report waits for the answers); None otherwise."""
    asked = asked_departments(engine, month)
    if asked:
        last = max(a.feedback_deadline for a in asked)
    else:
        due = round_due_day(month, rt)
        if due is None:
            return None
        last = feedback_deadline(due, rt.settings.feedback.working_days, rt.calendar)
    return rt.calendar.nth_working_day_after(last, 1)
