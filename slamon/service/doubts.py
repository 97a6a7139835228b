"""Doubtful data is held, not guessed: which applications a read puts on hold (data_issue) and
which a good row releases. Runs inside the poll transaction; the issues live in
:mod:`slamon.adapters.store.data_issues`.
"""

from __future__ import annotations

import datetime as dt
import logging
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from slamon.adapters.sources.base import RawRow
from slamon.adapters.store import applications, data_issues
from slamon.adapters.store.read_scratch import ReadScratch
from slamon.core.records import FIELDS, ApplicationRecord, RowError, raw_application_id
from slamon.core.vocabulary import CONFLICTING_ROWS, REJECTED_UPDATE

if TYPE_CHECKING:
    from sqlalchemy import Connection

log = logging.getLogger("slamon.poll")


_content = attrgetter(*(f for f in FIELDS if f != "updated_at"))


def settle_issues(
    conn: Connection,
    records: list[ApplicationRecord],
    rejections: list[tuple[RawRow, RowError]],
    conflicts: dict[str, str],
    summary: Any,
    now: dt.datetime,
    scratch: ReadScratch,
) -> set[str]:
    """Hold doubtful applications (data_issue) and release those a good row settled.

    Doubtful: a rejected row for an application already known (stored, or valid elsewhere in this
    read), or one id with different content twice in this read. A rejected row for an id never
    seen is just a rejected row. ``scratch`` is what the read's earlier batches delivered (kept
    in the store, so memory holds one batch). Returns the ids whose issue opened or closed.
    """
    conflicts = dict(conflicts)
    valid = {r.application_id for r in records}
    rejected_ids: dict[str, str] = {}
    for raw, err in rejections:
        aid = raw_application_id(raw.data)
        if aid is not None:
            rejected_ids.setdefault(aid, str(err))
    # cheap; same meaning as the content hash (all fields but updated_at)
    contents: dict[str, int | None] = {r.application_id: hash(_content(r)) for r in records}
    contents.update({a: None for a in rejected_ids if a not in valid})
    earlier = scratch.remember(contents)
    for aid, h in contents.items():
        before = earlier.get(aid)
        if h is not None and before is not None and before != h:
            conflicts.setdefault(aid, "同一次读取的不同批次中内容不同")
    unknown = [a for a in rejected_ids if a not in valid]
    known = valid | {a for a in unknown if earlier.get(a) is not None}
    known |= set(applications.existing_hashes(conn, [a for a in unknown if a not in known]))
    doubts = [(aid, REJECTED_UPDATE, d) for aid, d in rejected_ids.items() if aid in known]
    doubts += [
        (aid, CONFLICTING_ROWS, d) for aid, d in conflicts.items() if aid not in rejected_ids
    ]
    marked = data_issues.mark(conn, doubts, now, summary.run_id)
    scratch.hold(marked)
    held = set(marked)
    current = data_issues.open_issues(conn, list(valid))
    candidates = [a for a in valid if a in current and a not in held]
    held_earlier = scratch.held_among(candidates)
    settled = [a for a in candidates if a not in held_earlier]
    cleared = data_issues.clear(conn, settled, now)
    summary.data_issues, summary.issues_cleared = len(marked), len(cleared)
    if marked:
        log.warning("poll.data_issues held=%d", len(marked))
    return held | set(cleared)
