"""The history behind the trend charts and the 环比 of 存在问题: months of per-department
figures and weeks of backlog, from the store, with the rules and calendar in force.

One query loads the records of the whole window; one pure pass tallies every month of it
(core/trends). A month of the history equals that month's report (service/reports).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from slamon.adapters.store import data_issues
from slamon.adapters.store.trend_queries import window_records
from slamon.core.periods import IsoWeek, Month
from slamon.core.report_figures import MonthlyFigures
from slamon.core.trends import (
    Comparison,
    Trends,
    comparison,
    monthly_history,
    weekly_backlog,
)
from slamon.runtime import Runtime
from slamon.service.exemptions import active_ids

if TYPE_CHECKING:
    from sqlalchemy import Engine

MONTHS = 12
WEEKS = 12
MAX_STREAK = 12  # 存在问题 looks back at most this many months for a repeat


def months_ending(last: Month, count: int) -> list[Month]:
    out = [last]
    while len(out) < count:
        out.append(out[-1].previous())
    return out[::-1]


def weeks_ending(last: IsoWeek, count: int) -> list[IsoWeek]:
    out = [last]
    while len(out) < count:
        out.append(out[-1].previous())
    return out[::-1]


def _held(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(data_issues.open_issues(conn))


def history(
    engine: Engine,
    rt: Runtime,
    now: dt.datetime,
    months: int = MONTHS,
    weeks: int = 0,
    last: Month | None = None,
    last_week: IsoWeek | None = None,
) -> Trends:
    """``months`` months up to ``last`` (default: the month of ``now``, as of ``now``) and the
    backlog at the end of the ``weeks`` ISO weeks up to ``last_week`` (default: the week of
    ``now``)."""
    tz = rt.tz
    end = last or Month.of(now.astimezone(tz).date())
    ms = months_ending(end, months)
    week = last_week or IsoWeek.of(now.astimezone(tz).date())
    ws = weeks_ending(week, weeks) if weeks else []
    first = ms[0]
    if ws:
        first = min(first, Month.of(ws[0].start(tz).date()))
    records = window_records(engine, first, end, now, tz, rt.rules.bound_share_types())
    held, exempt = _held(engine), active_ids(engine)
    trend = monthly_history(records, ms, now, rt.rules, rt.calendar, tz, held, exempt)
    backlog = weekly_backlog(records, ws, now, rt.rules, rt.calendar, tz, held, exempt)
    return Trends(trend, backlog)


def report_comparison(engine: Engine, rt: Runtime, f: MonthlyFigures) -> Comparison:
    """What the report of ``f``'s month says of the months before, each as of its end: the
    month just before (its on-time rate, and who was named then); only when a department named
    now was named then too, the :data:`MAX_STREAK` months before, in one pass."""
    previous = f.month.previous()
    earlier = list(history(engine, rt, f.as_of, 1, last=previous).months)
    named = {g.provider_dept for g in f.late} & earlier[0].named
    if named and MAX_STREAK > 1:
        before = history(engine, rt, f.as_of, MAX_STREAK - 1, last=previous.previous())
        earlier = [*before.months, *earlier]
    return comparison(f, earlier)


def digest_trends(engine: Engine, rt: Runtime, week: IsoWeek, now: dt.datetime) -> Trends:
    """The digest's charts' data: the months up to the week's last day, the weeks up to it."""
    at = min(now, week.end(rt.tz))
    return history(engine, rt, at, weeks=WEEKS, last_week=week)
