"""The history behind the trend charts and the 环比 of 存在问题: months of per-department
figures and weeks of backlog, from the store, with the rules and calendar in force.

One query loads the records of the whole window; one pure pass tallies every month of it
(core/trends). A month of the history equals that month's report (service/reports).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from slamon.adapters.store import marks, trend_cache
from slamon.adapters.store.trend_queries import window_records
from slamon.core.periods import IsoWeek, Month, ending
from slamon.core.report_figures import MonthlyFigures
from slamon.core.trends import (
    Comparison,
    MonthTrend,
    Trends,
    WeekBacklog,
    comparison,
    monthly_history,
    weekly_backlog,
)
from slamon.runtime import Runtime
from slamon.service.doubts import held_ids
from slamon.service.exemptions import active_ids

if TYPE_CHECKING:
    from sqlalchemy import Engine

MONTHS = 12
WEEKS = 12
MAX_STREAK = 12  # 存在问题 looks back at most this many months for a repeat


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
    ``now``). Closed periods come from what was kept of them (adapters/store/trend_cache) while
    no change can have touched them; the rest is tallied from the records, and kept."""
    tz = rt.tz
    local = now.astimezone(tz).date()
    ms = ending(last or Month.of(local), months)
    ws = ending(last_week or IsoWeek.of(local), weeks) if weeks else []
    held, exempt = held_ids(engine), active_ids(engine)
    prefix = trend_cache.scope(rt.fingerprint(), held, exempt, str(tz))
    closed = {p.key: p.end(tz) for p in (*ms, *ws) if p.end(tz) <= now}
    with engine.connect() as conn:
        mark = marks.change_mark(conn)  # before the records are loaded
        kept = trend_cache.fresh(conn, prefix, closed)
    todo_m = [m for m in ms if m.key not in kept]
    todo_w = [w for w in ws if w.key not in kept]
    new_m, new_w = _tally(engine, rt, now, todo_m, todo_w, held, exempt)
    trend_cache.keep(
        engine,
        prefix,
        mark,
        [(m.month.key, trend_cache.month_value(m)) for m in new_m if m.month.key in closed]
        + [(w.week.key, trend_cache.week_value(w)) for w in new_w if w.week.key in closed],
    )
    by_month = {m.month: m for m in new_m}
    by_week = {w.week: w for w in new_w}
    return Trends(
        tuple(by_month.get(m) or trend_cache.month_of_value(m, kept[m.key]) for m in ms),
        tuple(by_week.get(w) or trend_cache.week_of_value(w, kept[w.key]) for w in ws),
    )


def _tally(
    engine: Engine,
    rt: Runtime,
    now: dt.datetime,
    ms: list[Month],
    ws: list[IsoWeek],
    held: set[str],
    exempt: set[str],
) -> tuple[tuple[MonthTrend, ...], tuple[WeekBacklog, ...]]:
    """The months ``ms`` and weeks ``ws`` (oldest first) tallied from the records of the window
    they span, in one query and one pure pass."""
    if not ms and not ws:
        return (), ()
    tz = rt.tz
    spans = [*ms, *(Month.of(w.monday) for w in ws), *(Month.of(w.sunday) for w in ws)]
    bound = rt.rules.bound_share_types()
    records = window_records(engine, min(spans), max(spans), now, tz, bound)
    cal, rules = rt.calendar, rt.rules
    return (
        monthly_history(records, ms, now, rules, cal, tz, held, exempt) if ms else (),
        weekly_backlog(records, ws, now, rules, cal, tz, held, exempt) if ws else (),
    )


def keep_closed(engine: Engine, rt: Runtime, now: dt.datetime) -> None:
    """Tally and keep the closed months and weeks that the dashboard, the digest and the next
    month's report read (the :data:`MAX_STREAK` + 1 months and :data:`WEEKS` weeks before the
    running ones), so that none of them waits for a cold tally; when they are kept and nothing
    touched them, a few small queries."""
    local = now.astimezone(rt.tz).date()
    last, last_week = Month.of(local).previous(), IsoWeek.of(local).previous()
    history(engine, rt, now, MAX_STREAK + 1, weeks=WEEKS, last=last, last_week=last_week)


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
