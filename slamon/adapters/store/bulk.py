"""Fast, portable bulk writes: driver-level executemany and INSERT-or-ignore. No business rules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Date, DateTime
from sqlalchemy.dialects import postgresql, sqlite

CHUNK = 500


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
