"""Application histories (core/history) in the store: one row per application that has one.

The table stays small (most applications never have a history), so a whole read of it is the
cheap way to attach histories to records loaded in bulk.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, delete, inspect, select

from slamon.adapters.store.bulk import chunks, insert_rows
from slamon.adapters.store.models import ApplicationHistoryRow
from slamon.core.history import Answer, History
from slamon.core.records import ApplicationRecord

HISTORY = ApplicationHistoryRow.__table__
KEYS = (
    "application_id",
    "answer_decision",
    "answer_decided_at",
    "changed_decision",
    "changed_decided_at",
    "restart_at",
    "restart_reason",
    "previous_provider",
    "previous_decision",
    "previous_decided_at",
    "written_at",
)


def _answer(decision: str | None, at: dt.datetime | None) -> Answer | None:
    return None if decision is None else Answer(decision, at)


def _from_row(m: Any) -> History:
    return History(
        answer=_answer(m["answer_decision"], m["answer_decided_at"]),
        changed=_answer(m["changed_decision"], m["changed_decided_at"]),
        restart=m["restart_at"],
        restart_reason=m["restart_reason"],
        previous_provider=m["previous_provider"],
        previous=_answer(m["previous_decision"], m["previous_decided_at"]),
    )


def _split(a: Answer | None) -> tuple[str | None, dt.datetime | None]:
    return (None, None) if a is None else (a.decision, a.decided_at)


def _to_row(aid: str, h: History, now: dt.datetime) -> tuple[Any, ...]:
    return (
        aid,
        *_split(h.answer),
        *_split(h.changed),
        h.restart,
        h.restart_reason,
        h.previous_provider,
        *_split(h.previous),
        now,
    )


def load(conn: Connection, ids: Sequence[str] | None = None) -> dict[str, History]:
    """application_id → its history: of ``ids``, or of every application that has one."""
    if not inspect(conn).has_table(HISTORY.name):
        return {}
    if ids is None:
        return {m["application_id"]: _from_row(m) for m in conn.execute(select(HISTORY)).mappings()}
    out: dict[str, History] = {}
    for part in chunks(list(ids)):
        query = select(HISTORY).where(HISTORY.c.application_id.in_(part))
        out.update((m["application_id"], _from_row(m)) for m in conn.execute(query).mappings())
    return out


def ids_with_history(conn: Connection) -> list[str]:
    return list(conn.execute(select(HISTORY.c.application_id)).scalars())


def save(conn: Connection, changes: dict[str, History | None], now: dt.datetime) -> None:
    """Replace the histories of ``changes``' applications (None: it has none any more)."""
    if not changes:
        return
    for part in chunks(list(changes)):
        conn.execute(delete(HISTORY).where(HISTORY.c.application_id.in_(part)))
    rows = [_to_row(aid, h, now) for aid, h in changes.items() if h is not None]
    insert_rows(conn, HISTORY, KEYS, rows)


def attach(
    records: Iterable[ApplicationRecord], histories: dict[str, History]
) -> Iterator[ApplicationRecord]:
    """``records`` with their histories."""
    if not histories:
        yield from records
        return
    for r in records:
        h = histories.get(r.application_id)
        yield r if h is None else dataclasses.replace(r, history=h)
