"""The figures of closed months and weeks, kept in ``slamon_meta`` so that the history behind
the charts and the 环比 is not tallied again from the records on every page and report.

A kept period is only ever used while it is exactly what the records would give again:
- its key names the rules-and-calendar fingerprint and a digest of the held and exempted
  applications it was tallied with, the zone and the slamon version (any change to those:
  another key, tallied again);
- it carries the store's change mark (the last ``application_event`` id, append-only) read
  before its records were loaded; an application created or changed since, submitted (before
  or after the change) by the period's end, makes it stale: a record submitted later cannot
  count in it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Collection, Iterable
from typing import Any

from sqlalchemy import Connection, Engine, delete, select
from sqlalchemy.exc import SQLAlchemyError

import slamon
from slamon.adapters.store.contents import by_id
from slamon.adapters.store.models import Application, ApplicationEvent, Meta
from slamon.core.periods import IsoWeek, Month
from slamon.core.times import stored_utc
from slamon.core.trends import DeptMonth, MonthTrend, WeekBacklog

log = logging.getLogger("slamon.trends")

APP = Application.__table__
EVENT = ApplicationEvent.__table__
META = Meta.__table__
PREFIX = "trend:"
_SUBMITTED = '"submitted_at"'  # in an event's changes: the submission moment moved
TOO_MANY = 20_000  # changes since a kept period past which it is simply tallied again
EVERYTHING = dt.datetime.min.replace(tzinfo=dt.UTC)


def sets_digest(held: Collection[str], exempt: Collection[str], zone: str) -> str:
    """What else a tally depends on: the held and exempted sets, the zone that draws the month
    and week boundaries, and the slamon version that tallied (a later one may count anew)."""
    h = hashlib.sha256(f"{slamon.__version__}\x00{zone}\x00".encode())
    for aid in sorted(held):
        h.update(aid.encode("utf-8") + b"\x00")
    h.update(b"\x01")
    for aid in sorted(exempt):
        h.update(aid.encode("utf-8") + b"\x00")
    return h.hexdigest()[:16]


def scope(fingerprint: str, held: Collection[str], exempt: Collection[str], zone: str) -> str:
    """The key prefix of the periods kept for these rules and calendar (``fingerprint``), held
    and exempted sets, zone and slamon version."""
    return f"{PREFIX}{fingerprint}:{sets_digest(held, exempt, zone)}:"


def earliest_changed(conn: Connection, mark: int) -> dt.datetime | None:
    """The earliest submission moment, before or after the change, of the applications created
    or changed since ``mark`` (None: nothing changed; the earliest moment there is when more
    than :data:`TOO_MANY` changed). Two indexed look-ups: the events after ``mark`` (primary
    key), then their applications (a join lets a planner scan every application instead)."""
    since = select(EVENT.c.application_id, EVENT.c.changes).where(EVENT.c.id > mark)
    events = conn.execute(since.limit(TOO_MANY + 1)).all()
    if len(events) > TOO_MANY:
        return EVERYTHING
    submitted = by_id(conn, list({aid for aid, _c in events}), APP.c.submitted_at)
    moments = [stored_utc(m) for m in submitted.values()]
    for _aid, changes in events:
        if _SUBMITTED in changes:  # the submission moved: it left the periods of its old one
            old = json.loads(changes)["submitted_at"][0]
            moments.append(stored_utc(dt.datetime.fromisoformat(old)) if old else EVERYTHING)
    found = [m for m in moments if m is not None]
    return min(found) if found else None


# -- the kept values -------------------------------------------------------------------------
_DEPT_FIELDS = ("received", "answered", "on_time", "working_days", "open_overdue", "findings")


def _dept(d: DeptMonth) -> list[Any]:
    return [d.department, *(getattr(d, f) for f in _DEPT_FIELDS)]


def _dept_of(row: list[Any]) -> DeptMonth:
    return DeptMonth(row[0], **dict(zip(_DEPT_FIELDS, row[1:], strict=True)))


def month_value(m: MonthTrend) -> dict[str, Any]:
    return {
        "as_of": m.as_of.isoformat(),
        "departments": [_dept(d) for d in m.departments],
        "province": _dept(m.province),
    }


def month_of_value(month: Month, v: dict[str, Any]) -> MonthTrend:
    depts = tuple(_dept_of(r) for r in v["departments"])
    as_of = dt.datetime.fromisoformat(v["as_of"])
    return MonthTrend(month, as_of, depts, _dept_of(v["province"]))


def week_value(w: WeekBacklog) -> dict[str, Any]:
    return {"as_of": w.as_of.isoformat(), "open": w.open, "overdue": w.overdue}


def week_of_value(week: IsoWeek, v: dict[str, Any]) -> WeekBacklog:
    return WeekBacklog(week, dt.datetime.fromisoformat(v["as_of"]), v["open"], v["overdue"])


# -- reading and keeping ---------------------------------------------------------------------
def fresh(conn: Connection, prefix: str, ends: dict[str, dt.datetime]) -> dict[str, Any]:
    """The kept values under ``prefix`` of the periods ``ends`` names (period key → its end)
    that no change since they were kept can have touched."""
    keys = [prefix + k for k in ends]
    rows = conn.execute(select(META.c.key, META.c.value).where(META.c.key.in_(keys)))
    earliest: dict[int, dt.datetime | None] = {}
    out = {}
    for key, text in rows:
        period = key[len(prefix) :]
        kept = json.loads(text)
        mark = int(kept["mark"])
        if mark not in earliest:
            earliest[mark] = earliest_changed(conn, mark)
        changed = earliest[mark]
        if changed is None or changed > ends[period]:
            out[period] = kept["value"]
    return out


def keep(engine: Engine, prefix: str, mark: int, values: Iterable[tuple[str, Any]]) -> None:
    """Keep ``values`` (period key, value) under ``prefix`` with the change mark read before
    their records were loaded; drop what was kept under another prefix. A failure here (a
    read-only store, a concurrent writer) costs only the next tally: it is logged, not raised."""
    items = list(values)
    if not items:
        return
    try:
        with engine.begin() as conn:
            conn.execute(
                delete(META).where(META.c.key.like(PREFIX + "%"), ~META.c.key.like(prefix + "%"))
            )
            keys = [prefix + k for k, _v in items]
            conn.execute(delete(META).where(META.c.key.in_(keys)))
            conn.execute(
                META.insert(),
                [
                    {"key": prefix + k, "value": json.dumps({"mark": mark, "value": v})}
                    for k, v in items
                ],
            )
    except SQLAlchemyError as exc:
        log.warning("trends.keep_failed error=%s", type(exc).__name__)
