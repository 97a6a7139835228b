"""The platform's own database as a source: any SQLAlchemy URL plus one configured SELECT.

The query's column aliases are the record's field names (CONTRACT §1), e.g.
``SELECT apply_no AS application_id, … FROM t_share_apply WHERE modify_time > :since``.
When the query contains ``:since`` it is bound to the last ``updated_at`` seen (minus
``overlap``), as naive local time in the configured timezone: platform timestamp columns are
usually naive. Only a single SELECT (or WITH … SELECT) is accepted (sql_guard), and the database
enforces it: every session is read-only and runs one statement (sql_session).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Container, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from slamon.adapters.sources.base import FetchResult, RawRow
from slamon.adapters.sources.sql_guard import check_query, refusal_reason
from slamon.adapters.sources.sql_session import begin_read_only, make_engine
from slamon.core.errors import InputError, SourceError
from slamon.core.records import canonical_field
from slamon.core.secrets import mask_url, scrub
from slamon.core.times import as_aware, instant, zone

if TYPE_CHECKING:
    from sqlalchemy import Engine


# Bound to :since on the first poll (everything): naive 1970-01-01 is older than any platform row.
EPOCH = dt.datetime(1970, 1, 1)
DEFAULT_TZ = "Asia/Shanghai"
_SINCE = re.compile(r"(?<![:\w]):since\b")


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
    ) -> None:
        self.url = url
        self.query = check_query(query)
        self.tz = zone(tz) if isinstance(tz, str) else (tz or zone(DEFAULT_TZ))
        self.name = name or mask_url(url)
        self.masked_url = mask_url(url)
        self.incremental = bool(_SINCE.search(self.query))
        # Rows committed late with an older timestamp are caught by re-reading this much before the
        # cursor; re-read unchanged rows cost nothing (the poll leaves them untouched).
        self.overlap = overlap
        self.naive_since = naive_since
        self.connect_timeout = connect_timeout
        self._engine: Engine | None = None

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
        from sqlalchemy import text
        from sqlalchemy.exc import DBAPIError, SQLAlchemyError

        engine = self.engine()
        try:
            conn = engine.connect()
        except DBAPIError as exc:
            reason = scrub(str(exc.orig), self.url)
            raise SourceError(f"无法连接数据源 {self.masked_url}：{reason}") from None
        except (SQLAlchemyError, OSError, ValueError) as exc:  # drivers raise their own kinds too
            reason = f"{exc.__class__.__name__}: {scrub(str(exc), self.url)}"
            raise SourceError(f"无法连接数据源 {self.masked_url}：{reason}") from None
        try:
            with conn:
                begin_read_only(conn, self.tz)
                result = conn.execute(text(sql), dict(params))
                keys = list(result.keys())
                rows = [tuple(r) for r in result]
                conn.rollback()
        except DBAPIError as exc:
            reason = scrub(str(exc.orig), self.url).strip().replace("\n", " ")
            refused = refusal_reason(reason)
            if refused:
                reason = f"{refused}（{reason}）"
            raise SourceError(f"数据源 {self.masked_url} 查询失败：{reason}") from None
        except SQLAlchemyError as exc:
            raise SourceError(
                f"数据源 {self.masked_url} 查询失败：{scrub(str(exc), self.url)}"
            ) from None
        return keys, rows

    def _params(self, since: dt.datetime | None) -> dict[str, Any]:
        if not self.incremental:
            return {}
        if since is None:
            value = EPOCH if self.naive_since else EPOCH.replace(tzinfo=dt.UTC)
        else:
            value = as_aware(since, self.tz) - self.overlap
            value = value.astimezone(self.tz)
            if self.naive_since:
                value = value.replace(tzinfo=None)
        if self.engine().dialect.name == "sqlite" and value.tzinfo is None:
            # SQLite platforms keep text 'YYYY-MM-DD HH:MM:SS': compare like with like.
            return {"since": value.strftime("%Y-%m-%d %H:%M:%S")}
        return {"since": value}

    # -- the Source interface ----------------------------------------------------------------
    def fetch(self, since: dt.datetime | None, imported: Container[str] = ()) -> FetchResult:
        keys, rows = self._run(self.query, self._params(since))
        fields = [canonical_field(k) for k in keys]
        id_col = fields.index("application_id") if "application_id" in fields else None
        upd_col = fields.index("updated_at") if "updated_at" in fields else None
        out: list[RawRow] = []
        cursor = as_aware(since, self.tz).astimezone(self.tz) if since is not None else None
        for n, values in enumerate(rows, start=1):
            data = {
                k: v if v is None or type(v) is str or type(v) is dt.datetime else _plain(v)
                for k, v in zip(keys, values, strict=True)
            }
            ref = None
            if id_col is not None:
                raw_id = _plain(values[id_col])
                ref = str(raw_id).strip() if raw_id is not None else None
            out.append(RawRow(ref or f"第{n}行", data))
            if upd_col is not None:
                seen = self._when(values[upd_col])
                if seen is not None and (cursor is None or seen > cursor):
                    cursor = seen
        return FetchResult(rows=out, cursor=cursor)

    def _when(self, value: Any) -> dt.datetime | None:
        try:
            seen = instant(value, self.tz)
        except InputError:
            return None
        return seen.astimezone(self.tz) if seen is not None else None

    def columns(self, since: dt.datetime | None = None) -> list[str]:
        """The query's column names, without reading any row."""
        wrapped = f"SELECT * FROM (\n{self.query}\n) AS q WHERE 1=0"
        keys, _rows = self._run(wrapped, self._params(since))
        return keys

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
