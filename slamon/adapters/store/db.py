"""Opening the store: engine, SQLite pragmas (WAL), schema creation and version check."""

from __future__ import annotations

import logging

from sqlalchemy import Connection, event, inspect, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlmodel import SQLModel, create_engine

from slamon.adapters import driver_errors
from slamon.adapters.store import models
from slamon.adapters.store.models import SCHEMA_VERSION, Meta, StoreDateTime
from slamon.core.errors import StoreError
from slamon.core.secrets import mask_url, scrub

log = logging.getLogger("slamon.store")


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # noqa: ANN001
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def make_engine(url: str) -> Engine:
    try:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"timeout": 30})
            event.listen(engine, "connect", _sqlite_pragmas)
        else:
            engine = create_engine(url, pool_pre_ping=True)
    except (ArgumentError, NoSuchModuleError) as exc:
        raise StoreError(f"无法使用存储库地址 {mask_url(url)}（{exc.__class__.__name__}）") from exc
    return engine


def open_store(url: str) -> Engine:
    """Connect, create missing tables, and refuse a store whose schema is newer than this code."""
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            has_meta = inspect(conn).has_table(Meta.__tablename__)
            version = None
            if has_meta:
                version = conn.execute(
                    select(Meta.value).where(Meta.key == "schema_version")
                ).scalar_one_or_none()
            if version is not None and int(version) > SCHEMA_VERSION:
                raise StoreError(
                    f"存储库 {mask_url(url)} 的结构版本为 {version}，高于本程序支持的 {SCHEMA_VERSION}，请升级 slamon"
                )
            SQLModel.metadata.create_all(conn, tables=[t.__table__ for t in _tables()])
            _add_missing_columns(conn)
            if conn.dialect.name in ("mysql", "mariadb"):
                _widen_datetimes(conn)
            if version is None:
                conn.execute(
                    Meta.__table__.insert().values(key="schema_version", value=str(SCHEMA_VERSION))
                )
    except OperationalError as exc:
        raise StoreError(
            f"无法打开存储库 {mask_url(url)}：{driver_errors.reason(exc, lambda t: scrub(t, url))}"
        ) from exc
    return engine


def _add_missing_columns(conn: Connection) -> None:
    """Columns added to a table since a store was made (always nullable): one ALTER TABLE ADD
    COLUMN each, values NULL until the next evaluation fills them."""
    inspector = inspect(conn)
    quote = conn.dialect.identifier_preparer.quote
    for model in _tables():
        table = model.__table__
        have = {c["name"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name in have:
                continue
            if not column.nullable:
                raise StoreError(f"存储库表 {table.name} 缺少必填列 {column.name}，无法自动升级")
            kind = column.type.compile(dialect=conn.dialect)
            conn.execute(
                text(f"ALTER TABLE {quote(table.name)} ADD COLUMN {quote(column.name)} {kind} NULL")
            )
            log.info("store.column_added table=%s column=%s", table.name, column.name)


def _widen_datetimes(conn: Connection) -> None:
    """A MySQL or MariaDB store created before datetimes kept microseconds: its ``DATETIME``
    columns become ``DATETIME(6)`` (one ALTER per table; stored values keep what they had)."""
    ours = {
        t.__table__.name: {c.name for c in t.__table__.columns if isinstance(c.type, StoreDateTime)}
        for t in _tables()
    }
    found = conn.execute(
        text(
            "SELECT TABLE_NAME, COLUMN_NAME, IS_NULLABLE FROM information_schema.COLUMNS "
            "WHERE TABLE_SCHEMA = DATABASE() AND DATA_TYPE = 'datetime' "
            "AND DATETIME_PRECISION = 0 ORDER BY TABLE_NAME, ORDINAL_POSITION"
        )
    ).all()
    narrow: dict[str, list[tuple[str, bool]]] = {}
    for table, column, nullable in found:
        if column in ours.get(table, ()):
            narrow.setdefault(table, []).append((column, nullable == "YES"))
    quote = conn.dialect.identifier_preparer.quote
    for table, columns in narrow.items():
        changes = ", ".join(
            f"MODIFY {quote(c)} DATETIME(6) {'NULL' if nullable else 'NOT NULL'}"
            for c, nullable in columns
        )
        conn.execute(text(f"ALTER TABLE {quote(table)} {changes}"))
        log.info("store.datetimes_widened table=%s columns=%d", table, len(columns))


def _tables() -> list[type[SQLModel]]:
    return [
        m
        for m in vars(models).values()
        if isinstance(m, type)
        and issubclass(m, SQLModel)
        and getattr(m, "__table__", None) is not None
    ]
