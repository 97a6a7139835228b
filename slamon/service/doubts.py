"""Doubtful data is held, not guessed: which applications a read puts on hold (data_issue) and
which a good row releases. Runs inside the poll transaction; the issues live in
:mod:`slamon.adapters.store.data_issues`.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from slamon.adapters.sources.base import RawRow
from slamon.adapters.store import applications, data_issues
from slamon.adapters.store.read_scratch import ReadScratch
from slamon.core.records import ApplicationRecord, RowError, raw_application_id
from slamon.core.vocabulary import CONFLICTING_ROWS, REJECTED_UPDATE

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

log = logging.getLogger("slamon.poll")


def content_key(content_hash: str) -> int:
    """The content hash as the integer the read's scratch table keeps (60 of its 96 bits)."""
    return int(content_hash[:15], 16)


def remember_batch(
    scratch: ReadScratch,
    hashes: dict[str, str],
    rejections: list[tuple[RawRow, RowError]],
) -> dict[str, int | None]:
    """Record one batch's ids in the read's scratch (valid ids with their content, ids of rejected
    rows only without); return what earlier batches of the read delivered for these ids."""
    contents: dict[str, int | None] = {aid: content_key(h) for aid, h in hashes.items()}
    for raw, _err in rejections:
        aid = raw_application_id(raw.data)
        if aid is not None and aid not in contents:
            contents[aid] = None
    return scratch.remember(contents)


def settle_issues(
    conn: Connection,
    records: list[ApplicationRecord],
    rejections: list[tuple[RawRow, RowError]],
    conflicts: dict[str, str],
    summary: Any,
    now: dt.datetime,
    scratch: ReadScratch,
    earlier: dict[str, int | None],
    hashes: dict[str, str],
) -> set[str]:
    """Hold doubtful applications (data_issue) and release those a good row settled.

    Doubtful: a rejected row for an application already known (stored, or valid elsewhere in this
    read), or one id with different content twice in this read. A rejected row for an id never
    seen is just a rejected row. ``earlier`` is what the read's earlier batches delivered for
    this batch's ids (:func:`remember_batch`; kept in the store, so memory holds one batch);
    ``hashes`` the content hash of each valid record. Returns the ids whose issue opened or closed.
    """
    conflicts = dict(conflicts)
    valid = set(hashes)  # the records' ids and those of rows unchanged since stored
    rejected_ids: dict[str, str] = {}
    for raw, err in rejections:
        aid = raw_application_id(raw.data)
        if aid is not None:
            rejected_ids.setdefault(aid, str(err))
    for aid, h in hashes.items():
        before = earlier.get(aid)
        if before is not None and before != content_key(h):
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


def held_ids(engine: Engine) -> set[str]:
    """The applications with an open data issue: never judged in a report, a digest or the
    history."""
    with engine.connect() as conn:
        return set(data_issues.open_issues(conn))
