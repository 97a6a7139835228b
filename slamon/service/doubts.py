"""Doubtful data is held, not guessed: which applications a read puts on hold (data_issue) and
which a good row releases. Runs inside the poll transaction; the issues live in
:mod:`slamon.adapters.store.data_issues`.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from slamon.adapters.sources.base import RawRow
from slamon.adapters.store import applications, data_issues
from slamon.core.records import FIELDS, ApplicationRecord, RowError, raw_application_id
from slamon.core.vocabulary import CONFLICTING_ROWS, REJECTED_UPDATE

if TYPE_CHECKING:
    from sqlalchemy import Connection

log = logging.getLogger("slamon.poll")


_content = attrgetter(*(f for f in FIELDS if f != "updated_at"))


@dataclass
class ReadMemory:
    """What one read (all its batches) remembers: each id's content hash, to see the same id
    with other content in a later batch, and the ids held so a later batch does not release them."""

    hashes: dict[str, int] = field(default_factory=dict)
    held: set[str] = field(default_factory=set)


def settle_issues(
    conn: Connection,
    records: list[ApplicationRecord],
    rejections: list[tuple[RawRow, RowError]],
    conflicts: dict[str, str],
    summary: Any,
    now: dt.datetime,
    memory: ReadMemory | None = None,
) -> set[str]:
    """Hold doubtful applications (data_issue) and release those a good row settled.

    Doubtful: a rejected row for an application already known (stored, or valid elsewhere in this
    read), or one id with different content twice in this read. A rejected row for an id never
    seen is just a rejected row. Returns the ids whose issue opened or closed.
    """
    memory = memory if memory is not None else ReadMemory()
    conflicts = dict(conflicts)
    for r in records:
        h = hash(_content(r))  # cheap; same meaning as the content hash (all but updated_at)
        before = memory.hashes.setdefault(r.application_id, h)
        if before != h:
            conflicts.setdefault(r.application_id, "同一次读取的不同批次中内容不同")
    valid = {r.application_id for r in records}
    rejected_ids: dict[str, str] = {}
    for raw, err in rejections:
        aid = raw_application_id(raw.data)
        if aid is not None:
            rejected_ids.setdefault(aid, str(err))
    unknown = [a for a in rejected_ids if a not in valid]
    known = valid | set(applications.existing_hashes(conn, unknown))
    doubts = [(aid, REJECTED_UPDATE, d) for aid, d in rejected_ids.items() if aid in known]
    doubts += [
        (aid, CONFLICTING_ROWS, d) for aid, d in conflicts.items() if aid not in rejected_ids
    ]
    marked = data_issues.mark(conn, doubts, now, summary.run_id)
    memory.held.update(marked)
    held = set(marked)
    current = data_issues.open_issues(conn)
    settled = [a for a in valid if a in current and a not in memory.held]
    cleared = data_issues.clear(conn, settled, now)
    summary.data_issues, summary.issues_cleared = len(marked), len(cleared)
    if marked:
        log.warning("poll.data_issues held=%d", len(marked))
    return held | set(cleared)
