"""情况说明 (disputes) in the store: ``dispute`` rows (never updated), their attachment in
``dispute_attachment`` and their decision in ``dispute_decision`` (at most one per dispute: the
unique key refuses a second decision, even from a concurrent request)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from sqlalchemy import Connection, func, inspect, select
from sqlalchemy.exc import IntegrityError

from slamon.adapters.store.bulk import chunks
from slamon.adapters.store.models import (
    Application,
    Dispute,
    DisputeAttachment,
    DisputeDecision,
)

DS = Dispute.__table__
DA = DisputeAttachment.__table__
DD = DisputeDecision.__table__
APP = Application.__table__


CHUNK = 1024 * 1024  # bytes of one dispute_attachment row


class AlreadyDecided(Exception):
    """Another decision on the dispute was recorded first."""


def _has_tables(conn: Connection) -> bool:
    return inspect(conn).has_table(DS.name)


def insert(conn: Connection, row: dict[str, Any], content: bytes | None) -> int:
    """A new dispute (and its attachment when ``content`` is given); its id."""
    result = conn.execute(DS.insert().values(**row))
    new_id = int(result.inserted_primary_key[0])
    if content is not None:
        for seq, start in enumerate(range(0, max(len(content), 1), CHUNK)):
            piece = content[start : start + CHUNK]
            conn.execute(DA.insert().values(dispute_id=new_id, seq=seq, content=piece))
    return new_id


def decide(
    conn: Connection, dispute_id: int, decision: str, reason: str, by: str, at: dt.datetime
) -> None:
    """Record the one decision; AlreadyDecided when one exists (the transaction is then lost:
    call it last)."""
    try:
        conn.execute(
            DD.insert().values(
                dispute_id=dispute_id, decision=decision, reason=reason, by=by, at=at
            )
        )
    except IntegrityError as exc:
        raise AlreadyDecided(dispute_id) from exc


def _query() -> Any:
    return (
        select(
            DS,
            DD.c.decision,
            DD.c.reason.label("decision_reason"),
            DD.c.by.label("decided_by"),
            DD.c.at.label("decided_at"),
            APP.c.provider_dept,
            APP.c.resource_name,
        )
        .select_from(
            DS.outerjoin(DD, DD.c.dispute_id == DS.c.id).outerjoin(
                APP, APP.c.application_id == DS.c.application_id
            )
        )
        .order_by(DS.c.id)
    )


def one(conn: Connection, dispute_id: int) -> dict[str, Any] | None:
    if not _has_tables(conn):
        return None
    row = conn.execute(_query().where(DS.c.id == dispute_id)).mappings().first()
    return dict(row) if row else None


def listed(
    conn: Connection,
    application_ids: Collection[str] | None = None,
    departments: Collection[str] | None = None,
) -> list[dict[str, Any]]:
    """Disputes with their decision (None while pending), oldest first; of ``application_ids``
    and/or the applications whose provider is one of ``departments`` when given."""
    if not _has_tables(conn):
        return []
    query = _query()
    if departments is not None:
        query = query.where(APP.c.provider_dept.in_(list(departments)))
    if application_ids is None:
        return [dict(r) for r in conn.execute(query).mappings()]
    out: list[dict[str, Any]] = []
    for part in chunks(list(application_ids)):
        where = query.where(DS.c.application_id.in_(part))
        out.extend(dict(r) for r in conn.execute(where).mappings())
    out.sort(key=lambda r: r["id"])
    return out


def pending_count(conn: Connection) -> int:
    if not _has_tables(conn):
        return 0
    query = (
        select(func.count())
        .select_from(DS.outerjoin(DD, DD.c.dispute_id == DS.c.id))
        .where(DD.c.id.is_(None))
    )
    return int(conn.execute(query).scalar_one())


def attachment(conn: Connection, dispute_id: int) -> bytes | None:
    if not _has_tables(conn):
        return None
    query = select(DA.c.content).where(DA.c.dispute_id == dispute_id).order_by(DA.c.seq)
    pieces = list(conn.execute(query).scalars())
    return b"".join(pieces) if pieces else None


def provider_of(conn: Connection, application_id: str) -> str | None:
    """The application's provider department; None when it is not in the store."""
    query = select(APP.c.provider_dept).where(APP.c.application_id == application_id)
    return conn.execute(query).scalar()
