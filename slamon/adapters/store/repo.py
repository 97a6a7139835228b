"""Bulk reads and writes on the store, in SQLAlchemy Core for speed. No business rules here."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Date, DateTime, bindparam, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from slamon.adapters.store.models import (
    Application,
    ApplicationEvent,
    DeadlineChange,
    ImportedFile,
    Meta,
    RejectedRow,
    SlaStateRow,
)
from slamon.core.records import FIELDS, ApplicationRecord
from slamon.core.sla import SlaState
from slamon.core.vocabulary import OPEN_STAGES

APP = Application.__table__
EVENT = ApplicationEvent.__table__
SLA = SlaStateRow.__table__
META = Meta.__table__
REJECTED = RejectedRow.__table__
IMPORTED = ImportedFile.__table__
CHANGE = DeadlineChange.__table__

CHUNK = 500
TRACKED = ("review_status", "reviewed_at", "received_at", "decision", "decided_at")
SLA_FIELDS = (
    "stage",
    "rule_id",
    "deadline",
    "deadline_date",
    "overdue_working_days",
    "answer_working_days",
    "calendar_official",
)


_UTC = dt.UTC


def _temporal_keys(table: Any, keys: Sequence[str]) -> tuple[list[str], list[str]]:
    """The datetime and the date columns among ``keys`` (looking through type decorators)."""
    stamps, days = [], []
    for k in keys:
        col_type = table.c[k].type
        col_type = getattr(col_type, "impl_instance", col_type)
        if isinstance(col_type, DateTime):
            stamps.append(k)
        elif isinstance(col_type, Date):
            days.append(k)
    return stamps, days


def bulk_insert(
    conn: Connection,
    table: Any,
    rows: list[dict[str, Any]],
    memo: dict[int, tuple[dt.datetime, Any]] | None = None,
) -> None:
    """executemany at the driver level, skipping per-value type processing (the hot path of a
    full poll). Temporal values are converted exactly as the column types would store them:
    on SQLite, UTC datetimes as fixed-width text (memoised by object: ``now`` and shared deadline
    instants recur in every row; pass one ``memo`` to several inserts of the same objects);
    elsewhere aware UTC datetimes. ``rows`` are modified in place.
    """
    if not rows:
        return
    keys = list(rows[0])
    stamps, days = _temporal_keys(table, keys)
    on_sqlite = conn.dialect.name == "sqlite"
    memo = {} if memo is None else memo
    for r in rows:
        for k in stamps:
            v = r[k]
            if v is not None:
                hit = memo.get(id(v))
                if hit is None:  # the entry keeps v alive, so its id cannot be reused meanwhile
                    u = v.astimezone(_UTC)
                    hit = memo[id(v)] = (
                        v,
                        u.replace(tzinfo=None).isoformat(" ", "microseconds") if on_sqlite else u,
                    )
                r[k] = hit[1]
        if on_sqlite:
            for k in days:
                v = r[k]
                if v is not None:
                    r[k] = v.isoformat()
    compiled = table.insert().compile(dialect=conn.dialect, column_keys=keys)
    if compiled.positional:
        getter = itemgetter(*[compiled.binds[name].key for name in compiled.positiontup])
        params: list[Any] = [getter(r) for r in rows]
    else:
        params = rows
    conn.exec_driver_sql(str(compiled), params)


def chunks(seq: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(seq), size):
        yield seq[i : i + size]


def insert_ignore(
    conn: Connection, table: Any, rows: list[dict[str, Any]], keys: Sequence[str]
) -> None:
    """INSERT rows, silently skipping those whose unique ``keys`` already exist (portable)."""
    if not rows:
        return
    name = conn.dialect.name
    if name == "postgresql":
        stmt = postgresql.insert(table).on_conflict_do_nothing(index_elements=list(keys))
    elif name == "sqlite":
        stmt = sqlite.insert(table).on_conflict_do_nothing(index_elements=list(keys))
    else:
        stmt = table.insert().prefix_with("IGNORE")
    conn.execute(stmt, rows)


# -- meta ----------------------------------------------------------------------------------
def get_meta(conn: Connection, key: str) -> str | None:
    return conn.execute(select(META.c.value).where(META.c.key == key)).scalar_one_or_none()


def set_meta(conn: Connection, key: str, value: str) -> None:
    if conn.execute(update(META).where(META.c.key == key).values(value=value)).rowcount == 0:
        conn.execute(META.insert().values(key=key, value=value))


# -- applications --------------------------------------------------------------------------
def record_from_row(row: Any) -> ApplicationRecord:
    m = row._mapping
    return ApplicationRecord(**{f: m[f] for f in FIELDS})


def existing_hashes(conn: Connection, ids: Sequence[str]) -> dict[str, str]:
    """application_id → content_hash for those of ``ids`` already stored."""
    if len(ids) > 20 * CHUNK:  # a big batch: one scan beats many IN lists
        wanted = set(ids)
        rows = conn.execute(select(APP.c.application_id, APP.c.content_hash))
        return {a: h for a, h in rows if a in wanted}
    out: dict[str, str] = {}
    for part in chunks(ids):
        rows = conn.execute(
            select(APP.c.application_id, APP.c.content_hash).where(APP.c.application_id.in_(part))
        )
        out.update({a: h for a, h in rows})
    return out


def load_records(conn: Connection, ids: Sequence[str]) -> dict[str, ApplicationRecord]:
    out: dict[str, ApplicationRecord] = {}
    cols = [APP.c[f] for f in FIELDS]
    for part in chunks(ids):
        for row in conn.execute(select(*cols).where(APP.c.application_id.in_(part))):
            out[row.application_id] = record_from_row(row)
    return out


def iter_all_records(conn: Connection) -> Iterator[ApplicationRecord]:
    cols = [APP.c[f] for f in FIELDS]
    for row in conn.execute(select(*cols)):
        yield record_from_row(row)


def open_application_ids(conn: Connection) -> list[str]:
    return list(
        conn.execute(select(SLA.c.application_id).where(SLA.c.stage.in_(OPEN_STAGES))).scalars()
    )


def insert_applications(
    conn: Connection,
    records: Iterable[ApplicationRecord],
    hashes: dict[str, str],
    source: str,
    now: dt.datetime,
    memo: dict[int, Any] | None = None,
) -> None:
    rows = []
    for r in records:
        row = {f: getattr(r, f) for f in FIELDS}
        row.update(
            content_hash=hashes[r.application_id],
            source=source,
            first_seen_at=now,
            last_changed_at=now,
        )
        rows.append(row)
    bulk_insert(conn, APP, rows, memo)


def update_applications(
    conn: Connection,
    records: Sequence[ApplicationRecord],
    hashes: dict[str, str],
    source: str,
    now: dt.datetime,
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
            }
        )
    )
    rows = []
    for r in records:
        row = {f: getattr(r, f) for f in FIELDS if f != "application_id"}
        row.update(
            b_id=r.application_id,
            content_hash=hashes[r.application_id],
            source=source,
            last_changed_at=now,
        )
        rows.append(row)
    conn.execute(stmt, rows)


def _jsonable(v: Any) -> Any:
    return v.isoformat() if isinstance(v, dt.datetime | dt.date) else v


def insert_events(
    conn: Connection,
    records: Iterable[ApplicationRecord],
    old: dict[str, ApplicationRecord],
    run_id: int | None,
    now: dt.datetime,
    memo: dict[int, Any] | None = None,
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
            {
                "application_id": r.application_id,
                "poll_run_id": run_id,
                "observed_at": now,
                "kind": kind,
                "review_status": r.review_status,
                "decision": r.decision,
                "received_at": r.received_at,
                "decided_at": r.decided_at,
                "changes": changes,
            }
        )
    bulk_insert(conn, EVENT, rows, memo)
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


def _sla_row(s: SlaState, fingerprint: str, now: dt.datetime) -> dict[str, Any]:
    row = {f: getattr(s, f) for f in SLA_FIELDS}
    row.update(fingerprint=fingerprint, evaluated_at=now)
    return row


def save_sla(
    conn: Connection,
    states: Iterable[SlaState],
    existing: set[str],
    fingerprint: str,
    now: dt.datetime,
) -> None:
    inserts, updates = [], []
    for s in states:
        row = _sla_row(s, fingerprint, now)
        if s.application_id in existing:
            row["b_id"] = s.application_id
            updates.append(row)
        else:
            row["application_id"] = s.application_id
            inserts.append(row)
    bulk_insert(conn, SLA, inserts)
    if updates:
        stmt = (
            update(SLA)
            .where(SLA.c.application_id == bindparam("b_id"))
            .values({f: bindparam(f) for f in (*SLA_FIELDS, "fingerprint", "evaluated_at")})
        )
        conn.execute(stmt, updates)


def replace_all_sla(
    conn: Connection, states: Iterable[SlaState], fingerprint: str, now: dt.datetime
) -> None:
    """Swap the whole SLA table for ``states`` (inside the caller's transaction): one bulk insert
    instead of an UPDATE per application when everything is recomputed."""
    rows = []
    for s in states:
        row = _sla_row(s, fingerprint, now)
        row["application_id"] = s.application_id
        rows.append(row)
    conn.execute(delete(SLA))
    bulk_insert(conn, SLA, rows)


def insert_deadline_changes(conn: Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(CHANGE.insert(), rows)


# -- rejected rows and imported files ------------------------------------------------------
def record_rejections(
    conn: Connection,
    source: str,
    errors: Sequence[tuple[str, str, str, str]],
    run_id: int | None,
    now: dt.datetime,
) -> None:
    """Upsert (row_ref, field, message, raw_json) for ``source``: first_seen kept, last_seen moved."""
    for ref, field, message, raw in errors:
        res = conn.execute(
            update(REJECTED)
            .where(
                REJECTED.c.source == source, REJECTED.c.row_ref == ref, REJECTED.c.field == field
            )
            .values(message=message, raw=raw, last_seen_at=now, poll_run_id=run_id)
        )
        if res.rowcount == 0:
            conn.execute(
                REJECTED.insert().values(
                    source=source,
                    row_ref=ref,
                    field=field,
                    message=message,
                    raw=raw,
                    first_seen_at=now,
                    last_seen_at=now,
                    poll_run_id=run_id,
                )
            )


def clear_rejections(conn: Connection, source: str, refs: Sequence[str]) -> None:
    """Forget earlier rejections of rows that now load."""
    for part in chunks(list(refs)):
        conn.execute(
            delete(REJECTED).where(REJECTED.c.source == source, REJECTED.c.row_ref.in_(part))
        )


def imported_hashes(conn: Connection) -> set[str]:
    return set(conn.execute(select(IMPORTED.c.sha256)).scalars())


def mark_imported(
    conn: Connection, files: Iterable[tuple[str, str]], run_id: int | None, now: dt.datetime
) -> None:
    rows = [{"sha256": h, "name": n, "imported_at": now, "poll_run_id": run_id} for h, n in files]
    insert_ignore(conn, IMPORTED, rows, ["sha256"])
