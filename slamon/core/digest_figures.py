"""The weekly compliance digest, pure: per provider department for one ISO week, as of the end
of the week (or ``now`` when the week is still running), compared with the week before.

Per department: received (clock started in the week), answered (in the week), answered on time,
on-time rate, overdue at the as-of moment, due within the next two working days; plus the
longest-overdue applications. Conditional applications under an active rule only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from slamon.core.calendar import WorkCalendar
from slamon.core.history import as_of_view
from slamon.core.periods import IsoWeek
from slamon.core.records import ApplicationRecord
from slamon.core.rules import RuleSet
from slamon.core.sla import clock_started, evaluate
from slamon.core.vocabulary import (
    ANSWERED_LATE,
    ANSWERED_ON_TIME,
    CONDITIONAL,
    DUE_SOON,
    OVERDUE,
    RETURNED,
    WITHDRAWN,
)

LONGEST_OVERDUE = 10


@dataclass
class DeptWeek:
    provider_dept: str
    received: int = 0
    answered: int = 0
    on_time: int = 0
    overdue: int = 0
    due_soon: int = 0
    held: int = 0  # data_issue: doubtful, held back from every figure above
    returned: int = (
        0  # sent back (退回补正) in the week; counted in answered when it stops the clock
    )
    withdrawn: int = 0  # withdrawn or voided in the week (never the provider's fault)

    @property
    def judged(self) -> int:
        """The rate's denominator: answers in the week plus applications overdue and unanswered."""
        return self.answered + self.overdue

    @property
    def on_time_rate(self) -> float | None:
        """On-time answers over answers plus overdue unanswered ones: an application left
        unanswered past its deadline is not on time."""
        return self.on_time / self.judged if self.judged else None

    def add(self, other: DeptWeek) -> None:
        self.received += other.received
        self.answered += other.answered
        self.on_time += other.on_time
        self.overdue += other.overdue
        self.due_soon += other.due_soon
        self.held += other.held
        self.returned += other.returned
        self.withdrawn += other.withdrawn


@dataclass(frozen=True)
class OverdueItem:
    application_id: str
    provider_dept: str
    resource_name: str
    applicant_dept: str
    started_at: dt.datetime  # the clock's start (core/stages.clock_start)
    deadline_date: dt.date
    overdue_working_days: int
    start_event: str | None = None


@dataclass
class WeekFigures:
    week: IsoWeek
    as_of: dt.datetime
    departments: dict[str, DeptWeek] = field(default_factory=dict)
    overdue_items: list[OverdueItem] = field(default_factory=list)
    open: int = 0  # applications awaiting the answer at as_of (the trend chart's backlog)

    def dept(self, name: str) -> DeptWeek:
        d = self.departments.get(name)
        if d is None:
            d = self.departments[name] = DeptWeek(name)
        return d

    @property
    def total(self) -> DeptWeek:
        t = DeptWeek("合计")
        for d in self.departments.values():
            t.add(d)
        return t


@dataclass(frozen=True)
class DigestRow:
    current: DeptWeek
    previous: DeptWeek

    @property
    def overdue_change(self) -> int:
        return self.current.overdue - self.previous.overdue

    @property
    def rate_change(self) -> float | None:
        a, b = self.current.on_time_rate, self.previous.on_time_rate
        return None if a is None or b is None else a - b


@dataclass(frozen=True)
class Digest:
    week: IsoWeek
    now: dt.datetime
    current: WeekFigures
    previous: WeekFigures
    rows: tuple[DigestRow, ...]  # one per department, most overdue first
    total: DigestRow
    longest_overdue: tuple[OverdueItem, ...]

    @property
    def item_ids(self) -> list[str]:
        return [i.application_id for i in self.longest_overdue]


def week_as_of(week: IsoWeek, now: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    return min(now, week.end(tz))


def week_figures(
    records: Iterable[ApplicationRecord],
    week: IsoWeek,
    as_of: dt.datetime,
    rules: RuleSet,
    calendar: WorkCalendar,
    tz: dt.tzinfo,
    held: Collection[str] = (),
    exempt: Collection[str] = (),
) -> WeekFigures:
    """``held``: ids of applications with an open data issue, counted apart and never judged;
    ``exempt``: ids exempted after verification (核实排除), left out altogether."""
    start = week.start(tz)
    out = WeekFigures(week, as_of)
    for raw in records:
        if raw.share_type != CONDITIONAL or raw.submitted_at > as_of:
            continue
        if raw.application_id in exempt:
            continue
        r = as_of_view(raw, as_of)
        decided_in_week = r.decided_at is not None and start <= r.decided_at <= as_of
        clock = clock_started(r, rules, calendar, tz)
        if clock is None:
            continue
        if r.application_id in held:
            out.dept(r.provider_dept).held += 1
            continue
        if raw.decision == WITHDRAWN:
            if raw.decided_at is not None and start <= raw.decided_at <= as_of:
                out.dept(r.provider_dept).withdrawn += 1
            continue
        s = evaluate(r, as_of, rules, calendar, tz)
        if s.rule_id is None:
            continue
        d = out.dept(r.provider_dept)
        out.open += s.is_open
        if r.decision == RETURNED and r.decided_at is not None and start <= r.decided_at:
            d.returned += 1
        if start <= clock <= as_of:
            d.received += 1
        if s.stage in (ANSWERED_ON_TIME, ANSWERED_LATE):
            assert r.decided_at is not None
            if decided_in_week:
                d.answered += 1
                d.on_time += s.stage == ANSWERED_ON_TIME
        elif s.stage == OVERDUE:
            d.overdue += 1
            assert s.deadline_date is not None
            out.overdue_items.append(
                OverdueItem(
                    r.application_id,
                    r.provider_dept,
                    r.resource_name,
                    r.applicant_dept,
                    clock,
                    s.deadline_date,
                    s.overdue_working_days,
                    s.start_event,
                )
            )
        elif s.stage == DUE_SOON:  # the rule's due-soon horizon (core/sla.is_due_soon)
            d.due_soon += 1
    for name in [
        n
        for n, d in out.departments.items()
        if not (
            d.received
            or d.answered
            or d.overdue
            or d.due_soon
            or d.held
            or d.returned
            or d.withdrawn
        )
    ]:
        del out.departments[name]
    return out


def weekly_digest(
    records: Iterable[ApplicationRecord],
    week: IsoWeek,
    now: dt.datetime,
    rules: RuleSet,
    calendar: WorkCalendar,
    tz: dt.tzinfo,
    top: int = LONGEST_OVERDUE,
    held: Collection[str] = (),
    exempt: Collection[str] = (),
) -> Digest:
    records = list(records)
    prev_week = week.previous()
    current = week_figures(
        records, week, week_as_of(week, now, tz), rules, calendar, tz, held, exempt
    )
    previous = week_figures(
        records, prev_week, week_as_of(prev_week, now, tz), rules, calendar, tz, held, exempt
    )
    names = sorted(set(current.departments) | set(previous.departments))
    rows = [
        DigestRow(current.departments.get(n, DeptWeek(n)), previous.departments.get(n, DeptWeek(n)))
        for n in names
    ]
    rows.sort(
        key=lambda r: (
            -r.current.overdue,
            -r.current.due_soon,
            -r.current.received,
            r.current.provider_dept,
        )
    )
    longest = sorted(
        current.overdue_items,
        key=lambda i: (-i.overdue_working_days, i.deadline_date, i.application_id),
    )[:top]
    return Digest(
        week=week,
        now=now,
        current=current,
        previous=previous,
        rows=tuple(rows),
        total=DigestRow(current.total, previous.total),
        longest_overdue=tuple(longest),
    )
