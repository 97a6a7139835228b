"""What one read remembers across its batches, kept in a temporary table of the poll's own
connection so that memory holds one batch, never the whole read: every id delivered so far with
a hash of its content (to see the same id with other content in a later batch), whether this read
put it on hold, and so which stored applications the read did not deliver (deleted ones)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    exists,
    select,
    update,
)

from slamon.adapters.store.bulk import chunks, insert_rows
from slamon.adapters.store.models import Application

APP = Application.__table__


class ReadScratch:
    """One read's scratch table (``TEMPORARY``: private to the connection, dropped with it)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.table = Table(
            f"slamon_read_{uuid.uuid4().hex[:12]}",
            MetaData(),
            Column("application_id", String(128), primary_key=True),
            Column("content", BigInteger, nullable=True),  # None: delivered only as a bad row
            Column("held", Boolean, nullable=False, default=False),
            Column("batch", Integer, nullable=False),  # the batch that first delivered the id
            prefixes=["TEMPORARY"],
        )
        self.table.create(conn)
        self.batches = 0

    def remember(self, contents: dict[str, int | None]) -> dict[str, int | None]:
        """Record the ids of one batch with their content hashes; return, for the ids an earlier
        batch already delivered, what that batch delivered (a good row keeps its content)."""
        t = self.table
        self.batches += 1
        rows = [(a, c, False, self.batches) for a, c in contents.items()]
        keys = ("application_id", "content", "held", "batch")
        added = insert_rows(self.conn, t, keys, rows, skip_existing=("application_id",))
        if added == len(rows):  # no id came before (the usual case): nothing to look up
            return {}
        earlier: dict[str, int | None] = {}
        for part in chunks(list(contents)):
            earlier.update(
                self.conn.execute(
                    select(t.c.application_id, t.c.content).where(
                        t.c.application_id.in_(part), t.c.batch < self.batches
                    )
                ).all()
            )
        late_good = [
            {"b_id": a, "content": c}
            for a, c in contents.items()
            if a in earlier and earlier[a] is None and c is not None
        ]
        if late_good:
            self.conn.execute(
                update(t)
                .where(t.c.application_id == bindparam("b_id"))
                .values(content=bindparam("content")),
                late_good,
            )
        return earlier

    def hold(self, ids: Iterable[str]) -> None:
        rows = [{"b_id": a} for a in ids]
        if rows:
            t = self.table
            self.conn.execute(
                update(t).where(t.c.application_id == bindparam("b_id")).values(held=True), rows
            )

    def held_among(self, ids: Sequence[str]) -> set[str]:
        t = self.table
        out: set[str] = set()
        for part in chunks(list(ids)):
            out.update(
                self.conn.execute(
                    select(t.c.application_id).where(t.c.application_id.in_(part), t.c.held)
                ).scalars()
            )
        return out

    def not_delivered(self, source: str) -> list[str]:
        """Stored applications of ``source`` that this read did not deliver, by id."""
        t = self.table
        delivered = exists().where(t.c.application_id == APP.c.application_id)
        return list(
            self.conn.execute(
                select(APP.c.application_id)
                .where(APP.c.source == source, ~delivered)
                .order_by(APP.c.application_id)
            ).scalars()
        )

    def drop(self) -> None:
        self.table.drop(self.conn)
