"""What the dashboard's 总览 and 部门 pages show: per provider department, its open applications
evaluated at ``now`` and its answers of the month, read through named store queries.

Open applications are evaluated afresh at ``now`` (a stage moves with the clock); answered ones
use the stage stored at the last evaluation (an answer does not move). Applications held as
数据存疑 are not open: they are counted apart, never as late.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from slamon.adapters.store import dashboard_queries as q
from slamon.adapters.store import data_issues, health_queries, runs
from slamon.core.departments import canonical
from slamon.core.periods import Month
from slamon.core.sla import evaluate
from slamon.core.vocabulary import (
    ANSWERED_ON_TIME,
    DUE_SOON,
    OVERDUE,
    RUN_FAILED,
    RUN_OK,
)
from slamon.runtime import Runtime
from slamon.service.exemptions import active_exemptions
from slamon.service.status import StatusItem, _sort_key

if TYPE_CHECKING:
    from sqlalchemy import Engine


@dataclass
class DeptRow:
    department: str
    open: int = 0
    due_soon: int = 0  # 黄
    overdue: int = 0  # 红
    escalated: int = 0  # overdue for notify.escalate_after working days or more (督办)
    answered: int = 0  # this month
    on_time: int = 0  # this month
    has_contacts: bool = False

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.answered if self.answered else None

    @property
    def level(self) -> str:
        """red / yellow / green: the colour of the row."""
        return "red" if self.overdue else "yellow" if self.due_soon else "green"

    def severity(self) -> tuple[int, int, int, int, float, str]:
        rate = self.on_time_rate
        return (
            -self.escalated,
            -self.overdue,
            -self.due_soon,
            -self.open,
            rate if rate is not None else 1.0,
            self.department,
        )


@dataclass
class Overview:
    now: dt.datetime
    month: Month
    rows: list[DeptRow]
    last_read: dict[str, Any] | None  # the last successful poll run
    last_failed: dict[str, Any] | None
    rejected_rows: int = 0
    data_issues: int = 0
    escalate_after: int = 3
    exempted: int = 0  # open applications exempted (核实排除): counted apart, never late
    stale_minutes: int | None = None  # source.stale_minutes; None: no source is read (kind none)

    @property
    def source_stale(self) -> bool:
        """The figures may lag the platform: the banner at the top of the overview."""
        return self.stale_minutes is not None and is_stale(
            self.now, self.last_read, self.stale_minutes
        )

    @property
    def totals(self) -> DeptRow:
        t = DeptRow("合计")
        for r in self.rows:
            for name in ("open", "due_soon", "overdue", "escalated", "answered", "on_time"):
                setattr(t, name, getattr(t, name) + getattr(r, name))
        return t


def _month_start(now: dt.datetime, tz: dt.tzinfo) -> tuple[Month, dt.datetime]:
    m = Month.of(now.astimezone(tz).date())
    return m, m.start(tz)


def overview(engine: Engine, rt: Runtime, now: dt.datetime, search: str | None = None) -> Overview:
    """Every provider department, most severe first; ``search`` keeps names containing it."""
    month, since = _month_start(now, rt.tz)
    escalate_after = rt.settings.notify.escalate_after
    rows: dict[str, DeptRow] = {}

    def row(dept: str) -> DeptRow:
        if dept not in rows:
            rows[dept] = DeptRow(dept, has_contacts=bool(rt.settings.contacts.get(dept)))
        return rows[dept]

    exempted = 0
    with engine.connect() as conn:
        exempt_ids = active_exemptions(conn)
        for record in q.open_records(conn):
            if record.application_id in exempt_ids:
                exempted += 1
                continue
            s = evaluate(record, now, rt.rules, rt.calendar, rt.tz)
            if not s.is_open:
                continue
            r = row(record.provider_dept)
            r.open += 1
            if s.stage == DUE_SOON:
                r.due_soon += 1
            elif s.stage == OVERDUE:
                r.overdue += 1
                if s.overdue_working_days >= escalate_after:
                    r.escalated += 1
        for dept, stage, n in q.answered_counts_since(conn, since):
            r = row(dept)
            r.answered += n
            if stage == ANSWERED_ON_TIME:
                r.on_time += n
        last_ok, last_failed = runs.last_run(conn, RUN_OK), runs.last_run(conn, RUN_FAILED)
        rejected = health_queries.rejected_row_count(conn)
        held = len(data_issues.open_issues(conn))
    found = list(rows.values())
    if search and search.strip():
        needle = search.strip().casefold()
        found = [r for r in found if needle in r.department.casefold()]
    found.sort(key=DeptRow.severity)
    return Overview(
        now,
        month,
        found,
        last_ok,
        last_failed,
        rejected_rows=rejected,
        data_issues=held,
        escalate_after=escalate_after,
        exempted=exempted,
        stale_minutes=None
        if rt.settings.source.kind == "none"
        else rt.settings.source.stale_minutes,
    )


def is_stale(now: dt.datetime, last_read: dict[str, Any] | None, stale_minutes: int) -> bool:
    """THE staleness of the dashboard's data: no successful read yet, or the last one finished
    more than ``source.stale_minutes`` ago."""
    if last_read is None or last_read.get("finished_at") is None:
        return True
    return now - last_read["finished_at"] > dt.timedelta(minutes=stale_minutes)


@dataclass
class MonthHistory:
    month: str
    answered: int = 0
    on_time: int = 0
    working_days: int = 0

    @property
    def late(self) -> int:
        return self.answered - self.on_time

    @property
    def mean_days(self) -> float | None:
        return self.working_days / self.answered if self.answered else None


@dataclass
class DepartmentView:
    department: str
    now: dt.datetime
    open_items: list[StatusItem]
    history: list[MonthHistory]
    contacts: tuple[str, ...] = field(default_factory=tuple)
    known: bool = True
    exempted: frozenset[str] = frozenset()  # open applications exempted (shown, never late)


def department(engine: Engine, rt: Runtime, name: str, now: dt.datetime) -> DepartmentView:
    """One provider: its open applications evaluated at ``now``, its answers by month (newest
    first), its contact people."""
    dept = canonical(name, rt.settings.aliases)
    history: dict[str, MonthHistory] = defaultdict(lambda: MonthHistory(""))
    with engine.connect() as conn:
        items = [
            StatusItem(r, evaluate(r, now, rt.rules, rt.calendar, rt.tz))
            for r in q.open_records(conn, dept)
        ]
        answered = q.answered_history(conn, dept)
        exempted = frozenset(active_exemptions(conn))
    for a in answered:
        key = Month.of(a["decided_at"].astimezone(rt.tz).date()).key
        h = history[key]
        h.month = key
        h.answered += 1
        h.on_time += a["stage"] == ANSWERED_ON_TIME
        h.working_days += a["answer_working_days"] or 0
    items = [it for it in items if it.state.is_open]
    items.sort(key=_sort_key)
    return DepartmentView(
        dept,
        now,
        items,
        sorted(history.values(), key=lambda h: h.month, reverse=True),
        tuple(rt.settings.contacts.get(dept, ())),
        known=bool(items or answered),
        exempted=frozenset(it.record.application_id for it in items) & exempted,
    )


@dataclass
class QualityBasics:
    """The 数据质量 page's first half: the source's health and the rows it could not take."""

    now: dt.datetime
    last_read: dict[str, Any] | None
    last_failed: dict[str, Any] | None
    stale_minutes: int
    rejected: list[dict[str, Any]]
    rejected_total: int
    stage_totals: dict[str, int]
    issues: list[dict[str, Any]] = field(default_factory=list)  # open data issues, newest first

    @property
    def source_stale(self) -> bool:
        return is_stale(self.now, self.last_read, self.stale_minutes)

    @property
    def failing(self) -> bool:
        """The last attempt failed (a failure newer than the last success)."""
        if self.last_failed is None:
            return False
        return self.last_read is None or self.last_failed["id"] > self.last_read["id"]


def quality_basics(engine: Engine, rt: Runtime, now: dt.datetime) -> QualityBasics:
    with engine.connect() as conn:
        issues = [
            {"application_id": aid, "reason_code": code, "detail": detail, "since": since}
            for aid, (code, detail, since) in data_issues.open_issues(conn).items()
        ]
        issues.sort(key=lambda i: (i["since"], i["application_id"]), reverse=True)
        return QualityBasics(
            now,
            runs.last_run(conn, RUN_OK),
            runs.last_run(conn, RUN_FAILED),
            rt.settings.source.stale_minutes,
            runs.recent_rejections(conn),
            health_queries.rejected_row_count(conn),
            health_queries.stage_counts(conn),
            issues,
        )
