"""The day-by-day walk behind a deadline, pure: which days counted and why the others did not.

A department that disputes a verdict ("there was a holiday") gets every calendar day from the
receipt to the deadline (and on to the answer, or to now, when late): each working day with its
number, each day off with its reason (周末, or the holiday's name), makeup working days marked
调休上班. The calendar is an argument; nothing here reads a clock or a file.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from slamon.core.calendar import WorkCalendar
from slamon.core.formats import chinese_moment
from slamon.core.vocabulary import ANSWERED_LATE, ANSWERED_ON_TIME, OVERDUE, STAGE_NAMES

WEEKEND = "周末"
MAKEUP_WORKDAY = "调休上班"
RECEIPT_DAY = "收到当日，不计入"

# What a day is in the walk.
COUNTED = "counted"  # a working day inside the period (numbered 1..N)
SKIPPED = "skipped"  # a day off inside the period
LATE = "late"  # a working day after the deadline (numbered 1.. working days late)
LATE_OFF = "late_off"  # a day off after the deadline
START = "start"  # the receipt day itself, when the rule does not count it
DAY_KIND_NAMES = {
    START: "收到当日（不计入）",
    COUNTED: "计入",
    SKIPPED: "不计入",
    LATE: "超期",
    LATE_OFF: "超期期间休息日",
}


@dataclass(frozen=True, slots=True)
class WalkDay:
    day: dt.date
    kind: str  # one of COUNTED, SKIPPED, LATE, LATE_OFF, START
    number: int | None  # the working day's number (in the period, or days late); None for days off
    reason: str  # why a day off is off (周末 / 国庆节 …), 调休上班 for a makeup day, else ""

    @property
    def working(self) -> bool:
        return self.kind in (COUNTED, LATE)

    def as_json(self) -> dict[str, object]:
        return {
            "date": self.day.isoformat(),
            "weekday": self.day.isoweekday(),
            "kind": self.kind,
            "number": self.number,
            "reason": self.reason,
        }


REST_DAY = "休息日"  # how the calendar names a day off moved by 调休 ("休息日（由 … 调休）")
_BLOCK_LIMIT = 15  # no run of days off is longer (the longest, 春节, is 8 or 9 days)


def _festival(day: dt.date, calendar: WorkCalendar) -> str | None:
    """The holiday a day off belongs to: the first real holiday name (not a 调休 rest day) in
    the run of consecutive days off around ``day``."""
    names: list[tuple[dt.date, str]] = []
    for step in (-1, 1):
        d = day if step == -1 else day + dt.timedelta(days=1)
        for _ in range(_BLOCK_LIMIT):
            if calendar.is_working_day(d):
                break
            name = calendar.holiday_names.get(d)
            if name and not name.startswith(REST_DAY):
                names.append((d, name))
            d += dt.timedelta(days=step)
    return min(names)[1] if names else None


def day_reason(day: dt.date, calendar: WorkCalendar) -> str:
    """Why ``day`` is off, 调休上班 for a makeup working day, else "".

    A day off inside a holiday period carries the holiday's name (国庆节), and how it came to be
    off when it is not a holiday itself (``国庆节假期，周末``, or the calendar's 调休 note); any
    other day off is 周末."""
    if calendar.is_working_day(day):
        return MAKEUP_WORKDAY if day in calendar.makeup_workdays or day.weekday() >= 5 else ""
    own = calendar.holiday_names.get(day)
    festival = _festival(day, calendar)
    if festival is None:
        return own or (WEEKEND if day.weekday() >= 5 else REST_DAY)
    if own and own.startswith(festival):
        return own
    how = own or (WEEKEND if day.weekday() >= 5 else REST_DAY)
    return f"{festival}假期，{how}"


def walk(
    start_day: dt.date,
    deadline_day: dt.date,
    calendar: WorkCalendar,
    *,
    start_day_excluded: bool = True,
    until: dt.date | None = None,
) -> list[WalkDay]:
    """Every day from the receipt day to the deadline, then on to ``until`` (the answer's or
    now's date) when that is later: the counted working days numbered 1..N, the days off with
    their reason, and after the deadline the working days late numbered 1.. (the days
    ``working_days_late`` counts)."""
    out: list[WalkDay] = []
    first = start_day
    if start_day_excluded:
        out.append(WalkDay(start_day, START, None, RECEIPT_DAY))
        first = start_day + dt.timedelta(days=1)
    n = 0
    day = first
    while day <= deadline_day:
        reason = day_reason(day, calendar)
        if calendar.is_working_day(day):
            n += 1
            out.append(WalkDay(day, COUNTED, n, reason))
        else:
            out.append(WalkDay(day, SKIPPED, None, reason))
        day += dt.timedelta(days=1)
    late = 0
    while until is not None and day <= until:
        reason = day_reason(day, calendar)
        if calendar.is_working_day(day):
            late += 1
            out.append(WalkDay(day, LATE, late, reason))
        else:
            out.append(WalkDay(day, LATE_OFF, None, reason))
        day += dt.timedelta(days=1)
    return out


def counted_days(days: list[WalkDay]) -> int:
    return sum(1 for d in days if d.kind == COUNTED)


def late_days(days: list[WalkDay]) -> int:
    return sum(1 for d in days if d.kind == LATE)


def overdue_phrase(days: int, answered: bool = False) -> str:
    """THE wording of lateness: 已超期N个工作日 (still open) or 超期N个工作日 (answered late);
    超过答复期限 when no working day has passed yet (a weekend, a holiday, or after a
    close-of-business deadline on its own day)."""
    if days > 0:
        return f"超期{days}个工作日" if answered else f"已超期{days}个工作日"
    return "超过答复期限" if answered else "已超过答复期限"


def verdict_sentence(
    stage: str,
    deadline: dt.datetime | None,
    answered_at: dt.datetime | None,
    now: dt.datetime,
    overdue_working_days: int,
    tz: dt.tzinfo,
) -> str:
    """THE explain verdict (CLI and web): 结论：<stage>。答复期限 …，<when answered / open>，<late>。"""
    name = STAGE_NAMES.get(stage, stage)
    if deadline is None:
        return f"结论：{name}（未起算答复期限）"
    due = f"答复期限 {chinese_moment(deadline, tz)}"
    if stage in (ANSWERED_LATE, ANSWERED_ON_TIME) and answered_at is not None:
        answered = f"{chinese_moment(answered_at, tz)} 答复"
        if stage == ANSWERED_LATE:
            return (
                f"结论：{name}。{due}，{answered}，{overdue_phrase(overdue_working_days, True)}。"
            )
        return f"结论：{name}。{due}，{answered}。"
    if stage == OVERDUE:
        late = overdue_phrase(overdue_working_days)
        return f"结论：{name}。{due}，截至 {chinese_moment(now, tz)} 仍未答复，{late}。"
    return f"结论：{name}。{due}。"
