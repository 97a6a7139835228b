"""Fast, portable bulk writes: driver-level executemany and INSERT-or-ignore. No business rules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
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


class StampMemo(dict[Any, Any]):
    """Temporal values converted for the store, memoised by value: ``now``, deadlines and equal
    instants recur row after row. Share one between inserts of the same rows."""

    to_text = True  # SQLite keeps text; other stores take aware UTC datetimes

    def __missing__(self, value: Any) -> Any:
        if isinstance(value, dt.datetime):
            u = value.astimezone(_UTC)
            # As SQLAlchemy's SQLite DATETIME stores it: 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC.
            out = u.isoformat(" ", "microseconds")[:26] if self.to_text else u
        else:  # a date
            out = value.isoformat() if self.to_text else value
        self[value] = out
        return out


def insert_rows(
    conn: Connection,
    table: Any,
    keys: Sequence[str],
    rows: Sequence[Sequence[Any]],
    memo: StampMemo | None = None,
    *,
    skip_existing: Sequence[str] = (),
) -> int:
    """executemany at the driver level of rows given as value tuples in the order of ``keys``,
    skipping per-value type processing (the hot path of a full poll); return the rows inserted,
    or -1 when the driver cannot count them. Temporal values are converted, column by column,
    exactly as the column types would store them (see :class:`StampMemo`). ``skip_existing``:
    a unique key; rows whose key is already stored are left out (ON CONFLICT DO NOTHING, or
    INSERT IGNORE on MySQL and MariaDB)."""
    if not rows:
        return 0
    stamps, days = _temporal_keys(table, keys)
    memo = StampMemo() if memo is None else memo
    memo.to_text = conn.dialect.name == "sqlite"
    temporal = [keys.index(k) for k in (*stamps, *days)]
    if temporal:
        columns: list[Sequence[Any]] = list(zip(*rows, strict=True))
        for i in temporal:
            columns[i] = [None if v is None else memo[v] for v in columns[i]]
        rows = list(zip(*columns, strict=True))
    dialect = conn.dialect
    quote = dialect.identifier_preparer.quote
    verb, conflict = "INSERT", ""
    if skip_existing and dialect.name in ("mysql", "mariadb"):
        verb = "INSERT IGNORE"
    elif skip_existing:
        conflict = f" ON CONFLICT ({', '.join(quote(k) for k in skip_existing)}) DO NOTHING"
    if dialect.paramstyle == "qmark":  # SQLite: the values in the order given
        sql = (
            f"{verb} INTO {quote(table.name)} ({', '.join(quote(k) for k in keys)}) "
            f"VALUES ({', '.join('?' * len(keys))}){conflict}"
        )
        result = conn.exec_driver_sql(sql, rows)
    else:
        stmt = table.insert().prefix_with("IGNORE") if verb != "INSERT" else table.insert()
        compiled = stmt.compile(dialect=dialect, column_keys=list(keys))
        if compiled.positional:
            order = [list(keys).index(compiled.binds[name].key) for name in compiled.positiontup]
            params: list[Any] = [tuple(r[i] for i in order) for r in rows]
        else:
            params = [dict(zip(keys, r, strict=True)) for r in rows]
        result = conn.exec_driver_sql(str(compiled) + conflict, params)
    return result.rowcount if dialect.supports_sane_multi_rowcount else -1


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
