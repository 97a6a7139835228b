"""Months and weeks of figures, pure: the history behind the trend charts and the 环比 sentence.

Each month is tallied by the monthly report's own step (:meth:`report_figures.MonthTally.add`)
as of its end (or ``now`` while it runs), over exactly the records the report of that month
would load (see :func:`matters`), so a month of the history IS that month's report: the same
rules and calendar, the same exemptions (核实排除) and held applications (数据存疑) left out.
One pass over the records of the whole window feeds every month it touches; an application
answered within days touches one or two months, not all of them.

The weekly backlog (open and overdue applications at the end of each ISO week) is the digest's
own count (:func:`digest_figures.week_figures`) for each week.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from slamon.core.calendar import WorkCalendar
from slamon.core.digest_figures import week_figures
from slamon.core.periods import IsoWeek, Month
from slamon.core.records import ApplicationRecord
from slamon.core.report_figures import MonthlyFigures, MonthTally, month_tally
from slamon.core.rules import RuleSet
from slamon.core.vocabulary import CONDITIONAL, REJECTED

PROVINCE = "全省"


@dataclass(frozen=True)
class DeptMonth:
    """One provider department's month (or the province's: every department together)."""

    department: str
    received: int = 0  # applications submitted in the month (all share types)
    answered: int = 0  # answers given in the month (bound by a rule, not exempted)
    on_time: int = 0
    working_days: int = 0  # answer time of those answers, in working days, summed
    open_overdue: int = 0  # unanswered past the deadline at the month's end
    findings: int = 0  # items the month's 存在问题 names (late answers, open overdue, late stages)

    @property
    def late(self) -> int:
        return self.answered - self.on_time

    @property
    def mean_working_days(self) -> float | None:
        return self.working_days / self.answered if self.answered else None

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.answered if self.answered else None

    @property
    def named(self) -> bool:
        """Named in the month's 存在问题 (late in the month)."""
        return self.findings > 0

    def as_dict(self) -> dict[str, object]:
        return {
            "department": self.department,
            "received": self.received,
            "answered": self.answered,
            "on_time": self.on_time,
            "late": self.late,
            "mean_working_days": self.mean_working_days,
            "on_time_rate": self.on_time_rate,
            "open_overdue": self.open_overdue,
            "named_in_problems": self.named,
        }


@dataclass(frozen=True)
class MonthTrend:
    month: Month
    as_of: dt.datetime
    departments: tuple[DeptMonth, ...]  # by name
    province: DeptMonth

    def dept(self, name: str) -> DeptMonth:
        for d in self.departments:
            if d.department == name:
                return d
        return DeptMonth(name)

    @property
    def named(self) -> frozenset[str]:
        return frozenset(d.department for d in self.departments if d.named)


@dataclass(frozen=True)
class WeekBacklog:
    week: IsoWeek
    as_of: dt.datetime
    open: int  # applications open (awaiting the provider's answer) at the week's end
    overdue: int  # of which past their deadline


@dataclass(frozen=True)
class Trends:
    months: tuple[MonthTrend, ...]  # oldest first
    weeks: tuple[WeekBacklog, ...] = ()  # oldest first

    def as_json(self, tz: dt.tzinfo) -> dict[str, object]:
        """The ``report history --json`` shape (docs/CONTRACT.md)."""

        def iso(v: dt.datetime) -> str:
            return v.astimezone(tz).isoformat(timespec="seconds")

        return {
            "months": [
                {
                    "month": m.month.key,
                    "as_of": iso(m.as_of),
                    "province": m.province.as_dict(),
                    "departments": [d.as_dict() for d in m.departments],
                }
                for m in self.months
            ],
            "weeks": [
                {"week": w.week.key, "as_of": iso(w.as_of), "open": w.open, "overdue": w.overdue}
                for w in self.weeks
            ],
        }


def dept_months(f: MonthlyFigures) -> tuple[tuple[DeptMonth, ...], DeptMonth]:
    """The per-department rows of a month's figures, and the province's row."""
    rows: dict[str, dict[str, int]] = {}

    def row(name: str) -> dict[str, int]:
        return rows.setdefault(name, {})

    for name, n in f.received:
        row(name)["received"] = n
    for t in f.answers:
        row(t.provider_dept).update(
            answered=t.answers, on_time=t.on_time, working_days=t.total_working_days
        )
    for g in f.late:
        r = row(g.provider_dept)
        r["findings"] = r.get("findings", 0) + len(g.items)
        if g.stage is None:
            r["open_overdue"] = r.get("open_overdue", 0) + len(g.unanswered)
    depts = tuple(DeptMonth(name, **rows[name]) for name in sorted(rows))
    total = {k: sum(getattr(d, k) for d in depts) for k in _COUNTS}
    return depts, DeptMonth(PROVINCE, **total)


_COUNTS = ("received", "answered", "on_time", "working_days", "open_overdue", "findings")


def month_as_of(month: Month, now: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    """A month's as-of moment: its end, or ``now`` while it runs (the report's default)."""
    return min(month.end(tz), now)


def matters(
    r: ApplicationRecord, start: dt.datetime, until: dt.datetime, bound: Collection[str]
) -> bool:
    """Whether the report of the month [``start``, …] as of ``until`` loads ``r``
    (adapters/store/report_queries.month_records, the same filter): submitted in the month, or
    bound by a rule, not refused at review and answered since the month began or not at all,
    or with a history (a first stored answer may lie elsewhere)."""
    if r.submitted_at > until:
        return False
    if r.submitted_at >= start or r.history is not None:
        return True
    return (
        r.share_type in bound
        and r.review_status != REJECTED
        and (r.decided_at is None or r.decided_at >= start)
    )


def monthly_history(
    records: Iterable[ApplicationRecord],
    months: Sequence[Month],
    now: dt.datetime,
    rules: RuleSet,
    calendar: WorkCalendar,
    tz: dt.tzinfo,
    held: Collection[str] = (),
    exempt: Collection[str] = (),
) -> tuple[MonthTrend, ...]:
    """Each of ``months`` (oldest first, consecutive) as its report tallies it, in one pass."""
    bound = frozenset(rules.bound_share_types())
    at = [month_as_of(m, now, tz) for m in months]
    tallies: list[MonthTally] = [month_tally(m, a, tz) for m, a in zip(months, at, strict=True)]
    starts = [t.start for t in tallies]
    seen: set[str] = set()
    for raw in records:
        if raw.application_id in seen:
            continue
        seen.add(raw.application_id)
        judge = raw.share_type in bound  # an unbound type only counts among the applications
        # from the first month it was submitted by, while it matters: a month it no longer
        # matters to was answered before it began, and later months begin later still
        for i in range(bisect_left(at, raw.submitted_at), len(tallies)):
            if not matters(raw, starts[i], at[i], bound):
                break
            tallies[i].add(raw, rules, calendar, tz, held, exempt, judge=judge)
    out = []
    for m, t in zip(months, tallies, strict=True):
        depts, province = dept_months(t.figures(m, rules))
        out.append(MonthTrend(m, t.as_of, depts, province))
    return tuple(out)


def weekly_backlog(
    records: Iterable[ApplicationRecord],
    weeks: Sequence[IsoWeek],
    now: dt.datetime,
    rules: RuleSet,
    calendar: WorkCalendar,
    tz: dt.tzinfo,
    held: Collection[str] = (),
    exempt: Collection[str] = (),
) -> tuple[WeekBacklog, ...]:
    """Open and overdue applications at the end of each of ``weeks`` (or ``now``), as the
    digest of that week counts them (conditional applications under an active rule)."""
    pool = [r for r in records if r.share_type == CONDITIONAL]
    out = []
    for w in weeks:
        as_of = min(w.end(tz), now)
        start = w.start(tz)
        relevant = [
            r
            for r in pool
            if r.submitted_at <= as_of
            and (r.history is not None or r.decided_at is None or r.decided_at >= start)
        ]
        f = week_figures(relevant, w, as_of, rules, calendar, tz, held, exempt)
        out.append(WeekBacklog(w, as_of, f.open, f.total.overdue))
    return tuple(out)


def late_streak(history: Sequence[MonthTrend], department: str) -> int:
    """How many consecutive months up to the last of ``history`` name ``department`` in 存在问题."""
    n = 0
    for m in reversed(history):
        if not m.dept(department).named:
            break
        n += 1
    return n


@dataclass(frozen=True)
class Comparison:
    """What the month's 存在问题 says of earlier months: how many consecutive months up to the
    report's each late department has been named (≥ 2 only), and the province's on-time rate
    of the month before (None: no answers then, or not known)."""

    streaks: tuple[tuple[str, int], ...] = ()
    previous_rate: float | None = None

    def streak(self, department: str) -> int:
        return dict(self.streaks).get(department, 1)


def on_time_rate(f: MonthlyFigures) -> float | None:
    """The province's on-time rate of the month's answers (exempted ones left out)."""
    _depts, province = dept_months(f)
    return province.on_time_rate


def comparison(f: MonthlyFigures, earlier: Sequence[MonthTrend]) -> Comparison:
    """The report month's :class:`Comparison` from the months before it (oldest first, ending
    with the month just before the report's)."""
    named = {g.provider_dept for g in f.late}
    streaks = []
    for dept in sorted(named):
        n = 1 + late_streak(earlier, dept)
        if n >= 2:
            streaks.append((dept, n))
    previous = earlier[-1].province.on_time_rate if earlier else None
    return Comparison(tuple(streaks), previous)
