"""The outbox table: idempotent inserts, claims by conditional UPDATE, outcomes. No policy here.

Row life cycle::

    queued ──claim──► sending ──► sent
      ▲                  │  └───► retry (not_before = later) ──claim──► sending ...
      │                  └──────► failed (permanent refusal, or max attempts reached)
      └── retry ID (CLI) ◄── failed / held
    queued/retry ──► cancelled (every item was answered before the message left)
    sending ──► held (outcome unknown twice: the server may have it; an operator decides)

A claim is one UPDATE whose WHERE clause repeats the state it expects, so of several workers at
most one gets ``rowcount == 1``. ``claimed_at`` is the moment of the claim itself. A row stuck in
``sending`` longer than the claim timeout (its process died between claim and outcome) can be
claimed again, and that counts as an unknown outcome; a row in ``sent`` never can.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, and_, or_, select, update
from sqlalchemy.dialects import mysql, postgresql, sqlite

from slamon.adapters.store.models import Outbox
from slamon.core.vocabulary import CANCELLED, FAILED, HELD, QUEUED, RETRY, SENDING, SENT

OUTBOX = Outbox.__table__


def insert_if_absent(target: Connection | Engine, row: dict[str, Any]) -> bool:
    """INSERT one row unless its key exists (ON CONFLICT DO NOTHING); True when inserted.

    ``target`` is a Connection (joins the caller's transaction) or an Engine (own transaction).
    """
    if isinstance(target, Engine):
        with target.begin() as conn:
            return insert_if_absent(conn, row)
    conn = target
    name = conn.dialect.name
    if name in ("postgresql", "sqlite"):
        # RETURNING tells reliably whether a row went in (rowcount is 0 on PostgreSQL here,
        # because SQLAlchemy already adds RETURNING for the primary key).
        dialect_insert = postgresql.insert if name == "postgresql" else sqlite.insert
        stmt = dialect_insert(OUTBOX).values(**row).on_conflict_do_nothing(index_elements=["key"])
        return conn.execute(stmt.returning(OUTBOX.c.id)).first() is not None
    if name in ("mysql", "mariadb"):
        stmt = mysql.insert(OUTBOX).values(**row).prefix_with("IGNORE")
    else:  # pragma: no cover - other dialects: check first (the unique key still guards)
        if conn.execute(select(OUTBOX.c.id).where(OUTBOX.c.key == row["key"])).first():
            return False
        stmt = OUTBOX.insert().values(**row)
    return conn.execute(stmt).rowcount == 1


def history_rows(conn: Connection, kinds: Sequence[str], since: dt.date) -> Iterable[Any]:
    """(kind, working_day, items) of planned rows of ``kinds`` from ``since`` on."""
    return conn.execute(
        select(OUTBOX.c.kind, OUTBOX.c.working_day, OUTBOX.c["items"]).where(
            OUTBOX.c.kind.in_(kinds), OUTBOX.c.working_day >= since
        )
    )


def _due(now: dt.datetime) -> Any:
    return and_(OUTBOX.c.status.in_((QUEUED, RETRY)), OUTBOX.c.not_before <= now)


def _abandoned(now: dt.datetime, claim_timeout: dt.timedelta) -> Any:
    return and_(OUTBOX.c.status == SENDING, OUTBOX.c.claimed_at <= now - claim_timeout)


def _claimable(now: dt.datetime, claim_timeout: dt.timedelta, due_at: dt.datetime) -> Any:
    return or_(_due(due_at), _abandoned(now, claim_timeout))


def due_ids(
    conn: Connection,
    now: dt.datetime,
    claim_timeout: dt.timedelta,
    limit: int,
    *,
    due_at: dt.datetime | None = None,
) -> list[int]:
    """Rows to work on: due by ``due_at`` (default ``now``; a replay's instant), or claimed and
    abandoned longer than ``claim_timeout`` before ``now`` (the real clock)."""
    return list(
        conn.execute(
            select(OUTBOX.c.id)
            .where(_claimable(now, claim_timeout, due_at or now))
            .order_by(OUTBOX.c.not_before, OUTBOX.c.id)
            .limit(limit)
        ).scalars()
    )


def claim(
    conn: Connection,
    row_id: int,
    worker: str,
    now: dt.datetime,
    claim_timeout: dt.timedelta,
    *,
    due_at: dt.datetime | None = None,
) -> bool:
    """Take the row for sending at ``now`` (the moment of the claim); False when another worker
    has it (or it is no longer due). Taking over an abandoned ``sending`` row counts as an unknown
    outcome: the worker that held it may have handed the message to the server."""
    values = dict(status=SENDING, claimed_by=worker, claimed_at=now, attempts=OUTBOX.c.attempts + 1)
    won = conn.execute(
        update(OUTBOX).where(OUTBOX.c.id == row_id, _due(due_at or now)).values(**values)
    ).rowcount
    if won == 1:
        return True
    won = conn.execute(
        update(OUTBOX)
        .where(OUTBOX.c.id == row_id, _abandoned(now, claim_timeout))
        .values(**values, unknown_outcomes=OUTBOX.c.unknown_outcomes + 1)
    ).rowcount
    return won == 1


def load(conn: Connection, row_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(OUTBOX).where(OUTBOX.c.id == row_id)).mappings().first()
    return dict(row) if row else None


def _finish(conn: Connection, row_id: int, worker: str, **values: Any) -> bool:
    """Write ``values`` to a row, only while this worker still holds the claim."""
    return (
        conn.execute(
            update(OUTBOX)
            .where(OUTBOX.c.id == row_id, OUTBOX.c.status == SENDING, OUTBOX.c.claimed_by == worker)
            .values(**values)
        ).rowcount
        == 1
    )


def mark_sent(
    conn: Connection, row_id: int, worker: str, now: dt.datetime, refused: dict[str, str]
) -> bool:
    return _finish(
        conn,
        row_id,
        worker,
        status=SENT,
        sent_at=now,
        last_error=None,
        refused=json.dumps(refused, ensure_ascii=False) if refused else None,
    )


def mark_retry(
    conn: Connection, row_id: int, worker: str, not_before: dt.datetime, error: str
) -> bool:
    return _finish(
        conn, row_id, worker, status=RETRY, not_before=not_before, last_error=error[:2000]
    )


def mark_failed(
    conn: Connection, row_id: int, worker: str, error: str, refused: dict[str, str] | None = None
) -> bool:
    values: dict[str, Any] = {"status": FAILED, "last_error": error[:2000]}
    if refused:
        values["refused"] = json.dumps(refused, ensure_ascii=False)
    return _finish(conn, row_id, worker, **values)


def mark_unknown(
    conn: Connection,
    row_id: int,
    worker: str,
    error: str,
    *,
    hold: bool,
    not_before: dt.datetime,
) -> bool:
    """The server may or may not have the message: count it; resend later, or hold it for an
    operator when it was already resent once (or its attempts are used up)."""
    values: dict[str, Any] = {
        "last_error": error[:2000],
        "unknown_outcomes": OUTBOX.c.unknown_outcomes + 1,
    }
    values.update({"status": HELD} if hold else {"status": RETRY, "not_before": not_before})
    return _finish(conn, row_id, worker, **values)


def mark_held(conn: Connection, row_id: int, worker: str, error: str) -> bool:
    return _finish(conn, row_id, worker, status=HELD, last_error=error[:2000])


def mark_cancelled(conn: Connection, row_id: int, worker: str, reason: str) -> bool:
    return _finish(conn, row_id, worker, status=CANCELLED, last_error=reason)


def update_content(conn: Connection, row_id: int, worker: str, **values: Any) -> bool:
    """Replace subject/bodies/items of a claimed row (items answered since planning dropped)."""
    return _finish(conn, row_id, worker, **values)


def requeue(conn: Connection, row_id: int, now: dt.datetime) -> str | None:
    """Put a failed, held, retrying or cancelled row back in the queue; the old status, or None
    if absent. An operator's requeue starts the counts afresh."""
    row = conn.execute(select(OUTBOX.c.status).where(OUTBOX.c.id == row_id)).first()
    if row is None:
        return None
    status = row[0]
    if status in (FAILED, HELD, RETRY, CANCELLED, QUEUED):
        conn.execute(
            update(OUTBOX)
            .where(OUTBOX.c.id == row_id, OUTBOX.c.status == status)
            .values(
                status=QUEUED,
                attempts=0,
                unknown_outcomes=0,
                not_before=now,
                claimed_by=None,
                claimed_at=None,
            )
        )
    return status


def _attempted_between(since: dt.datetime, until: dt.datetime) -> Any:
    """Rows whose last delivery attempt lies in [since, until]: sent then, or refused outright
    (failed, no ``sent_at``) at their last claim."""
    return or_(
        OUTBOX.c.sent_at.between(since, until),
        and_(
            OUTBOX.c.sent_at.is_(None),
            OUTBOX.c.refused.is_not(None),
            OUTBOX.c.claimed_at.between(since, until),
        ),
    )


def attempts_between(conn: Connection, since: dt.datetime, until: dt.datetime) -> list[dict]:
    """Rows sent, or refused by every recipient, in [since, until]; ``attempted_at`` is when."""
    cols = ("kind", "department", "unassigned", "recipients", "refused", "status")
    rows = conn.execute(
        select(*(OUTBOX.c[c] for c in cols), OUTBOX.c.sent_at, OUTBOX.c.claimed_at).where(
            _attempted_between(since, until)
        )
    ).mappings()
    return [
        {
            **{c: r[c] for c in cols},
            "recipients": json.loads(r["recipients"]),
            "refused": json.loads(r["refused"]) if r["refused"] else {},
            "attempted_at": r["sent_at"] or r["claimed_at"],
        }
        for r in rows
    ]


def listing(
    conn: Connection,
    statuses: Sequence[str],
    limit: int = 500,
    refused_between: tuple[dt.datetime, dt.datetime] | None = None,
) -> list[dict[str, Any]]:
    """Rows in ``statuses``, and (with ``refused_between``) rows with a refused recipient whose
    last attempt lies in that span, whatever their status."""
    cols = [
        OUTBOX.c[c]
        for c in (
            "id",
            "key",
            "kind",
            "department",
            "working_day",
            "recipients",
            "subject",
            "status",
            "attempts",
            "unknown_outcomes",
            "not_before",
            "claimed_by",
            "claimed_at",
            "sent_at",
            "last_error",
            "refused",
            "created_at",
            "message_id",
        )
    ]
    wanted = OUTBOX.c.status.in_(statuses)
    if refused_between is not None:
        refused = and_(OUTBOX.c.refused.is_not(None), _attempted_between(*refused_between))
        wanted = or_(wanted, refused)
    rows = conn.execute(
        select(*cols).where(wanted).order_by(OUTBOX.c.not_before, OUTBOX.c.id).limit(limit)
    ).mappings()
    return [dict(r) for r in rows]


def counts(conn: Connection) -> dict[str, int]:
    from sqlalchemy import func

    rows = conn.execute(select(OUTBOX.c.status, func.count()).group_by(OUTBOX.c.status))
    return {s: n for s, n in rows}


def planned_at(conn: Connection, created_at: dt.datetime) -> list[dict[str, Any]]:
    """The rows planned at ``created_at`` (one poll cycle), in planning order."""
    return [
        dict(r)
        for r in conn.execute(
            select(
                OUTBOX.c.kind,
                OUTBOX.c.department,
                OUTBOX.c.recipients,
                OUTBOX.c.subject,
                OUTBOX.c.not_before,
            )
            .where(OUTBOX.c.created_at == created_at)
            .order_by(OUTBOX.c.id)
        ).mappings()
    ]


def set_attempts(conn: Connection, row_id: int, attempts: int) -> None:
    conn.execute(update(OUTBOX).where(OUTBOX.c.id == row_id).values(attempts=attempts))


def sent_with_items(conn: Connection, kinds: Sequence[str], since: dt.date) -> list[dict[str, Any]]:
    """Sent rows of ``kinds`` planned for ``since`` or later, with their item snapshots."""
    cols = [
        OUTBOX.c[c]
        for c in ("id", "kind", "department", "working_day", "subject", "sent_at", "items")
    ]
    rows = conn.execute(
        select(*cols)
        .where(OUTBOX.c.kind.in_(kinds), OUTBOX.c.status == SENT, OUTBOX.c.working_day >= since)
        .order_by(OUTBOX.c.working_day, OUTBOX.c.id)
    ).mappings()
    return [{**r, "items": json.loads(r["items"] or "[]")} for r in rows]
