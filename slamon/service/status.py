"""What ``slamon status`` shows: open and recent applications evaluated at ``now``, per department."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, or_, select

from slamon.adapters.store import repo
from slamon.adapters.store.models import DeadlineChange, PollRun, RejectedRow
from slamon.core.records import FIELDS
from slamon.core.sla import SlaState, evaluate
from slamon.core.vocabulary import OPEN_STAGES, STAGE_SEVERITY
from slamon.runtime import Runtime

RECENT_DAYS = 30


@dataclass
class StatusItem:
    record: Any  # ApplicationRecord
    state: SlaState

    def as_json(self) -> dict[str, Any]:
        r, s = self.record, self.state
        return {
            "application_id": r.application_id,
            "provider_dept": r.provider_dept,
            "resource_name": r.resource_name,
            "share_type": r.share_type,
            "received_at": _iso(r.clock_start),
            "deadline": _iso(s.deadline),
            "stage": s.stage,
            "overdue_working_days": s.overdue_working_days,
            "decided_at": _iso(r.decided_at),
            # extensions beyond CONTRACT §2
            "applicant_dept": r.applicant_dept,
            "deadline_date": s.deadline_date.isoformat() if s.deadline_date else None,
            "rule": s.rule_id,
            "calendar_official": s.calendar_official,
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


def _iso(v: dt.datetime | None) -> str | None:
    return v.isoformat(timespec="seconds") if v is not None else None


def build_status(
    engine: Engine, rt: Runtime, now: dt.datetime, department: str | None = None
) -> StatusReport:
    """Open applications plus those submitted or answered in the last 30 days, evaluated at ``now``."""
    app, sla = repo.APP, repo.SLA
    since = now - dt.timedelta(days=RECENT_DAYS)
    dept = rt.settings.aliases.get(department, department) if department else None
    query = (
        select(*(app.c[f] for f in FIELDS))
        .outerjoin(sla, sla.c.application_id == app.c.application_id)
        .where(
            or_(
                sla.c.stage.is_(None),
                sla.c.stage.in_(OPEN_STAGES),
                app.c.decided_at >= since,
                app.c.submitted_at >= since,
            )
        )
    )
    if dept:
        query = query.where(app.c.provider_dept == dept)
    items: list[StatusItem] = []
    with engine.connect() as conn:
        for row in conn.execute(query):
            record = repo.record_from_row(row)
            items.append(StatusItem(record, evaluate(record, now, rt.rules, rt.calendar, rt.tz)))
        runs = PollRun.__table__
        last_ok = (
            conn.execute(
                select(runs).where(runs.c.status == "ok").order_by(runs.c.id.desc()).limit(1)
            )
            .mappings()
            .first()
        )
        last_failed = (
            conn.execute(
                select(runs).where(runs.c.status == "failed").order_by(runs.c.id.desc()).limit(1)
            )
            .mappings()
            .first()
        )
        rej = RejectedRow.__table__
        rejected = [
            dict(r)
            for r in conn.execute(
                select(rej.c.source, rej.c.row_ref, rej.c.field, rej.c.message, rej.c.last_seen_at)
                .order_by(rej.c.last_seen_at.desc(), rej.c.id)
                .limit(200)
            ).mappings()
        ]
        ch = DeadlineChange.__table__
        latest = conn.execute(
            select(ch.c.new_fingerprint).order_by(ch.c.id.desc()).limit(1)
        ).scalar()
        changes = []
        if latest:
            changes = [
                dict(r)
                for r in conn.execute(
                    select(
                        ch.c.application_id, ch.c.old_deadline, ch.c.new_deadline, ch.c.changed_at
                    )
                    .where(ch.c.new_fingerprint == latest)
                    .order_by(ch.c.application_id)
                ).mappings()
            ]
    items.sort(key=_sort_key)
    by_dept: dict[str, Counter[str]] = defaultdict(Counter)
    for it in items:
        by_dept[it.record.provider_dept][it.state.stage] += 1
    return StatusReport(
        now,
        items,
        dict(by_dept),
        dict(last_ok) if last_ok else None,
        dict(last_failed) if last_failed else None,
        rejected,
        changes,
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
