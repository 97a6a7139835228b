"""The 核实 round before a monthly report, pure: who is asked about what, until when, and the
sentence the final report's data note says about it.

Before a 通报 is published, each department named in the draft 存在问题 sees its own findings
and has ``report.feedback_working_days`` working days (the same calendar as every deadline) to
send a 情况说明; the final report counts how many were asked, came back, were accepted (the
application is exempted, 核实排除) and rejected.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from slamon.core.calendar import WorkCalendar
from slamon.core.formats import chinese_date
from slamon.core.periods import Month
from slamon.core.report_figures import LateItem, LateProvider, MonthlyFigures
from slamon.core.vocabulary import FEEDBACK


def feedback_key(month: Month, department: str) -> str:
    """THE outbox key of one department's mail in ``month``'s round: a second send is a no-op."""
    return f"{FEEDBACK}|{month.key}|{department}"


def feedback_deadline(send_day: dt.date, working_days: int, calendar: WorkCalendar) -> dt.date:
    """The last day for a 情况说明: the ``working_days``-th working day after the day the mail
    leaves (that day itself not counted, as with every deadline)."""
    return calendar.nth_working_day_after(send_day, working_days)


def draft_day(month: Month, nth: int, calendar: WorkCalendar) -> dt.date:
    """The ``nth`` working day of ``month`` (``report.draft_day``: the round of the month before)."""
    return calendar.nth_working_day_after(month.first_day - dt.timedelta(days=1), nth)


@dataclass(frozen=True)
class FeedbackAsk:
    """One department named in the draft 存在问题, with only its own findings (its answers and
    any earlier stage of a staged rule it was late in)."""

    department: str
    groups: tuple[LateProvider, ...]

    @property
    def items(self) -> tuple[LateItem, ...]:
        return tuple(i for g in self.groups for i in g.items)

    @property
    def application_ids(self) -> list[str]:
        return list(dict.fromkeys(i.application_id for i in self.items))

    @property
    def rule_ids(self) -> list[str]:
        return list(dict.fromkeys(i.rule_id for i in self.items))


def feedback_asks(figures: MonthlyFigures) -> tuple[FeedbackAsk, ...]:
    """The departments the draft 存在问题 names, in its order, each with its own groups."""
    by_dept: dict[str, list[LateProvider]] = {}
    for g in figures.late:
        by_dept.setdefault(g.provider_dept, []).append(g)
    return tuple(FeedbackAsk(d, tuple(gs)) for d, gs in by_dept.items())


@dataclass(frozen=True)
class AskedDepartment:
    """One department of a round as recorded in the store."""

    department: str
    asked_at: dt.datetime
    send_day: dt.date
    feedback_deadline: dt.date
    application_ids: tuple[str, ...]
    recipients: tuple[str, ...]
    unassigned: bool = False  # no contact configured: the supervisors received it
    mail_status: str | None = None  # the outbox status of its mail

    def as_json(self, tz: dt.tzinfo) -> dict[str, object]:
        return {
            "department": self.department,
            "asked_at": self.asked_at.astimezone(tz).isoformat(timespec="seconds"),
            "send_day": self.send_day.isoformat(),
            "feedback_deadline": self.feedback_deadline.isoformat(),
            "applications": list(self.application_ids),
            "recipients": list(self.recipients),
            "unassigned": self.unassigned,
            "mail_status": self.mail_status,
        }


@dataclass(frozen=True)
class FeedbackRound:
    """A month's round and what came of it (情况说明 about the applications it named)."""

    month: Month
    asked: tuple[AskedDepartment, ...]
    received: int = 0
    accepted: int = 0
    rejected: int = 0
    pending: int = 0

    @property
    def first_day(self) -> dt.date:
        return min(a.send_day for a in self.asked)

    @property
    def deadline(self) -> dt.date:
        return max(a.feedback_deadline for a in self.asked)

    @property
    def application_ids(self) -> list[str]:
        return list(dict.fromkeys(aid for a in self.asked for aid in a.application_ids))

    def sentence(self) -> str:
        """The data note's sentence (no final 。): when, how many asked, what came back."""
        days = sorted({a.send_day for a in self.asked})
        when = chinese_date(days[0]) + (f"至{chinese_date(days[-1])}" if len(days) > 1 else "")
        head = (
            f"存在问题初稿已于{when}送涉及的{len(self.asked)}个部门核实"
            f"（反馈截止{chinese_date(self.deadline)}）"
        )
        if not self.received:
            return head + "，未收到情况说明"
        outcome = [f"经核实采纳{self.accepted}件", f"未采纳{self.rejected}件"]
        if self.pending:
            outcome.append(f"尚在核实{self.pending}件")
        tail = "（采纳的申请已核实排除，不列入存在问题）" if self.accepted else ""
        return head + f"，收到情况说明{self.received}件，" + "、".join(outcome) + tail

    def as_json(self, tz: dt.tzinfo) -> dict[str, object]:
        return {
            "month": self.month.key,
            "asked": len(self.asked),
            "first_send_day": self.first_day.isoformat(),
            "feedback_deadline": self.deadline.isoformat(),
            "received": self.received,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "pending": self.pending,
            "departments": [a.as_json(tz) for a in self.asked],
        }
