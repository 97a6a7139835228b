"""The platform's own database as a source: any SQLAlchemy URL plus one configured SELECT.

The query's column aliases are the record's field names (docs/CONTRACT.md §1), e.g.
``SELECT apply_no AS application_id, … FROM t_share_apply WHERE modify_time > :since``.
When the query contains ``:since`` it is bound to the last ``updated_at`` seen (minus
``overlap``) in the column's own kind (``source.cursor``, :mod:`slamon.core.cursors`): for a
timestamp column as naive local time in the configured timezone (platform timestamp columns are
usually naive), for an epoch column as an integer in its unit, for a counter as the largest value
seen. Only a single SELECT (or WITH … SELECT) is accepted (sql_guard), and the database
enforces it: every session is read-only and runs one statement (sql_session).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Container, Iterator, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from slamon.adapters import driver_errors
from slamon.adapters.sources.base import FetchResult, RawRow, ReadState
from slamon.adapters.sources.sql_guard import check_query, refusal_reason
from slamon.adapters.sources.sql_session import begin_read_only, make_engine
from slamon.core import cursors
from slamon.core.cursors import TIMESTAMP, Cursor
from slamon.core.errors import InputError, SourceError
from slamon.core.records import DATETIME_FIELDS, canonical_field
from slamon.core.secrets import mask_url, scrub
from slamon.core.times import as_aware, instant, zone

if TYPE_CHECKING:
    from sqlalchemy import Engine


# Bound to :since on the first poll (everything): naive 1970-01-01 is older than any platform row.
EPOCH = dt.datetime(1970, 1, 1)
DEFAULT_TZ = "Asia/Shanghai"
BATCH_ROWS = 5000
# An updated_at later than now by more than this never moves the cursor (it is reported instead).
FUTURE_TOLERANCE = dt.timedelta(minutes=5)
_SINCE = re.compile(r"(?<![:\w]):since\b")
QUERY_FAILED = "查询失败"  # in the message of a query the server refused (it did connect)


def _plain(value: Any) -> Any:
    """Driver values as validate_row expects them: text, numbers as text, datetimes as is."""
    if isinstance(value, Decimal):
        return str(int(value)) if value == value.to_integral_value() else str(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, memoryview):
        value = value.tobytes()
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", errors="replace")
    return value


class SqlSource:
    """Reads application rows from the platform's database with one configured SELECT."""

    def __init__(
        self,
        url: str,
        query: str,
        name: str | None = None,
        tz: dt.tzinfo | str | None = None,
        *,
        overlap: dt.timedelta = dt.timedelta(0),
        naive_since: bool = True,
        connect_timeout: int = 10,
        full_query: str | None = None,
        batch_rows: int = BATCH_ROWS,
        cursor: str = TIMESTAMP,
    ) -> None:
        self.url = url
        self.query = check_query(query)
        self.full_query = check_query(full_query) if full_query else None
        self.batch_rows = batch_rows
        self.tz = zone(tz) if isinstance(tz, str) else (tz or zone(DEFAULT_TZ))
        self.name = name or mask_url(url)
        self.masked_url = mask_url(url)
        self.incremental = bool(_SINCE.search(self.query))
        # Rows committed late with an older timestamp are caught by re-reading this much before the
        # cursor; re-read unchanged rows cost nothing (the poll leaves them untouched).
        self.overlap = overlap
        self.naive_since = naive_since
        self.connect_timeout = connect_timeout
        self.cursor = cursor  # what kind of column updated_at is: how :since is bound
        self._engine: Engine | None = None
        self.last_read = ReadState()

    def __getstate__(self) -> dict[str, Any]:
        """What a reader process takes (:mod:`slamon.service.read_process`): everything but the
        connection pool, which it opens for itself."""
        return {**self.__dict__, "_engine": None}

    @property
    def cursor_identity(self) -> str:
        """What the incremental cursor belongs to: the whole URL and query (hashed by the poll
        service, so a changed URL or query starts afresh and no secret is stored). A counter is
        no instant: ``cursor: integer`` keeps its own; the epoch kinds share the timestamp one
        (an instant either way, converted to the column's unit when bound)."""
        kind = "" if self.cursor != cursors.INTEGER else f"\ncursor:{self.cursor}"
        return f"{self.url}\n{self.query}{kind}"

    # -- engine and connection -------------------------------------------------------------
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = self._make_engine()
        return self._engine

    def _make_engine(self) -> Engine:
        return make_engine(self.url, self.tz, self.connect_timeout)

    def read(
        self, sql: str, params: Mapping[str, Any] | None = None
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Run one statement in this source's read-only session; (column names, rows)."""
        return self._run(sql, params or {})

    def _run(self, sql: str, params: Mapping[str, Any]) -> tuple[list[str], list[tuple[Any, ...]]]:
        from sqlalchemy.exc import SQLAlchemyError

        conn, result = self._open(sql, params)
        try:
            keys = list(result.keys())
            rows = [tuple(r) for r in result]
            conn.rollback()
        except SQLAlchemyError as exc:
            raise self._failure(exc) from None
        finally:
            conn.close()
        return keys, rows

    def _open(self, sql: str, params: Mapping[str, Any], stream: int = 0) -> tuple[Any, Any]:
        """A new read-only connection and the result of ``sql`` on it (streamed when ``stream``:
        a server-side cursor delivering that many rows at a time). The caller closes it."""
        from sqlalchemy import text
        from sqlalchemy.exc import SQLAlchemyError

        engine = self.engine()
        try:
            conn = engine.connect()
        except (SQLAlchemyError, OSError, ValueError) as exc:  # drivers raise their own kinds too
            reason = driver_errors.reason(exc, self._scrub)
            raise SourceError(f"无法连接数据源 {self.masked_url}：{reason}") from None
        try:
            begin_read_only(conn, self.tz)
            if stream:
                conn = conn.execution_options(stream_results=True, yield_per=stream)
            return conn, conn.execute(text(sql), dict(params))
        except SQLAlchemyError as exc:
            conn.close()
            raise self._failure(exc) from None

    def _scrub(self, text: str) -> str:
        return scrub(text, self.url)

    def _failure(self, exc: Exception) -> SourceError:
        from sqlalchemy.exc import DBAPIError

        if isinstance(exc, DBAPIError):
            raw = scrub(str(exc.orig), self.url).strip().replace("\n", " ")
            refused = refusal_reason(raw)
            reason = f"{refused}（{raw}）" if refused else driver_errors.reason(exc, self._scrub)
        else:
            reason = scrub(str(exc), self.url).strip().replace("\n", " ")
        return SourceError(f"数据源 {self.masked_url} {QUERY_FAILED}：{reason}")

    def _start(self, since: Cursor | None) -> Cursor | None:
        """The stored cursor as this kind reads it: an aware instant in the zone, or a counter."""
        since = cursors.usable(self.cursor, since)
        if isinstance(since, dt.datetime):
            return as_aware(since, self.tz).astimezone(self.tz)
        return since

    def _params(self, since: Cursor | None, sql: str) -> dict[str, Any]:
        if not _SINCE.search(sql):
            return {}
        since = self._start(since)
        if self.cursor != TIMESTAMP:
            return {"since": cursors.bound_number(self.cursor, since, self.overlap)}
        if since is None:
            value = EPOCH if self.naive_since else EPOCH.replace(tzinfo=dt.UTC)
        else:
            value = (since - self.overlap).astimezone(self.tz)
            if self.naive_since:
                value = value.replace(tzinfo=None)
        if self.engine().dialect.name == "sqlite" and value.tzinfo is None:
            # SQLite platforms keep text 'YYYY-MM-DD HH:MM:SS': compare like with like.
            return {"since": value.strftime("%Y-%m-%d %H:%M:%S")}
        return {"since": value}

    # -- the Source interface ----------------------------------------------------------------
    def fetch(
        self,
        since: Cursor | None,
        imported: Container[str] = (),
        *,
        now: dt.datetime | None = None,
        full: bool = False,
    ) -> FetchResult:
        """Every row at once (see :meth:`batches` for the bounded-memory way)."""
        rows = [r for batch in self.batches(since, now=now, full=full) for r in batch]
        state = self.last_read
        return FetchResult(rows=rows, cursor=state.cursor, future=state.future, complete=full)

    def batches(
        self,
        since: Cursor | None,
        *,
        now: dt.datetime | None = None,
        full: bool = False,
        size: int | None = None,
    ) -> Iterator[list[RawRow]]:
        """The rows in batches through a server-side cursor; ``last_read`` holds the new cursor.

        ``full``: re-read everything (``full_query`` when configured, else the query with the
        earliest ``:since``). The cursor never moves past ``now`` plus a small tolerance: a later
        ``updated_at`` (a fast clock, a typo in 2042) is listed in ``last_read.future`` instead
        (a counter has no clock: ``cursor: integer`` only ever moves up).
        """
        from sqlalchemy.exc import SQLAlchemyError

        sql = self.full_query if full and self.full_query else self.query
        size = size or self.batch_rows
        start = None if full else self._start(since)
        state = self.last_read = ReadState(cursor=start)
        counter = self.cursor == cursors.INTEGER
        ceiling = now + FUTURE_TOLERANCE if now is not None and not counter else None
        conn, result = self._open(sql, self._params(start, sql), size)
        try:
            keys = list(result.keys())
            fields = [canonical_field(k) for k in keys]
            id_col = fields.index("application_id") if "application_id" in fields else None
            upd_col = fields.index("updated_at") if "updated_at" in fields else None
            epoch = self._epoch_keys(keys, fields)
            n = 0
            for part in result.partitions(size):
                out: list[RawRow] = []
                for values in part:
                    n += 1
                    data = {
                        k: v if v is None or type(v) is str or type(v) is dt.datetime else _plain(v)
                        for k, v in zip(keys, values, strict=True)
                    }
                    for k in epoch:
                        data[k] = cursors.epoch_value(data[k], self.cursor, self.tz)
                    ref = None
                    if id_col is not None:
                        raw_id = _plain(values[id_col])
                        ref = str(raw_id).strip() if raw_id is not None else None
                    row = RawRow(ref or f"第{n}行", data)
                    out.append(row)
                    if upd_col is not None:
                        seen = self._seen(values[upd_col])
                        if counter:  # the counter is the cursor, not the record's time
                            data[keys[upd_col]] = None
                        if seen is None:
                            continue
                        if ceiling is not None and seen > ceiling:
                            state.future.append((row.ref, seen))
                        elif state.cursor is None or seen > state.cursor:
                            state.cursor = seen
                state.rows = n
                yield out
            conn.rollback()
        except SQLAlchemyError as exc:
            raise self._failure(exc) from None
        finally:
            conn.close()

    def _epoch_keys(self, keys: list[str], fields: list[str | None]) -> list[str]:
        """The columns whose integers are instants in the epoch unit (none unless epoch_*)."""
        if self.cursor not in cursors.PER_SECOND:
            return []
        return [k for k, f in zip(keys, fields, strict=True) if f in DATETIME_FIELDS]

    def _seen(self, value: Any) -> Cursor | None:
        """A row's updated_at as the cursor: an instant in the zone, or a counter's integer."""
        if self.cursor == cursors.INTEGER:
            return cursors.whole_number(_plain(value))
        if self.cursor in cursors.PER_SECOND:
            value = cursors.epoch_value(_plain(value), self.cursor, self.tz)
        try:
            seen = instant(value, self.tz)
        except InputError:
            return None
        return seen.astimezone(self.tz) if seen is not None else None

    def columns(self, since: Cursor | None = None) -> list[str]:
        """The query's column names, without reading any row."""
        wrapped = f"SELECT * FROM (\n{self.query}\n) AS q WHERE 1=0"
        keys, _rows = self._run(wrapped, self._params(since, self.query))
        return keys

    def head(self, limit: int) -> tuple[list[str], list[tuple[Any, ...]]]:
        """The query's first ``limit`` rows as a first read gets them (``:since`` at its earliest),
        as the driver gives them: what check-config looks at."""
        sql, params = self.query, self._params(None, self.query)
        if self.engine().dialect.name in ("sqlite", "postgresql", "mysql", "mariadb"):
            sql = f"SELECT * FROM (\n{self.query}\n) AS q LIMIT {int(limit)}"
            return self._run(sql, params)
        from sqlalchemy.exc import SQLAlchemyError

        conn, result = self._open(sql, params, limit)
        try:
            keys, rows = list(result.keys()), [tuple(r) for r in result.fetchmany(limit)]
        except SQLAlchemyError as exc:
            raise self._failure(exc) from None
        finally:
            conn.close()
        return keys, rows

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
