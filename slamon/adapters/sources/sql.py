"""The platform's own database as a source: any SQLAlchemy URL plus one configured SELECT.

The query's column aliases are the record's field names (CONTRACT §1), e.g.
``SELECT apply_no AS application_id, … FROM t_share_apply WHERE modify_time > :since``.
When the query contains ``:since`` it is bound to the last ``updated_at`` seen (minus
``overlap``), as naive local time in the configured timezone: platform timestamp columns are
usually naive. Only a single SELECT (or WITH … SELECT) is accepted, and it runs in a read-only
transaction wherever the driver allows it (PostgreSQL, MySQL/MariaDB, SQLite).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
from collections.abc import Container, Mapping
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from slamon.adapters.sources.base import FetchResult, RawRow
from slamon.core.errors import InputError, SourceError
from slamon.core.records import FIELDS, HEADER_ALIASES, REQUIRED, canonical_field
from slamon.core.secrets import mask_url, scrub
from slamon.core.times import as_aware, parse_datetime, zone

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

    from slamon.config import SourceConfig
    from slamon.core.findings import Finding

# Bound to :since on the first poll (everything): naive 1970-01-01 is older than any platform row.
EPOCH = dt.datetime(1970, 1, 1)
DEFAULT_TZ = "Asia/Shanghai"
_SINCE = re.compile(r"(?<![:\w]):since\b")
_FIRST_WORD = re.compile(r"^[\s(]*([A-Za-z_]+)")
# Comments, string literals, quoted identifiers and PostgreSQL dollar-quoted strings.
_LEXEMES = re.compile(
    r"--[^\n]*|/\*.*?\*/|'(?:[^'\\]|''|\\.)*'|\"(?:[^\"]|\"\")*\"|`[^`]*`|(\$\w*\$).*?\1",
    re.DOTALL,
)
_DRIVER_EXTRAS = {
    "postgresql": ("postgres", "postgresql+psycopg://"),
    "mysql": ("mysql", "mysql+pymysql://"),
    "mariadb": ("mysql", "mariadb+pymysql://"),
}
# A URL without a driver names SQLAlchemy's default one; use the extras' driver when it is missing.
_DEFAULT_DRIVERS = {
    "postgresql": ("psycopg2", "postgresql+psycopg"),
    "mysql": ("MySQLdb", "mysql+pymysql"),
    "mariadb": ("MySQLdb", "mariadb+pymysql"),
}


def _strip_lexemes(query: str) -> str:
    """The query with comments and quoted text blanked out (same length, so positions map)."""
    return _LEXEMES.sub(lambda m: " " * len(m.group(0)), query)


def check_query(query: str) -> str:
    """Validate a configured query; return it without a trailing ';'. Raises SourceError."""
    if not query or not query.strip():
        raise SourceError("数据源查询为空：请在 source.query 中填写一条 SELECT 语句")
    masked = _strip_lexemes(query)
    if "/*" in masked or "'" in masked:
        raise SourceError("数据源查询中有未闭合的注释或引号")
    # Drop trailing ';' and anything blank (or a comment) after the statement.
    end = len(masked.rstrip("; \t\r\n"))
    bare, text = masked[:end], query[:end]
    if ";" in bare:
        raise SourceError("数据源查询只能是一条 SELECT 语句：查询中有多条语句（分号）")
    m = _FIRST_WORD.match(bare)
    first = m.group(1).upper() if m else ""
    if first not in ("SELECT", "WITH"):
        shown = first or bare.strip()[:20]
        raise SourceError(f"数据源查询只能是 SELECT（或 WITH … SELECT）语句，当前以 {shown} 开头")
    if re.search(r"\bINTO\b", bare, re.IGNORECASE):
        raise SourceError("数据源查询不得包含 INTO（SELECT … INTO 会写入表或文件）")
    return text.strip()


def _driver_hint(url: str) -> str:
    backend = url.split(":", 1)[0].split("+", 1)[0].lower()
    hint = _DRIVER_EXTRAS.get(backend)
    if hint:
        return f'；请安装驱动 pip install "slamon[{hint[0]}]"，并使用 {hint[1]} 开头的地址'
    return ""


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
        self.incremental = bool(_SINCE.search(_strip_lexemes(self.query)))
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
        from sqlalchemy import create_engine, event
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError, NoSuchModuleError

        try:
            u = make_url(self.url)
        except (ArgumentError, ValueError) as exc:
            raise SourceError(f"数据源地址无效：{self.masked_url}") from exc
        backend = u.get_backend_name()
        default = _DEFAULT_DRIVERS.get(u.drivername)
        if default and importlib.util.find_spec(default[0]) is None:
            u = u.set(drivername=default[1])
        connect_args: dict[str, Any] = {}
        kwargs: dict[str, Any] = {}
        if backend == "sqlite":
            db = u.database or ""
            if db and db != ":memory:" and not db.startswith("file:") and not Path(db).is_file():
                raise SourceError(f"数据源 SQLite 数据库文件不存在：{db}")
        elif backend in ("postgresql", "mysql", "mariadb"):
            if "connect_timeout" not in u.query:
                connect_args["connect_timeout"] = self.connect_timeout
            kwargs["pool_pre_ping"] = True
        try:
            engine = create_engine(u, connect_args=connect_args, **kwargs)
        except NoSuchModuleError as exc:
            raise SourceError(f"不支持的数据源类型 {u.drivername}（{self.masked_url}）") from exc
        except ImportError as exc:
            raise SourceError(
                f"缺少数据库驱动 {exc.name or u.drivername}，无法连接 {self.masked_url}{_driver_hint(self.url)}"
            ) from exc
        except ArgumentError as exc:
            raise SourceError(
                f"数据源地址无效：{self.masked_url}（{scrub(str(exc), self.url)}）"
            ) from exc
        if backend == "sqlite":
            event.listen(engine, "connect", _sqlite_read_only)
        elif backend in ("mysql", "mariadb"):
            event.listen(engine, "connect", _mysql_read_only)
        return engine

    def _begin_read_only(self, conn: Connection) -> None:
        from sqlalchemy import text

        if conn.dialect.name == "postgresql":
            conn.execute(text("SET TRANSACTION READ ONLY"))
            # Naive :since and timestamptz columns are then read in the configured timezone,
            # whatever the server's TimeZone setting is (local to this transaction).
            key = getattr(self.tz, "key", None)
            if key:
                conn.execute(text("SELECT set_config('TimeZone', :tz, true)"), {"tz": key})

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
                self._begin_read_only(conn)
                result = conn.execute(text(sql), dict(params))
                keys = list(result.keys())
                rows = [tuple(r) for r in result]
                conn.rollback()
        except DBAPIError as exc:
            reason = scrub(str(exc.orig), self.url)
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
        if isinstance(value, dt.datetime | dt.date):
            return as_aware(value, self.tz).astimezone(self.tz)
        if isinstance(value, str) and value.strip():
            try:
                return parse_datetime(value, self.tz).astimezone(self.tz)
            except InputError:
                return None
        return None

    def columns(self, since: dt.datetime | None = None) -> list[str]:
        """The query's column names, without reading any row."""
        wrapped = f"SELECT * FROM (\n{self.query}\n) AS q WHERE 1=0"
        keys, _rows = self._run(wrapped, self._params(since))
        return keys

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


def _sqlite_read_only(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA query_only=ON")
    cur.close()


def _mysql_read_only(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("SET SESSION TRANSACTION READ ONLY")
    cur.close()


def _field_label(name: str) -> str:
    chinese = next((k for k, v in HEADER_ALIASES.items() if v == name), None)
    return f"{name}（{chinese}）" if chinese else name


def probe_sql_source(source: SourceConfig, tz: dt.tzinfo | str | None = None) -> Finding:
    """Connect and check that the query's columns name the record's required fields."""
    from slamon.core.findings import ERROR, OK, WARN, Finding

    if not source.url or not source.query:
        return Finding(ERROR, "数据源", "source.kind 为 sql 时必须填写 source.url 和 source.query")
    try:
        src = SqlSource(source.url, source.query, tz=tz)
        try:
            keys = src.columns()
        finally:
            src.dispose()
    except SourceError as exc:
        return Finding(ERROR, "数据源", str(exc))
    mapped = [f for f in (canonical_field(k) for k in keys) if f is not None]
    missing = [f for f in REQUIRED if f not in mapped]
    if missing:
        names = "、".join(_field_label(f) for f in missing)
        return Finding(ERROR, "数据源", f"{src.masked_url} 的查询结果缺少必填字段：{names}")
    unknown = [k for k in keys if canonical_field(k) is None]
    extra = f"；忽略未识别的列：{'、'.join(unknown)}" if unknown else ""
    fields = [f for f in FIELDS if f in mapped]
    if not src.incremental:
        return Finding(
            WARN,
            "数据源",
            f"{src.masked_url} 可连接，查询映射 {len(fields)} 个字段{extra}；查询未使用 :since，每轮都读取全部记录",
        )
    return Finding(OK, "数据源", f"{src.masked_url} 可连接，查询映射 {len(fields)} 个字段{extra}")
