"""Bookkeeping of the poll cycle: settings rows (meta), poll runs, rejected rows, imported files."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, select, update

from slamon.adapters.store.bulk import chunks, insert_rows
from slamon.adapters.store.models import ImportedFile, Meta, PollRun, RejectedRow
from slamon.core.vocabulary import RUN_FAILED, RUN_OK, RUN_RUNNING

META = Meta.__table__
RUN = PollRun.__table__
REJECTED = RejectedRow.__table__
IMPORTED = ImportedFile.__table__


# -- meta ----------------------------------------------------------------------------------
def get_meta(conn: Connection, key: str) -> str | None:
    return conn.execute(select(META.c.value).where(META.c.key == key)).scalar_one_or_none()


def set_meta(conn: Connection, key: str, value: str) -> None:
    if conn.execute(update(META).where(META.c.key == key).values(value=value)).rowcount == 0:
        conn.execute(META.insert().values(key=key, value=value))


def _unstorable(ch: str) -> bool:
    return (ord(ch) < 32 and ch not in "\t\n\r") or ord(ch) == 127


def fit(text: str, length: int) -> str:
    """``text`` made storable in a column of ``length``: control characters shown as U+XXXX
    (PostgreSQL refuses NUL in text), cut to the length with an ellipsis."""
    if any(_unstorable(ch) for ch in text):
        text = "".join(f"<U+{ord(ch):04X}>" if _unstorable(ch) else ch for ch in text)
    return text if len(text) <= length else text[: length - 1] + "…"


# -- poll lock ----------------------------------------------------------------------------
POLL_LOCK_KEY = 0x534C_4D50  # "SLMP": one advisory-lock number for every slamon poll


def lock_polls(conn: Connection) -> None:
    """Serialise poll cycles on a shared store until this transaction ends.

    On PostgreSQL two simultaneous polls would both insert a new application and one would die
    with a unique violation; the transaction-scoped advisory lock makes the second wait, and it
    then sees the first one's rows. SQLite serialises writers itself.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_advisory_xact_lock(POLL_LOCK_KEY)))


# -- poll runs -------------------------------------------------------------------------------
def start_run(conn: Connection, source: str, now: dt.datetime) -> int:
    return conn.execute(
        RUN.insert().values(source=fit(source, 200), started_at=now, status=RUN_RUNNING)
    ).inserted_primary_key[0]


def finish_run(conn: Connection, run_id: int, now: dt.datetime, **counts: int) -> None:
    conn.execute(
        update(RUN).where(RUN.c.id == run_id).values(finished_at=now, status=RUN_OK, **counts)
    )


def record_failed_run(engine: Engine, source: str, now: dt.datetime, error: str) -> None:
    """A failed cycle in its own transaction (the cycle itself was rolled back)."""
    with engine.begin() as conn:
        conn.execute(
            RUN.insert().values(
                source=fit(source, 200),
                started_at=now,
                finished_at=now,
                status=RUN_FAILED,
                error=fit(error, 4000),
            )
        )


def last_run(conn: Connection, status: str) -> dict[str, Any] | None:
    row = (
        conn.execute(select(RUN).where(RUN.c.status == status).order_by(RUN.c.id.desc()).limit(1))
        .mappings()
        .first()
    )
    return dict(row) if row else None


# -- rejected rows and imported files ------------------------------------------------------
def record_rejections(
    conn: Connection,
    source: str,
    errors: Sequence[tuple[str, str, str, str, str | None]],
    run_id: int | None,
    now: dt.datetime,
) -> None:
    """Upsert (row_ref, field, message, raw_json, application_id) for ``source``: first_seen
    kept, last_seen moved, a settled row open again."""
    for ref, field, message, raw, application_id in errors:
        ref, message, raw = fit(ref, 200), fit(message, 4000), raw.replace("\x00", "")
        application_id = fit(application_id, 128) if application_id else None
        res = conn.execute(
            update(REJECTED)
            .where(
                REJECTED.c.source == source, REJECTED.c.row_ref == ref, REJECTED.c.field == field
            )
            .values(
                message=message,
                raw=raw,
                last_seen_at=now,
                poll_run_id=run_id,
                application_id=application_id,
                settled_at=None,
            )
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
                    application_id=application_id,
                )
            )


def clear_rejections(conn: Connection, source: str, refs: Sequence[str]) -> None:
    """Forget earlier rejections of rows that now load."""
    for part in chunks(list(refs)):
        conn.execute(
            delete(REJECTED).where(REJECTED.c.source == source, REJECTED.c.row_ref.in_(part))
        )


def settle_rejections(conn: Connection, application_ids: Sequence[str], now: dt.datetime) -> int:
    """Mark open rejected rows of these applications settled (a good row has loaded since)."""
    n = 0
    unsettled = select(REJECTED.c.id).where(REJECTED.c.settled_at.is_(None)).limit(1)
    if conn.execute(unsettled).first() is None:
        return n  # nothing to settle (the usual case): one look instead of one per id
    for part in chunks(list(application_ids)):
        n += conn.execute(
            update(REJECTED)
            .where(REJECTED.c.application_id.in_(part), REJECTED.c.settled_at.is_(None))
            .values(settled_at=now)
        ).rowcount
    return n


def imported_hashes(conn: Connection) -> set[str]:
    return set(conn.execute(select(IMPORTED.c.sha256)).scalars())


def mark_imported(
    conn: Connection, files: Iterable[tuple[str, str]], run_id: int | None, now: dt.datetime
) -> None:
    rows = [(h, n, now, run_id) for h, n in files]
    keys = ("sha256", "name", "imported_at", "poll_run_id")
    insert_rows(conn, IMPORTED, keys, rows, skip_existing=("sha256",))


def rejected_refs(conn: Connection, source: str) -> set[str]:
    return set(
        conn.execute(select(REJECTED.c.row_ref).where(REJECTED.c.source == source)).scalars()
    )


def recent_rejections(
    conn: Connection, limit: int = 200, include_settled: bool = False
) -> list[dict[str, Any]]:
    """The latest rejected rows; those a later good row settled only with ``include_settled``."""
    r = REJECTED
    query = select(
        r.c.source, r.c.row_ref, r.c.field, r.c.message, r.c.last_seen_at, r.c.settled_at
    )
    if not include_settled:
        query = query.where(r.c.settled_at.is_(None))
    return [
        dict(row)
        for row in conn.execute(
            query.order_by(r.c.last_seen_at.desc(), r.c.id).limit(limit)
        ).mappings()
    ]
