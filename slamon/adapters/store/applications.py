"""Applications, their history and their SLA state: bulk reads and writes in SQLAlchemy Core.

No business rules here: the poll service decides what to write, this module only writes it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator, Sequence
from operator import attrgetter
from typing import Any

from sqlalchemy import Connection, and_, bindparam, delete, inspect, or_, select, update

from slamon.adapters.store import contents, histories, marks
from slamon.adapters.store.bulk import StampMemo, chunks, insert_rows
from slamon.adapters.store.models import (
    Application,
    ApplicationEvent,
    DeadlineChange,
    SlaStateRow,
)
from slamon.core.records import FIELDS, ApplicationRecord, record_values
from slamon.core.sla import Holding, SlaState
from slamon.core.vocabulary import HELD_STAGES, OPEN_STAGES

APP = Application.__table__
EVENT = ApplicationEvent.__table__
SLA = SlaStateRow.__table__
CHANGE = DeadlineChange.__table__

SLA_FIELDS = (
    "stage",
    "rule_id",
    "deadline",
    "deadline_date",
    "overdue_working_days",
    "answer_working_days",
    "calendar_official",
    "started_at",
    "start_event",
    "extended_by",
    "flags",
)


# -- applications --------------------------------------------------------------------------
def text_limits() -> dict[str, int]:
    """The longest text each record field may hold in the store (its column length)."""
    return {
        c.name: c.type.length
        for c in APP.columns
        if c.name in FIELDS and getattr(c.type, "length", None)
    }


def record_from_row(row: Any) -> ApplicationRecord:
    m = row._mapping
    return ApplicationRecord(**{f: m[f] for f in FIELDS})


def existing_hashes(conn: Connection, ids: Sequence[str]) -> dict[str, str]:
    """application_id → content_hash for those of ``ids`` already stored."""
    return contents.by_id(conn, ids, APP.c.content_hash)


def load_records(conn: Connection, ids: Sequence[str]) -> dict[str, ApplicationRecord]:
    """The stored records of ``ids`` (those that exist), with their histories."""
    out: dict[str, ApplicationRecord] = {}
    cols = [APP.c[f] for f in FIELDS]
    for part in chunks(ids):
        for row in conn.execute(select(*cols).where(APP.c.application_id.in_(part))):
            out[row.application_id] = record_from_row(row)
    if out:
        for r in histories.attach(list(out.values()), histories.load(conn, list(out))):
            out[r.application_id] = r
    return out


def records_of(conn: Connection, query: Any) -> Iterator[ApplicationRecord]:
    """The records a query of the record columns returns, with their histories."""
    rows = (record_from_row(row) for row in conn.execute(query))
    return histories.attach(rows, histories.load(conn))


def iter_all_records(conn: Connection) -> Iterator[ApplicationRecord]:
    return records_of(conn, select(*(APP.c[f] for f in FIELDS)))


def open_sla(
    conn: Connection, not_evaluated_at: dt.datetime | None = None, moved: Holding | None = None
) -> list[tuple[str, str | None, dt.datetime | None, str, dt.datetime]]:
    """(application_id, rule_id, deadline, fingerprint, evaluated_at) of the applications in an
    open stage (leaving out those evaluated at ``not_evaluated_at``); with ``moved``, only those
    whose state may have moved by its bounds (:class:`slamon.core.sla.Holding`: a superset)."""
    cols = (SLA.c.application_id, SLA.c.rule_id, SLA.c.deadline, SLA.c.fingerprint)
    query = select(*cols, SLA.c.evaluated_at).where(SLA.c.stage.in_(OPEN_STAGES))
    if not_evaluated_at is not None:
        query = query.where(SLA.c.evaluated_at != not_evaluated_at)
    if moved is not None:
        query = query.where(
            or_(
                SLA.c.fingerprint != moved.fingerprint,
                SLA.c.evaluated_at < moved.since,
                SLA.c.evaluated_at > moved.now,
                and_(SLA.c.deadline >= SLA.c.evaluated_at, SLA.c.deadline < moved.now),
                SLA.c.rule_id.is_(None),
                SLA.c.rule_id.not_in(moved.steady_rules),  # none steady: every state
            )
        )
    return [tuple(row) for row in conn.execute(query).all()]


APP_KEYS = (*FIELDS, "content_hash", "source", "first_seen_at", "last_changed_at", "raw_digest")


def insert_applications(
    conn: Connection,
    records: Iterable[ApplicationRecord],
    hashes: dict[str, str],
    source: str,
    now: dt.datetime,
    memo: StampMemo | None = None,
    digests: dict[str, str] | None = None,
) -> None:
    raw = digests or {}
    rows = [
        (*record_values(r), hashes[r.application_id], source, now, now, raw.get(r.application_id))
        for r in records
    ]
    insert_rows(conn, APP, APP_KEYS, rows, memo)


def update_applications(
    conn: Connection,
    records: Sequence[ApplicationRecord],
    hashes: dict[str, str],
    source: str,
    now: dt.datetime,
    digests: dict[str, str] | None = None,
) -> None:
    if not records:
        return
    stmt = (
        update(APP)
        .where(APP.c.application_id == bindparam("b_id"))
        .values(
            {f: bindparam(f) for f in FIELDS if f != "application_id"}
            | {
                "content_hash": bindparam("content_hash"),
                "source": bindparam("source"),
                "last_changed_at": bindparam("last_changed_at"),
                "raw_digest": bindparam("raw_digest"),
            }
        )
    )
    raw = digests or {}
    rows = []
    for r in records:
        row = {f: getattr(r, f) for f in FIELDS if f != "application_id"}
        row.update(
            b_id=r.application_id,
            content_hash=hashes[r.application_id],
            source=source,
            last_changed_at=now,
            raw_digest=raw.get(r.application_id),
        )
        rows.append(row)
    conn.execute(stmt, rows)


def _jsonable(v: Any) -> Any:
    return v.isoformat() if isinstance(v, dt.datetime | dt.date) else v


EVENT_KEYS = (
    "application_id",
    "poll_run_id",
    "observed_at",
    "kind",
    "review_status",
    "decision",
    "received_at",
    "decided_at",
    "changes",
)


def insert_events(
    conn: Connection,
    records: Iterable[ApplicationRecord],
    old: dict[str, ApplicationRecord],
    run_id: int | None,
    now: dt.datetime,
    memo: StampMemo | None = None,
) -> int:
    rows = []
    for r in records:
        before = old.get(r.application_id)
        if before is None:
            kind, changes = "created", "{}"
        else:
            diff = {
                f: [_jsonable(getattr(before, f)), _jsonable(getattr(r, f))]
                for f in FIELDS[1:-1]
                if getattr(before, f) != getattr(r, f)
            }
            kind, changes = "changed", json.dumps(diff, ensure_ascii=False)
        rows.append(
            (
                r.application_id,
                run_id,
                now,
                kind,
                r.review_status,
                r.decision,
                r.received_at,
                r.decided_at,
                changes,
            )
        )
    insert_rows(conn, EVENT, EVENT_KEYS, rows, memo)
    return len(rows)


# -- SLA state -----------------------------------------------------------------------------
def load_sla(conn: Connection, ids: Sequence[str] | None = None) -> dict[str, dict[str, Any]]:
    cols = [SLA.c.application_id, SLA.c.fingerprint, *(SLA.c[f] for f in SLA_FIELDS)]
    out: dict[str, dict[str, Any]] = {}
    if ids is None:
        for row in conn.execute(select(*cols)):
            out[row.application_id] = dict(row._mapping)
        return out
    for part in chunks(ids):
        for row in conn.execute(select(*cols).where(SLA.c.application_id.in_(part))):
            out[row.application_id] = dict(row._mapping)
    return out


_state_values = attrgetter(*SLA_FIELDS[:-1])


def _sla_values(s: SlaState) -> tuple[Any, ...]:
    return (*_state_values(s), ",".join(s.flags) or None)


SLA_KEYS = ("application_id", *SLA_FIELDS, "fingerprint", "evaluated_at")


def save_sla(
    conn: Connection,
    states: Iterable[SlaState],
    existing: set[str],
    fingerprint: str,
    now: dt.datetime,
    stored: dict[str, dict[str, Any]] | None = None,
) -> int:
    """Insert or update the states; return how many were written. ``stored``: the rows as
    :func:`load_sla` read them: a state equal to its stored row (same fingerprint) is left as it
    is, ``evaluated_at`` included (it stays the moment the state was computed)."""
    inserts, updates = [], []
    for s in states:
        before = stored.get(s.application_id) if stored is not None else None
        values = _sla_values(s)
        if (
            before is not None
            and before["fingerprint"] == fingerprint
            and values == tuple(before[f] for f in SLA_FIELDS)
        ):
            continue
        if s.application_id in existing:
            row = dict(zip(SLA_FIELDS, values, strict=True))
            row.update(fingerprint=fingerprint, evaluated_at=now, b_id=s.application_id)
            updates.append(row)
        else:
            inserts.append((s.application_id, *values, fingerprint, now))
    insert_rows(conn, SLA, SLA_KEYS, inserts)
    if inserts or updates:
        marks.states_written(conn)
    if updates:
        stmt = (
            update(SLA)
            .where(SLA.c.application_id == bindparam("b_id"))
            .values({f: bindparam(f) for f in (*SLA_FIELDS, "fingerprint", "evaluated_at")})
        )
        conn.execute(stmt, updates)
    return len(inserts) + len(updates)


def replace_all_sla(
    conn: Connection, states: Iterable[SlaState], fingerprint: str, now: dt.datetime
) -> None:
    """Swap the whole SLA table for ``states`` (inside the caller's transaction): one bulk insert
    instead of an UPDATE per application when everything is recomputed."""
    rows = [(s.application_id, *_sla_values(s), fingerprint, now) for s in states]
    conn.execute(delete(SLA))
    insert_rows(conn, SLA, SLA_KEYS, rows)
    marks.states_written(conn)


def insert_deadline_changes(conn: Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(CHANGE.insert(), rows)


# -- named questions the services ask -----------------------------------------------------------
def open_or_recent_records(
    conn: Connection, since: dt.datetime, provider_dept: str | None = None
) -> Iterator[ApplicationRecord]:
    """Applications still open (or never evaluated), or submitted or answered since ``since``."""
    query = (
        select(*(APP.c[f] for f in FIELDS))
        .outerjoin(SLA, SLA.c.application_id == APP.c.application_id)
        .where(
            or_(
                SLA.c.stage.is_(None),
                SLA.c.stage.in_((*OPEN_STAGES, *HELD_STAGES)),
                APP.c.decided_at >= since,
                APP.c.submitted_at >= since,
            )
        )
    )
    if provider_dept:
        query = query.where(APP.c.provider_dept == provider_dept)
    return records_of(conn, query)


def latest_deadline_changes(conn: Connection) -> list[dict[str, Any]]:
    """The deadlines moved by the most recent calendar or rules change."""
    latest = conn.execute(
        select(CHANGE.c.new_fingerprint).order_by(CHANGE.c.id.desc()).limit(1)
    ).scalar()
    if not latest:
        return []
    return [
        dict(r)
        for r in conn.execute(
            select(
                CHANGE.c.application_id,
                CHANGE.c.old_deadline,
                CHANGE.c.new_deadline,
                CHANGE.c.changed_at,
            )
            .where(CHANGE.c.new_fingerprint == latest)
            .order_by(CHANGE.c.application_id)
        ).mappings()
    ]


def unanswered_due_by(conn: Connection, stages: Sequence[str], horizon: dt.date) -> Iterator[Any]:
    """(application_id, provider_dept, resource_name, applicant_dept, started_at, start_event,
    deadline, deadline_date, rule_id) of applications in ``stages`` whose deadline is on or before
    ``horizon``: the clock start as the engine stored it."""
    return conn.execute(
        select(
            APP.c.application_id,
            APP.c.provider_dept,
            APP.c.resource_name,
            APP.c.applicant_dept,
            SLA.c.started_at,
            SLA.c.start_event,
            SLA.c.deadline,
            SLA.c.deadline_date,
            SLA.c.rule_id,
        )
        .join(SLA, SLA.c.application_id == APP.c.application_id)
        .where(
            SLA.c.stage.in_(stages),
            SLA.c.deadline_date.is_not(None),
            SLA.c.deadline_date <= horizon,
        )
    )


def stages_of(conn: Connection, ids: Sequence[str]) -> dict[str, str]:
    """application_id → its stored SLA stage, for those of ``ids`` that have one."""
    out: dict[str, str] = {}
    for part in chunks(list(ids)):
        out.update(
            conn.execute(
                select(SLA.c.application_id, SLA.c.stage).where(SLA.c.application_id.in_(part))
            ).all()
        )
    return out


def provider_departments(conn: Connection) -> set[str]:
    """Every provider department named in the store (none when the store has no tables yet)."""
    if not inspect(conn).has_table(APP.name):
        return set()
    return set(conn.execute(select(APP.c.provider_dept).distinct()).scalars())
