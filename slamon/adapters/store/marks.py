"""Marks of what changed in the store: cheap values that differ once something changed, for
work that may be skipped when its inputs did not (the kept history, the notice plan).

- :func:`change_mark`: the last application event. Events are append-only and every stored
  creation or change of an application writes one.
- :func:`states_mark`: a token written anew by every write of SLA states
  (:func:`states_written`, called by the only two writers in ``applications``).
- :func:`outbox_mark`: the outbox's row count and last row id (rows are never deleted).
"""

from __future__ import annotations

import uuid

from sqlalchemy import Connection, func, select

from slamon.adapters.store.models import ApplicationEvent, Outbox
from slamon.adapters.store.runs import get_meta, set_meta

EVENT, OUTBOX = ApplicationEvent.__table__, Outbox.__table__
STATES_KEY = "sla_states_written"


def change_mark(conn: Connection) -> int:
    """The store's change mark: the last application event (0: none yet)."""
    return conn.execute(select(func.max(EVENT.c.id))).scalar_one_or_none() or 0


def states_written(conn: Connection) -> None:
    """Record that SLA states were written (inside the writer's transaction)."""
    set_meta(conn, STATES_KEY, uuid.uuid4().hex)


def states_mark(conn: Connection) -> str | None:
    """The token of the last write of SLA states (None: none since this mark exists)."""
    return get_meta(conn, STATES_KEY)


def outbox_mark(conn: Connection) -> tuple[int, int]:
    """(rows, last id) of the outbox: changes with every planned or queued mail."""
    rows, last = conn.execute(select(func.count(), func.max(OUTBOX.c.id))).one()
    return int(rows), int(last or 0)
