"""When planning notices again would plan nothing: the stamp of what decides which outbox keys a
plan produces. A plan is deterministic in these, and its keys are idempotent (one row per
department, kind and working day), so while the stamp stays what it was after the last plan,
planning again inserts nothing and the poll skips it (an idle poll reads no open application
for it). That holds after a plan that inserted notices too: planning again then finds them in
its history, which only takes items out (reminded, overdue notice sent today, escalated), so
its keys are some of those just inserted. (tests/test_notice_stamp.py checks it.)

What decides the keys:

- the working day the notices are for (the sending window moves it) and slamon's version;
- the rules and the calendar (their fingerprint), each rule's due-soon horizon, the repeat and
  escalation policy, the department aliases and the zone;
- the store: the applications (their change mark), the SLA states (the mark every write of
  states renews), the exempted applications, and the outbox (its rows and last id), whose
  notices are the plan's history and whose keys make inserts no-ops.

What a notice says (recipients, wording, links) does not decide whether one is inserted, so
it is not in the stamp: a changed contact reaches the next notice planned, as before.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Collection
from typing import TYPE_CHECKING

import slamon
from slamon.adapters.store import marks, runs
from slamon.runtime import Runtime

if TYPE_CHECKING:
    from sqlalchemy import Connection

PLAN_KEY = "notice_plan"  # slamon_meta: the stamp as the last plan left the store


def plan_stamp(conn: Connection, rt: Runtime, day: dt.date, exempted: Collection[str]) -> str:
    """The stamp of a plan of ``day``'s notices as the store stands in this transaction."""
    n, s = rt.settings.notify, rt.settings
    parts = {
        "version": slamon.__version__,
        "day": day.isoformat(),
        "rules_calendar": rt.fingerprint(),
        "due_soon": sorted((r.id, r.due_soon_working_days) for r in rt.rules.active),
        "policy": [n.repeat_overdue_every, n.escalate_after],
        "aliases": sorted((s.aliases or {}).items()),
        "zone": s.timezone,
        "applications": marks.change_mark(conn),
        "states": marks.states_mark(conn),
        "exempted": sorted(exempted),
        "outbox": marks.outbox_mark(conn),
    }
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()


def unchanged(conn: Connection, stamp: str) -> bool:
    """Whether the store is as the last plan left it: planning again would insert nothing."""
    return runs.get_meta(conn, PLAN_KEY) == stamp


def remember(conn: Connection, stamp: str) -> None:
    """The stamp as a plan left the store (its own notices included)."""
    runs.set_meta(conn, PLAN_KEY, stamp)
