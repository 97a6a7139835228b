"""Fast, portable bulk writes: driver-level executemany and INSERT-or-ignore. No business rules."""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, Date, DateTime

CHUNK = 500


_UTC = dt.UTC
# 'YYYY-MM-DD ' by UTC day and 'HH:MM:SS.000000' by whole-second UTC clock time: formatting a
# datetime (isoformat) costs more than everything else a stored value needs. Both are bounded:
# a day per day of the data, at most 86,400 clock times.
_DAY_TEXT: dict[dt.date, str] = {}
_CLOCK_TEXT: dict[dt.time, str] = {}


def utc_text(value: dt.datetime) -> str:
    """``value`` as SQLAlchemy's SQLite DATETIME stores it: 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC."""
    u = value.astimezone(_UTC)
    day, clock = u.date(), u.time()
    day_text = _DAY_TEXT.get(day)
    if day_text is None:
        day_text = _DAY_TEXT[day] = day.isoformat() + " "
    if clock.microsecond:
        return day_text + clock.isoformat("microseconds")
    clock_text = _CLOCK_TEXT.get(clock)
    if clock_text is None:
        clock_text = _CLOCK_TEXT[clock] = clock.isoformat("microseconds")
    return day_text + clock_text


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


class StampMemo:
    """Temporal values converted for the store, each once. Share one between the inserts of the
    same rows: ``now`` and a record's own values recur in every table the record is written to.

    Datetimes are remembered by identity, not by value: a value lookup would hash each datetime
    (a zone lookup) and two datetimes of one zone compare by their wall clock, fold ignored
    (PEP 495), so the second 01:30 of a DST autumn night would take the first one's text. The
    memo keeps what it has seen alive, so an identity cannot be reused while it lasts. Dates
    (no zone, no fold) are remembered by value."""

    to_text = True  # SQLite keeps text; other stores take aware UTC datetimes

    def __init__(self) -> None:
        self._instants: dict[int, tuple[dt.datetime, Any]] = {}
        self._days: dict[dt.date, tuple[dt.date, Any]] = {}

    def convert(self, value: Any) -> Any:
        if isinstance(value, dt.datetime):
            return utc_text(value) if self.to_text else value.astimezone(_UTC)
        return value.isoformat() if self.to_text else value  # a date

    def stamps(self, values: Sequence[dt.datetime | None]) -> list[Any]:
        """A datetime column converted (None stays None)."""
        return self._each(values, self._instants, by_identity=True)

    def days(self, values: Sequence[dt.date | None]) -> list[Any]:
        """A date column converted (None stays None)."""
        return self._each(values, self._days, by_identity=False)

    def _each(self, values: Sequence[Any], seen: dict[Any, Any], by_identity: bool) -> list[Any]:
        out = []
        for v in values:
            if v is None:
                out.append(None)
                continue
            key = id(v) if by_identity else v
            hit = seen.get(key)
            if hit is None:
                hit = seen[key] = (v, self.convert(v))
            out.append(hit[1])
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
    INSERT IGNORE on MySQL and MariaDB). PostgreSQL through psycopg takes the values as they
    are: its binary COPY sends an aware datetime as its instant and refuses a naive one."""
    if not rows:
        return 0
    dialect = conn.dialect
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        return _copy_rows(conn, table, keys, rows, skip_existing)
    stamps, days = _temporal_keys(table, keys)
    memo = StampMemo() if memo is None else memo
    memo.to_text = conn.dialect.name == "sqlite"
    if stamps or days:
        columns: list[Sequence[Any]] = list(zip(*rows, strict=True))
        for k in stamps:
            i = keys.index(k)
            columns[i] = memo.stamps(columns[i])
        for k in days:
            i = keys.index(k)
            columns[i] = memo.days(columns[i])
        rows = list(zip(*columns, strict=True))
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


def _copy_rows(
    conn: Connection,
    table: Any,
    keys: Sequence[str],
    rows: Sequence[Sequence[Any]],
    skip_existing: Sequence[str],
) -> int:
    """PostgreSQL: the rows through a binary COPY on the transaction's own connection (an INSERT
    per row, even pipelined, costs a round of the protocol each; the binary format spares both
    sides formatting and parsing the values as text, timestamps above all). With
    ``skip_existing`` they are copied straight into the table inside a savepoint (no row is
    stored yet, the usual case); if one is, the savepoint is rolled back and they are copied
    into a temporary table of the same columns, then inserted from it ON CONFLICT DO NOTHING."""
    import psycopg  # the driver of this connection (a store on SQLite does not need it)

    quote = conn.dialect.identifier_preparer.quote
    columns = ", ".join(quote(k) for k in keys)
    target = quote(table.name)
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur:
        oids = _column_oids(cur, table, target, columns)
        if not skip_existing:
            _copy(cur, target, columns, rows, oids)
            return len(rows)
        cur.execute("SAVEPOINT slamon_copy")
        try:
            _copy(cur, target, columns, rows, oids)
        except psycopg.errors.UniqueViolation:
            cur.execute("ROLLBACK TO SAVEPOINT slamon_copy")
        else:
            cur.execute("RELEASE SAVEPOINT slamon_copy")
            return len(rows)
        cur.execute("RELEASE SAVEPOINT slamon_copy")
        # one staging table per target and column list (ON COMMIT DROP: gone with the transaction)
        staging = quote(f"{table.name}_in_{zlib.crc32(columns.encode()):08x}")
        cur.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging} ON COMMIT DROP "
            f"AS SELECT {columns} FROM {target} WITH NO DATA"
        )
        cur.execute(f"TRUNCATE {staging}")
        _copy(cur, staging, columns, rows, oids)
        unique = ", ".join(quote(k) for k in skip_existing)
        cur.execute(
            f"INSERT INTO {target} ({columns}) SELECT {columns} FROM {staging} "
            f"ON CONFLICT ({unique}) DO NOTHING"
        )
        return cur.rowcount


_FIRST_USER_OID = 16384  # PostgreSQL's built-in types have smaller oids, the same in every database


def _column_oids(cur: Any, table: Any, target: str, columns: str) -> list[int]:
    """The type oids of ``columns`` of the table (what a binary COPY must send), asked once per
    table and column list (kept in the table's ``info``) when they are all built-in types."""
    known = table.info.setdefault("copy_oids", {})
    oids = known.get(columns)
    if oids is None:
        cur.execute(f"SELECT {columns} FROM {target} LIMIT 0")
        oids = [d.type_code for d in cur.description]
        if all(o < _FIRST_USER_OID for o in oids):
            known[columns] = oids
    return oids


def _copy(
    cur: Any, target: str, columns: str, rows: Sequence[Sequence[Any]], oids: list[int]
) -> None:
    with cur.copy(f"COPY {target} ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(oids)
        for row in rows:
            copy.write_row(row)


def chunks(seq: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(seq), size):
        yield seq[i : i + size]
