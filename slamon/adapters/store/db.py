"""Opening the store: engine, SQLite pragmas (WAL), and the schema check at start
(slamon.adapters.store.schema: a new store is created at head, any other must be at head)."""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlmodel import create_engine

from slamon.adapters import driver_errors
from slamon.adapters.store import schema
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


@contextlib.contextmanager
def reporting_errors(url: str) -> Iterator[None]:
    """A database that cannot be reached as StoreError, in Chinese, with the URL's secrets masked."""
    try:
        yield
    except OperationalError as exc:
        raise StoreError(
            f"无法打开存储库 {mask_url(url)}：{driver_errors.reason(exc, lambda t: scrub(t, url))}"
        ) from exc


def open_store(url: str) -> Engine:
    """Connect; create a new (empty) store at the code's schema revision; refuse a store whose
    revision is older (``slamon store upgrade``) or newer than this code (StoreSchemaError)."""
    engine = make_engine(url)
    try:
        with reporting_errors(url), engine.begin() as conn:
            state = schema.read_state(conn)
            if state.empty:
                schema.create_at_head(conn)
            else:
                schema.check(state)
    except StoreError:
        engine.dispose()
        raise
    return engine


def backup_sqlite(engine: Engine, label: str) -> Path | None:
    """A SQLite store's file copied beside it as ``<file>.bak-<label>`` (``-2``, ``-3`` … when
    taken) through SQLite's online backup, so what the WAL holds is in the copy; None for a
    server store or a store in memory."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return None
    path = Path(database)
    target = path.with_name(f"{path.name}.bak-{label}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.bak-{label}-{n}")
    with engine.connect() as conn:
        source = conn.connection.driver_connection
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            copy.close()
    log.info("store.backup path=%s", target)
    return target
