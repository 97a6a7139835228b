"""What the store holds of each application's content, for a read that compares before it
validates: the content hash and the raw digest of the row it came from
(service/batch_validation.raw_digest). No business rules."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, String, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import ARRAY

from slamon.adapters.store.bulk import CHUNK, chunks
from slamon.adapters.store.models import Application

APP = Application.__table__


def stored_contents(conn: Connection, ids: Sequence[str]) -> dict[str, tuple[str | None, str]]:
    """application_id → (raw_digest, content_hash) for those of ``ids`` already stored."""
    return by_id(conn, ids, APP.c.raw_digest, APP.c.content_hash)


def by_id(conn: Connection, ids: Sequence[str], *cols: Any) -> dict[str, Any]:
    """application_id → the value of ``cols`` (one) or their tuple, for the stored ``ids``."""
    one = len(cols) == 1
    if len(ids) > 20 * CHUNK:  # a big batch: one scan beats many IN lists
        wanted = set(ids)
        rows = conn.execute(select(APP.c.application_id, *cols))
        return {r[0]: r[1] if one else tuple(r[1:]) for r in rows if r[0] in wanted}
    if conn.dialect.name == "postgresql":
        # One array parameter (an IN list binds each id), joined as a table: the planner probes
        # the primary key for each id, where ``= ANY(array)`` of thousands of ids makes it scan
        # the whole table, once per batch.
        wanted = (
            func.unnest(bindparam("ids", type_=ARRAY(String))).table_valued("id").render_derived()
        )
        query = select(APP.c.application_id, *cols).join(
            wanted, APP.c.application_id == wanted.c.id
        )
        rows = conn.execute(query, {"ids": list(ids)})
        return {r[0]: r[1] if one else tuple(r[1:]) for r in rows}
    out: dict[str, Any] = {}
    for part in chunks(ids):
        query = select(APP.c.application_id, *cols).where(APP.c.application_id.in_(part))
        out.update({r[0]: r[1] if one else tuple(r[1:]) for r in conn.execute(query)})
    return out


def has_applications(conn: Connection) -> bool:
    return conn.execute(select(APP.c.application_id).limit(1)).first() is not None


def set_digests(conn: Connection, digests: dict[str, str]) -> None:
    """Store the raw digest of records whose content is unchanged (read from another row)."""
    if digests:
        conn.execute(
            update(APP)
            .where(APP.c.application_id == bindparam("b_id"))
            .values(raw_digest=bindparam("raw_digest")),
            [{"b_id": a, "raw_digest": d} for a, d in digests.items()],
        )
