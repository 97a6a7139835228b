"""The deadline engine: pure functions of instants, rules and a calendar.

"Within N working days of receipt" ends at 24:00 (or the rule's close of business) of the N-th
working day strictly after the receipt date (民法典 arts. 201, 203; 行政许可法 art. 82). A receipt on
a holiday or weekend therefore counts from the next working day, and a makeup Saturday counts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from slamon.core.calendar import WorkCalendar
from slamon.core.errors import RuleError
from slamon.core.rules import Rule, RuleSet, Stage
from slamon.core.times import END_OF_DAY
from slamon.core.vocabulary import SHARE_TYPE_NAMES


@dataclass(frozen=True)
class Deadline:
    rule_id: str
    share_type: str
    working_days: int
    start: dt.datetime  # when the clock started (aware)
    deadline_date: dt.date
    deadline: dt.datetime  # the last on-time instant (aware, in the calendar's timezone)
    calendar_official: bool  # False when any year it depends on has no official schedule
    extended_by: int = 0  # working days of an approved extension already added

    def is_late(self, at: dt.datetime) -> bool:
        """True when an answer (or ``now``) at ``at`` lies after the deadline."""
        return at > self.deadline


@lru_cache(maxsize=4096)
def _end_instant(day: dt.date, end_time: dt.time, tz: dt.tzinfo) -> dt.datetime:
    """The deadline instant of a day; shared objects keep bulk writes cheap."""
    return dt.datetime.combine(day, end_time, tz)


def deadline_date(
    start_date: dt.date,
    working_days: int,
    calendar: WorkCalendar,
    *,
    start_day_excluded: bool = True,
) -> dt.date:
    """The last day of the period: the N-th working day after ``start_date``."""
    base = start_date if start_day_excluded else start_date - dt.timedelta(days=1)
    return calendar.nth_working_day_after(base, working_days)


def compute_deadline(
    start: dt.datetime,
    rule: Rule,
    share_type: str,
    calendar: WorkCalendar,
    tz: dt.tzinfo,
    stage: Stage | None = None,
) -> Deadline:
    """The deadline of ``stage`` (default: the answer) under ``rule`` for a clock started at
    ``start`` (aware)."""
    stage = stage or rule.answer_stage
    limit = stage.working_days.get(share_type)
    if limit is None:
        raise RuleError(f"不适用于{SHARE_TYPE_NAMES.get(share_type, share_type)}", rule=rule.id)
    start_day = start.astimezone(tz).date()
    last_day = deadline_date(start_day, limit, calendar, start_day_excluded=rule.start_day_excluded)
    end_time = rule.ends_at or END_OF_DAY
    return Deadline(
        rule_id=rule.id,
        share_type=share_type,
        working_days=limit,
        start=start,
        deadline_date=last_day,
        deadline=_end_instant(last_day, end_time, tz),
        calendar_official=calendar.official_between(start_day, last_day),
    )


def governing_deadline(
    start: dt.datetime,
    share_type: str,
    rules: RuleSet,
    calendar: WorkCalendar,
    tz: dt.tzinfo,
    only: Iterable[str] | None = None,
) -> Deadline | None:
    """The earliest deadline among the rules that apply on the start date; None if none applies.

    Ties go to the rule listed first in the active list (or ``only``).
    """
    on = start.astimezone(tz).date()
    best: Deadline | None = None
    for rule in rules.applicable(share_type, on, only):
        d = compute_deadline(start, rule, share_type, calendar, tz)
        if best is None or d.deadline < best.deadline:
            best = d
    return best


def extend_deadline(
    d: Deadline, working_days: int, calendar: WorkCalendar, tz: dt.tzinfo
) -> Deadline:
    """``d`` moved ``working_days`` working days later (an approved extension, 延期)."""
    if working_days <= 0:
        return d
    last_day = calendar.nth_working_day_after(d.deadline_date, working_days)
    end_time = d.deadline.astimezone(tz).time()
    return Deadline(
        rule_id=d.rule_id,
        share_type=d.share_type,
        working_days=d.working_days,
        start=d.start,
        deadline_date=last_day,
        deadline=_end_instant(last_day, end_time, tz),
        calendar_official=calendar.official_between(d.start.astimezone(tz).date(), last_day),
        extended_by=d.extended_by + working_days,
    )


def deadline_dates(
    starts: Sequence[dt.datetime | dt.date],
    working_days: int,
    calendar: WorkCalendar,
    tz: dt.tzinfo,
) -> list[dt.date]:
    """Batch form: the deadline date for each start (aware datetime, or a local date).

    Uses the calendar's precomputed table (one dict look-up per record). Raises CalendarError
    for a start outside the calendar's range.
    """
    table = calendar.deadline_table(working_days)
    fromordinal = dt.date.fromordinal
    out: list[dt.date] = []
    append = out.append
    for s in starts:
        day = s.astimezone(tz).date() if isinstance(s, dt.datetime) else s
        hit = table.get(day.toordinal())
        if hit is None:  # outside the range: let the calendar raise its precise error
            hit = calendar.nth_working_ordinal_after(day.toordinal(), working_days)
        append(fromordinal(hit))
    return out


def working_days_late(
    deadline: Deadline, at: dt.datetime, calendar: WorkCalendar, tz: dt.tzinfo
) -> int:
    """Working days after the deadline date up to the local date of ``at`` (0 if not after)."""
    if not deadline.is_late(at):
        return 0
    return max(0, calendar.working_days_between(deadline.deadline_date, at.astimezone(tz).date()))


def working_days_elapsed(
    start: dt.datetime, at: dt.datetime, calendar: WorkCalendar, tz: dt.tzinfo
) -> int:
    """Working days in (start date, date of ``at``]: 0 when answered on the receipt date."""
    return calendar.working_days_between(start.astimezone(tz).date(), at.astimezone(tz).date())
