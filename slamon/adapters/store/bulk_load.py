"""A first read into an empty store (SQLite or PostgreSQL): the secondary indexes of the tables
it fills are dropped for the read and built once at its end, inside the read's transaction (a
failure rolls the drop back with everything else). Building an index once over all its keys
costs less than keeping it up to date row by row while a million rows arrive. On PostgreSQL the
filled tables are analyzed at the end too (a bulk load leaves the planner without statistics).

On PostgreSQL, dropping an index locks its table until the read commits: the web pages wait for
the very first read (the store is empty then, so they have nothing to show meanwhile)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Index, select, text

from slamon.adapters.store.models import Application, ApplicationEvent, SlaStateRow

APP = Application.__table__
FILLED = (APP, ApplicationEvent.__table__, SlaStateRow.__table__)
# MySQL and MariaDB commit the open transaction at DROP INDEX and CREATE INDEX: a first read
# into such a store keeps its indexes, so that it stays one transaction.
TRANSACTIONAL_DDL = ("sqlite", "postgresql")


def defer_indexes(conn: Connection) -> list[Index]:
    """Drop the secondary indexes of the tables a read fills when the store has no application
    yet; return them for :func:`restore_indexes` (none when the store has applications)."""
    if conn.dialect.name not in TRANSACTIONAL_DDL:
        return []
    if conn.execute(select(APP.c.application_id).limit(1)).first() is not None:
        return []
    dropped: list[Index] = []
    for table in FILLED:
        for index in sorted(table.indexes, key=_name):
            index.drop(conn)
            dropped.append(index)
    return dropped


def restore_indexes(conn: Connection, dropped: list[Index]) -> None:
    """Build the indexes :func:`defer_indexes` dropped (before anything queries the tables)."""
    for index in dropped:
        index.create(conn)
    if dropped and conn.dialect.name == "postgresql":
        # Statistics for the planner now, not when autovacuum (if it runs) gets to the tables: the
        # next polls' queries of open applications would otherwise scan them whole.
        for table in FILLED:
            conn.execute(text(f"ANALYZE {conn.dialect.identifier_preparer.quote(table.name)}"))


def _name(index: Any) -> str:
    return str(index.name)
