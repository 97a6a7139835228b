"""Named questions the web dashboard asks (service/overview.py): counts grouped in SQL, so the
overview of a large store reads only its open applications in full."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, func, or_, select

from slamon.adapters.store.applications import APP, SLA, records_of
from slamon.adapters.store.models import RejectedRow
from slamon.core.records import FIELDS, ApplicationRecord
from slamon.core.vocabulary import ANSWERED_LATE, ANSWERED_ON_TIME, OPEN_STAGES

REJECTED = RejectedRow.__table__
ANSWERED_STAGES = (ANSWERED_ON_TIME, ANSWERED_LATE)


def open_records(conn: Connection, provider_dept: str | None = None) -> Iterator[ApplicationRecord]:
    """Applications whose stored stage is open, or that were never evaluated."""
    query = (
        select(*(APP.c[f] for f in FIELDS))
        .outerjoin(SLA, SLA.c.application_id == APP.c.application_id)
        .where(or_(SLA.c.stage.is_(None), SLA.c.stage.in_(OPEN_STAGES)))
    )
    if provider_dept is not None:
        query = query.where(APP.c.provider_dept == provider_dept)
    return records_of(conn, query)


def answered_counts_since(conn: Connection, since: dt.datetime) -> list[tuple[str, str, int]]:
    """(provider_dept, stage, n) of applications answered (on time or late) since ``since``."""
    rows = conn.execute(
        select(APP.c.provider_dept, SLA.c.stage, func.count())
        .join(SLA, SLA.c.application_id == APP.c.application_id)
        .where(SLA.c.stage.in_(ANSWERED_STAGES), APP.c.decided_at >= since)
        .group_by(APP.c.provider_dept, SLA.c.stage)
    )
    return [(d, s, int(n)) for d, s, n in rows]


def answered_history(conn: Connection, provider_dept: str) -> list[dict[str, Any]]:
    """Every answered application of one provider: decided_at, stage, answer working days."""
    rows = conn.execute(
        select(APP.c.decided_at, SLA.c.stage, SLA.c.answer_working_days)
        .join(SLA, SLA.c.application_id == APP.c.application_id)
        .where(APP.c.provider_dept == provider_dept, SLA.c.stage.in_(ANSWERED_STAGES))
    )
    return [dict(r._mapping) for r in rows]
