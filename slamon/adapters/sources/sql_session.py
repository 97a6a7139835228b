"""Sessions on the platform database that cannot write, in the configured time zone.

Every connection is new (no pool: nothing a query changes in its session outlives it) and set up
before any query runs:

- PostgreSQL: ``default_transaction_read_only=on`` and ``TimeZone`` passed as connection options,
  and ``prepare_threshold=0`` so psycopg sends every statement through the extended protocol —
  the server then refuses more than one statement ("cannot insert multiple commands into a
  prepared statement"); each query also runs in an explicit ``READ ONLY`` transaction.
- MariaDB/MySQL: no ``MULTI_STATEMENTS`` client flag (whatever the URL says), ``SET SESSION
  TRANSACTION READ ONLY`` and ``SET time_zone`` to the configured zone's offset at connect, and
  each query in ``START TRANSACTION READ ONLY``. TIMESTAMP columns are then read in local time.
- SQLite: ``PRAGMA query_only``.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING, Any

from slamon.core.errors import SourceError
from slamon.core.secrets import mask_url, scrub
from slamon.core.times import Unreadable

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

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
_MULTI_STATEMENTS = 1 << 16  # CLIENT_MULTI_STATEMENTS in the MySQL protocol


def _driver_hint(url: str) -> str:
    backend = url.split(":", 1)[0].split("+", 1)[0].lower()
    hint = _DRIVER_EXTRAS.get(backend)
    if hint:
        return f'；请安装驱动 pip install "slamon[{hint[0]}]"，并使用 {hint[1]} 开头的地址'
    return ""


def utc_offset(tz: dt.tzinfo, now: dt.datetime | None = None) -> str:
    """The zone's offset now as MySQL's ``time_zone`` takes it, e.g. ``+08:00``."""
    offset = (now or dt.datetime.now(dt.UTC)).astimezone(tz).utcoffset() or dt.timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def make_engine(url: str, tz: dt.tzinfo | None, connect_timeout: int = 10) -> Engine:
    """An engine whose every connection is read-only and in ``tz`` (None: in the server's own
    default zone, for check-config to compare). Raises SourceError."""
    from sqlalchemy import create_engine, event
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError
    from sqlalchemy.pool import NullPool

    masked = mask_url(url)
    try:
        u = make_url(url)
    except (ArgumentError, ValueError) as exc:
        raise SourceError(f"数据源地址无效：{masked}") from exc
    backend = u.get_backend_name()
    default = _DEFAULT_DRIVERS.get(u.drivername)
    if default and importlib.util.find_spec(default[0]) is None:
        u = u.set(drivername=default[1])
    connect_args: dict[str, Any] = {}
    if backend == "sqlite":
        db = u.database or ""
        if db and db != ":memory:" and not db.startswith("file:") and not Path(db).is_file():
            raise SourceError(f"数据源 SQLite 数据库文件不存在：{db}")
    elif backend in ("postgresql", "mysql", "mariadb") and "connect_timeout" not in u.query:
        connect_args["connect_timeout"] = connect_timeout
    try:
        engine = create_engine(u, connect_args=connect_args, poolclass=NullPool)
    except NoSuchModuleError as exc:
        raise SourceError(f"不支持的数据源类型 {u.drivername}（{masked}）") from exc
    except ImportError as exc:
        raise SourceError(
            f"缺少数据库驱动 {exc.name or u.drivername}，无法连接 {masked}{_driver_hint(url)}"
        ) from exc
    except ArgumentError as exc:
        raise SourceError(f"数据源地址无效：{masked}（{scrub(str(exc), url)}）") from exc
    if backend == "sqlite":
        event.listen(engine, "connect", _sqlite_read_only)
    elif backend == "postgresql":
        event.listen(engine, "do_connect", _postgres_params(tz))
        event.listen(engine, "connect", _postgres_loaders)
    elif backend in ("mysql", "mariadb"):
        event.listen(engine, "do_connect", _mysql_params)
        event.listen(engine, "connect", _mysql_session(tz))
    return engine


def begin_read_only(conn: Connection, tz: dt.tzinfo | None) -> None:
    """Open this connection's transaction read-only (before the configured query runs)."""
    from sqlalchemy import text

    name = conn.dialect.name
    if name == "postgresql":
        conn.execute(text("SET TRANSACTION READ ONLY"))
        key = getattr(tz, "key", None)
        if key:
            conn.execute(text("SELECT set_config('TimeZone', :tz, true)"), {"tz": key})
    elif name in ("mysql", "mariadb"):
        conn.exec_driver_sql("START TRANSACTION READ ONLY")


def _postgres_params(tz: dt.tzinfo | None) -> Any:
    key = getattr(tz, "key", None)

    def do_connect(_dialect: Any, _record: Any, _cargs: Any, cparams: dict[str, Any]) -> None:
        options = ["-c default_transaction_read_only=on"]
        if key:
            options.append(f"-c TimeZone={key}")
        given = cparams.get("options")
        cparams["options"] = " ".join([*([given] if given else []), *options])
        cparams["prepare_threshold"] = 0  # every statement prepared: one statement per query

    return do_connect


def _postgres_loaders(dbapi_conn: Any, _record: Any) -> None:
    """Timestamps and dates psycopg cannot represent ('infinity', beyond 9999, BC) become an
    :class:`Unreadable` marker: the row is rejected naming the value, the rest of the read loads."""
    from psycopg.pq import Format

    adapters = getattr(dbapi_conn, "driver_connection", dbapi_conn).adapters
    for type_name in ("timestamp", "timestamptz", "date"):
        oid = adapters.types[type_name].oid
        for fmt in (Format.TEXT, Format.BINARY):
            base = adapters.get_loader(oid, fmt)
            if base is not None:
                adapters.register_loader(oid, _safe_loader(base, fmt))


def _safe_loader(base: Any, fmt: Any) -> Any:
    """A loader delegating to psycopg's own (a C class, not subclassable) and catching its errors."""
    from psycopg import DataError
    from psycopg.adapt import Loader
    from psycopg.pq import Format

    class SafeLoader(Loader):
        format = fmt

        def __init__(self, oid: int, context: Any = None) -> None:
            super().__init__(oid, context)
            self._inner = base(oid, context)

        def load(self, data: Any) -> Any:
            try:
                return self._inner.load(data)
            except DataError as exc:
                text = bytes(data).decode("utf-8", "replace") if fmt == Format.TEXT else "?"
                return Unreadable(text, str(exc))

    return SafeLoader


def _mysql_params(dialect: Any, _record: Any, _cargs: Any, cparams: dict[str, Any]) -> None:
    cparams["client_flag"] = int(cparams.get("client_flag", 0)) & ~_MULTI_STATEMENTS
    if dialect.driver == "pymysql":
        cparams.setdefault("conv", _pymysql_conversions())


def _pymysql_conversions() -> dict[int, Any]:
    """PyMySQL's decoders, with DATETIME, TIMESTAMP and DATE parsed by the C ISO parser first
    (PyMySQL's own runs a regular expression per value: a third of a big read's driver time).
    A value the fast parser refuses goes to PyMySQL's, which returns what it cannot read
    (0000-00-00, 2024-02-30) as text: that row is rejected naming the value, as before."""
    from pymysql.constants import FIELD_TYPE
    from pymysql.converters import conversions, convert_date, convert_datetime

    def to_datetime(text: str) -> Any:
        if len(text) > 10:  # never a bare date here: PyMySQL turns that into a date
            try:
                return dt.datetime.fromisoformat(text)
            except ValueError:
                pass
        return convert_datetime(text)

    def to_date(text: str) -> Any:
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            return convert_date(text)

    conv = dict(conversions)
    conv[FIELD_TYPE.DATETIME] = conv[FIELD_TYPE.TIMESTAMP] = to_datetime
    conv[FIELD_TYPE.DATE] = to_date
    return conv


def _mysql_session(tz: dt.tzinfo | None) -> Any:
    def connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("SET SESSION TRANSACTION READ ONLY")
        if tz is not None:
            cur.execute("SET time_zone = %s", (utc_offset(tz),))
        cur.close()

    return connect


def _sqlite_read_only(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA query_only=ON")
    cur.close()
