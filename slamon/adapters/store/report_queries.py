"""Loading just the records a report needs, through indexed filters (never a full scan).

- a month: applications submitted in it (index on ``submitted_at``), plus conditional
  applications answered since the month began or not answered at all (index on ``decided_at``),
  which are the only ones that can be answered late in the month or still open at ``as_of``;
- a week (and the week before it): conditional applications answered since the earlier week
  began or not answered at all.
The pure figures filter exactly; these queries only have to return a superset.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, Engine, func, or_, select

from slamon.adapters.store import histories
from slamon.adapters.store.applications import load_records, records_of
from slamon.adapters.store.models import Application
from slamon.core.periods import IsoWeek, Month
from slamon.core.records import FIELDS, ApplicationRecord
from slamon.core.vocabulary import (
    CONDITIONAL,
    REJECTED,
)

APP = Application.__table__
_COLS = [APP.c[f] for f in FIELDS]


def _rows(conn: Connection, *where: object) -> Iterable[ApplicationRecord]:
    return records_of(conn, select(*_COLS).where(*where))  # type: ignore[arg-type]


def _with_history(conn: Connection, out: dict[str, ApplicationRecord]) -> None:
    """Add every application with a history (few): a first answer slamon stored may lie in a
    period its rewritten 审批时间 no longer does."""
    missing = [a for a in histories.ids_with_history(conn) if a not in out]
    out.update(load_records(conn, missing))


def _open_or_decided_since(
    conn: Connection,
    since: dt.datetime,
    until: dt.datetime,
    skip_submitted: tuple[dt.datetime, dt.datetime] | None = None,
    share_types: Sequence[str] = (CONDITIONAL,),
) -> dict[str, ApplicationRecord]:
    """Conditional applications submitted by ``until`` (outside ``skip_submitted``, already
    loaded) and answered at or after ``since``, or not answered: two look-ups on the decided_at
    index.

    The submitted_at bounds are wrapped in COALESCE so that no planner (SQLite has no
    statistics unless ANALYZE ran) picks the submitted_at index for them: the decided_at range
    is the selective one.
    """
    out: dict[str, ApplicationRecord] = {}
    common = [APP.c.share_type.in_(list(share_types)), APP.c.review_status != REJECTED]
    if skip_submitted is not None:
        submitted = func.coalesce(APP.c.submitted_at, APP.c.submitted_at)
        common.append(or_(submitted < skip_submitted[0], submitted > skip_submitted[1]))
    for rec in _rows(conn, APP.c.decided_at.is_(None), *common):
        if rec.submitted_at <= until:
            out[rec.application_id] = rec
    for rec in _rows(conn, APP.c.decided_at >= since, *common):
        if rec.submitted_at <= until:
            out[rec.application_id] = rec
    return out


def month_records(
    target: Engine | Connection,
    month: Month,
    as_of: dt.datetime,
    tz: dt.tzinfo,
    share_types: Sequence[str] = (CONDITIONAL,),
) -> list[ApplicationRecord]:
    """A superset of the records the month's figures depend on; ``share_types``: those an active
    rule binds (earlier months' applications of other types cannot be late)."""
    if isinstance(target, Engine):
        with target.connect() as conn:
            return month_records(conn, month, as_of, tz, share_types)
    start = month.start(tz)
    return span_records(target, start, min(month.end(tz), as_of), as_of, share_types)


def span_records(
    conn: Connection,
    start: dt.datetime,
    end: dt.datetime,
    until: dt.datetime,
    share_types: Sequence[str],
) -> list[ApplicationRecord]:
    """A superset of the records the months from ``start`` to ``end`` depend on, each as of its
    end (the last as of ``until``): submitted in the span, or of ``share_types`` submitted by
    ``until`` and answered since ``start`` or not at all, or with a history."""
    out = {
        r.application_id: r
        for r in _rows(conn, APP.c.submitted_at >= start, APP.c.submitted_at <= end)
    }
    for aid, rec in _open_or_decided_since(
        conn, start, until, skip_submitted=(start, end), share_types=share_types
    ).items():
        out.setdefault(aid, rec)
    _with_history(conn, out)
    return list(out.values())


def week_records(
    target: Engine | Connection, week: IsoWeek, now: dt.datetime, tz: dt.tzinfo
) -> list[ApplicationRecord]:
    """A superset of the records the digest of ``week`` (and the week before) depends on."""
    if isinstance(target, Engine):
        with target.connect() as conn:
            return week_records(conn, week, now, tz)
    since = week.previous().start(tz)
    until = min(now, week.end(tz))
    out = _open_or_decided_since(target, since, until)
    _with_history(target, out)
    return list(out.values())


def first_submitted(engine: Engine) -> dt.datetime | None:
    """When the earliest stored application was submitted (index on ``submitted_at``)."""
    with engine.connect() as conn:
        return conn.execute(select(func.min(APP.c.submitted_at))).scalar_one_or_none()
