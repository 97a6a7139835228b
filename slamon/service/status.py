"""What ``slamon status`` shows: open and recent applications evaluated at ``now``, per department."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from slamon.adapters.store import applications, data_issues, quality_queries, runs
from slamon.core.data_quality import UnknownDepartment
from slamon.core.departments import canonical, matching
from slamon.core.sla import SlaState, evaluate
from slamon.core.vocabulary import (
    FLAG_NAMES,
    ISSUE_REASON_NAMES,
    RUN_FAILED,
    RUN_OK,
    STAGE_SEVERITY,
)
from slamon.runtime import Runtime
from slamon.service.data_quality import unknown_departments
from slamon.service.exemptions import ExemptionFact, active_exemptions
from slamon.service.reconcile import future_rows

if TYPE_CHECKING:
    from sqlalchemy import Engine

RECENT_DAYS = 30


@dataclass
class StatusItem:
    record: Any  # ApplicationRecord
    state: SlaState
    issue: tuple[str, str, dt.datetime] | None = None  # (reason_code, detail, since)
    exemption: ExemptionFact | None = None  # 核实排除: no notice, not in late or the ranking

    def as_json(self) -> dict[str, Any]:
        r, s = self.record, self.state
        return {
            "application_id": r.application_id,
            "provider_dept": r.provider_dept,
            "resource_name": r.resource_name,
            "share_type": r.share_type,
            "received_at": _iso(s.started_at),  # the clock start (the contract's name)
            "deadline": _iso(s.deadline),
            "stage": s.stage,
            "overdue_working_days": s.overdue_working_days,
            "decided_at": _iso(r.decided_at),
            # extensions beyond docs/CONTRACT.md §2
            "applicant_dept": r.applicant_dept,
            "deadline_date": s.deadline_date.isoformat() if s.deadline_date else None,
            "rule": s.rule_id,
            "calendar_official": s.calendar_official,
            "extended_by": s.extended_by,
            "stages": [
                {
                    "id": st.id,
                    "name": st.name,
                    "party": st.party,
                    "deadline_date": st.deadline_date.isoformat() if st.deadline_date else None,
                    "stopped_at": _iso(st.stopped_at),
                    "late": st.late,
                    "overdue_working_days": st.overdue_working_days,
                }
                for st in s.stages
            ],
            "flags": [{"code": f, "name": FLAG_NAMES.get(f, f)} for f in s.flags],
            "data_issue": None
            if self.issue is None
            else {
                "reason": self.issue[0],
                "reason_name": ISSUE_REASON_NAMES.get(self.issue[0], self.issue[0]),
                "detail": self.issue[1],
                "since": _iso(self.issue[2]),
            },
            "exempted": self.exemption is not None,
            "exemption_reason": None if self.exemption is None else self.exemption.reason,
        }


@dataclass
class StatusReport:
    now: dt.datetime
    items: list[StatusItem]
    by_department: dict[str, Counter[str]]
    last_ok_poll: dict[str, Any] | None
    last_failed_poll: dict[str, Any] | None
    rejected: list[dict[str, Any]] = field(default_factory=list)
    deadline_changes: list[dict[str, Any]] = field(default_factory=list)
    department_query: str | None = None
    # the provider names --department matched (exact canonical name, or every name containing it)
    department_matches: list[str] = field(default_factory=list)
    unknown_departments: tuple[UnknownDepartment, ...] = ()  # near misses of known names
    future_rows: list[dict[str, Any]] = field(default_factory=list)  # updated_at in the future


def _iso(v: dt.datetime | None) -> str | None:
    return v.isoformat(timespec="seconds") if v is not None else None


def build_status(
    engine: Engine,
    rt: Runtime,
    now: dt.datetime,
    department: str | None = None,
    *,
    include_settled: bool = False,
) -> StatusReport:
    """Open applications plus those submitted or answered in the last 30 days, evaluated at ``now``."""
    since = now - dt.timedelta(days=RECENT_DAYS)
    aliases = rt.settings.aliases
    with engine.connect() as conn:
        counts = quality_queries.provider_counts(conn)
        matches = matching(department, counts, aliases) if department else []
        wanted = set(matches)
        exact = (
            matches[0]
            if len(matches) == 1 and canonical(department or "", aliases) == matches[0]
            else None
        )
        issues = data_issues.open_issues(conn)
        exempted = active_exemptions(conn)
        items = []
        records = (
            []
            if department and not matches
            else applications.open_or_recent_records(conn, since, exact)
        )
        for record in records:
            if department and record.provider_dept not in wanted:
                continue
            issue = issues.get(record.application_id)
            state = evaluate(record, now, rt.rules, rt.calendar, rt.tz, issue[0] if issue else None)
            items.append(StatusItem(record, state, issue, exempted.get(record.application_id)))
        last_ok = runs.last_run(conn, RUN_OK)
        last_failed = runs.last_run(conn, RUN_FAILED)
        rejected = runs.recent_rejections(conn, include_settled=include_settled)
        changes = applications.latest_deadline_changes(conn)
        future = future_rows(conn)
    items.sort(key=_sort_key)
    by_dept: dict[str, Counter[str]] = defaultdict(Counter)
    for it in items:
        by_dept[it.record.provider_dept][it.state.stage] += 1
    return StatusReport(
        now,
        items,
        dict(by_dept),
        last_ok,
        last_failed,
        rejected,
        changes,
        department,
        matches,
        unknown_departments(rt, counts),
        future_rows=future,
    )


_STAGE_ORDER = {s: i for i, s in enumerate(STAGE_SEVERITY)}


def _sort_key(item: StatusItem) -> tuple[int, int, str, str]:
    s = item.state
    return (
        _STAGE_ORDER.get(s.stage, 9),
        -s.overdue_working_days,
        s.deadline_date.isoformat() if s.deadline_date else "9999",
        item.record.application_id,
    )
