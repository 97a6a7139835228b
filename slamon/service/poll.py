"""One poll cycle: fetch → validate → upsert → record transitions → evaluate SLA → plan → commit.

Everything after the fetch runs in ONE transaction: a failure anywhere leaves the store exactly as
it was before the cycle (only a failed entry in the poll-run log is written, separately), and
re-running is always safe because unchanged rows are untouched and notices are keyed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from slamon.adapters.sources.base import FetchResult, RawRow, Source
from slamon.adapters.store import applications, bulk_load, contents, histories, outbox, runs
from slamon.adapters.store.bulk import StampMemo
from slamon.adapters.store.read_scratch import ReadScratch
from slamon.core.cursors import cursor_text, parse_cursor
from slamon.core.history import History, observe
from slamon.core.records import ApplicationRecord, RowError, raw_application_id
from slamon.core.row_checks import RowLimits
from slamon.core.secrets import mask_secrets
from slamon.runtime import Runtime
from slamon.service.batch_validation import RowChecks, ValidatedBatch, validate_batch
from slamon.service.doubts import remember_batch, settle_issues
from slamon.service.evaluation import evaluate_after_read, evaluate_records
from slamon.service.garbage_collector import fewer_collections
from slamon.service.poll_summary import PollSummary, empty_read_note
from slamon.service.read_process import validated_batches
from slamon.service.reconcile import cursor_key, future_note, record_future, settle_full_read

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

log = logging.getLogger("slamon.poll")
PROGRESS_EVERY = 100_000  # rows between progress lines in the log

# Called inside the poll transaction after SLA evaluation; returns the number of notices planned.
# default_planner() gives the mail planner (slamon.service.notices); tests may leave it empty.
Planner = Callable[["Connection", Runtime, dt.datetime], int]


class _DryRun(Exception):
    """Raised at the end of a dry-run cycle to roll the transaction back."""


def default_planner() -> Planner:
    """The mail planner (imported late: the poll service does not need mail to be importable)."""
    from slamon.service.notices import plan_notices

    return plan_notices


def run_poll_cycle(
    engine: Engine,
    rt: Runtime,
    source: Source,
    now: dt.datetime,
    *,
    dry_run: bool = False,
    planner: Planner | None = None,
    incremental: bool = True,
    full: bool = False,
    progress: Callable[[int], None] | None = None,
) -> PollSummary:
    """Fetch from ``source`` and apply it to the store as of ``now`` (aware).

    ``full``: a reconciliation — re-read every row (sources that can), report what incremental
    polling missed, hold applications gone from the platform. A database is read in batches
    through a server-side cursor (``progress`` is told the rows done after each).
    """
    key = cursor_key(source)
    with engine.connect() as conn:
        raw_since = runs.get_meta(conn, key) if incremental and not full else None
        imported = runs.imported_hashes(conn)
        filled = contents.has_applications(conn)
    since = parse_cursor(raw_since)
    if hasattr(source, "batches"):  # a database: streamed, knows the clock, can read in full
        db: Any = source
        from_start = full or since is None or not db.incremental

        def found() -> FetchResult:
            state = db.last_read
            notes = [empty_read_note(full)] if from_start and not state.rows else []
            if notes:
                log.warning("poll.empty_read source=%s full=%s", source.name, full)
            return FetchResult(
                rows=[], cursor=state.cursor, future=state.future, complete=full, notes=notes
            )

        if from_start:  # the whole table: in a reader process
            store_url = _shared_url(engine) if filled else None
            batches: Iterable[Any] = validated_batches(
                db, since, now, full, row_checks(rt), store_url, engine.dialect.name != "sqlite"
            )
        else:
            batches = db.batches(since, now=now, full=full)
        return apply_batches(
            engine,
            rt,
            source.name,
            batches,
            found,
            now,
            dry_run=dry_run,
            planner=planner,
            cursor=key,
            complete=full,
            progress=progress,
        )
    try:
        fetched = source.fetch(since, imported)
    except Exception as exc:
        _log_failed_run(engine, source.name, now, exc)
        raise
    return apply_fetch(
        engine, rt, source.name, fetched, now, dry_run=dry_run, planner=planner, cursor=key
    )


def _shared_url(engine: Engine) -> str | None:
    """The store's URL for another process (None for a SQLite database in memory)."""
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        return None
    return url.render_as_string(hide_password=False)


def apply_fetch(
    engine: Engine,
    rt: Runtime,
    source_name: str,
    fetched: FetchResult,
    now: dt.datetime,
    *,
    dry_run: bool = False,
    planner: Planner | None = None,
    cursor: str | None = None,
) -> PollSummary:
    """Validate and store one fetch in a single transaction: a failure anywhere rolls it all back."""
    return apply_batches(
        engine,
        rt,
        source_name,
        [fetched.rows],
        lambda: fetched,
        now,
        dry_run=dry_run,
        planner=planner,
        cursor=cursor,
        complete=fetched.complete,
    )


def apply_batches(
    engine: Engine,
    rt: Runtime,
    source_name: str,
    batches: Iterable[Sequence[RawRow] | ValidatedBatch],
    result: Callable[[], FetchResult],
    now: dt.datetime,
    *,
    dry_run: bool = False,
    planner: Planner | None = None,
    cursor: str | None = None,
    complete: bool = False,
    progress: Callable[[int], None] | None = None,
) -> PollSummary:
    """Validate, store and evaluate a read batch by batch, in ONE transaction (a failure anywhere
    rolls it all back); memory holds one batch, not the read. A batch comes as read (validated
    here) or already validated (by a reader process). ``result`` gives what the read found
    besides its rows (cursor, future rows, files, notes) once the batches are consumed."""
    summary = PollSummary(source=source_name, dry_run=dry_run)
    try:
        with fewer_collections(), engine.begin() as conn:
            runs.lock_polls(conn)
            summary.run_id = runs.start_run(conn, source_name, now)
            read = _Read(conn, rt, source_name, now, summary, row_checks(rt), ReadScratch(conn))
            deferred = bulk_load.defer_indexes(conn)  # a first read: indexes built at its end
            read.fresh = bool(deferred)  # the store held no application when the read began
            for batch in batches:
                read.store_batch(batch)
                if progress is not None:
                    progress(summary.fetched)
            bulk_load.restore_indexes(conn, deferred)
            read.finish(result(), cursor or cursor_key(source_name), planner)
            if dry_run:
                raise _DryRun
    except _DryRun:
        log.info("poll.dry_run source=%s planned=%d", source_name, summary.planned)
    except Exception as exc:
        _log_failed_run(engine, source_name, now, exc)
        raise
    log.info(
        "poll.done source=%s fetched=%d inserted=%d updated=%d unchanged=%d rejected=%d evaluated=%d",
        source_name,
        summary.fetched,
        summary.inserted,
        summary.updated,
        summary.unchanged,
        summary.rejected,
        summary.evaluated,
    )
    return summary


@dataclasses.dataclass
class _Read:
    """One read inside its transaction: the steps :func:`apply_batches` takes."""

    conn: Connection
    rt: Runtime
    source: str
    now: dt.datetime
    summary: PollSummary
    checks: RowChecks
    scratch: ReadScratch  # what the read delivered so far, in the store
    fresh: bool = False  # the store held no application when the read began
    touched: set[str] = dataclasses.field(default_factory=set)  # data issue opened or closed
    evaluated: int = 0

    def store_batch(self, batch: Sequence[RawRow] | ValidatedBatch) -> None:
        """Validate (unless a reader process did), store, settle doubts and evaluate one batch."""
        conn, now, summary = self.conn, self.now, self.summary
        part = PollSummary(source=self.source, run_id=summary.run_id)
        if not isinstance(batch, ValidatedBatch):
            batch = validate_batch(batch, self.checks)
        records, hashes, rejections = batch.records, batch.hashes, batch.rejections
        part.rejected, part.errors = len(rejections), [e for _r, e in rejections]
        earlier = remember_batch(self.scratch, hashes, rejections)
        # Into an empty store, only what this read delivered before can be stored.
        stored = [a for a in hashes if a in earlier] if self.fresh else list(hashes)
        changed, new = _upsert(conn, batch, stored, self.source, part, now)
        _store_rejections(conn, self.source, list(hashes), batch.refs, rejections, part, now)
        self.touched |= settle_issues(
            conn, records, rejections, batch.conflicts, part, now, self.scratch, earlier, hashes
        )
        self.evaluated += len(evaluate_records(conn, self.rt, changed, now, new))
        summary.absorb(part, len(batch.refs))
        if (
            summary.fetched // PROGRESS_EVERY
            > (summary.fetched - len(batch.refs)) // PROGRESS_EVERY
        ):
            log.info("poll.progress source=%s rows=%d", self.source, summary.fetched)

    def finish(self, fetched: FetchResult, cursor: str, planner: Planner | None) -> None:
        """What the read found besides its rows, the open applications, the cursor, the plan."""
        conn, rt, now, summary = self.conn, self.rt, self.now, self.summary
        summary.full, summary.future = fetched.complete, len(fetched.future)
        summary.notes.extend(fetched.notes)
        note = future_note(fetched.future, rt.tz)
        if note:
            summary.notes.append(note)
        if fetched.complete:
            self.touched |= settle_full_read(conn, self.source, self.scratch, summary, now)
        self.scratch.drop()
        summary.evaluated = self.evaluated
        # open applications a batch did not evaluate already, and every one whose issue moved
        evaluate_after_read(conn, rt, [], summary, now, self.touched, evaluated_at=now)
        if fetched.cursor is not None:
            runs.set_meta(conn, cursor, cursor_text(fetched.cursor))
        record_future(conn, fetched)
        runs.mark_imported(conn, [(f.sha256, f.name) for f in fetched.files], summary.run_id, now)
        if planner is not None:
            summary.planned = planner(conn, rt, now)
            summary.preview = _planned_this_cycle(conn, now)
        runs.finish_run(
            conn,
            summary.run_id,
            now,
            fetched=summary.fetched,
            inserted=summary.inserted,
            updated=summary.updated,
            unchanged=summary.unchanged,
            rejected=summary.rejected,
        )


def _planned_this_cycle(conn: Connection, now: dt.datetime) -> list[dict[str, Any]]:
    """The outbox rows this cycle wrote, for ``poll --dry-run`` and ``--json``."""
    return [
        {**r, "recipients": json.loads(r["recipients"]), "not_before": r["not_before"].isoformat()}
        for r in outbox.planned_at(conn, now)
    ]


def row_checks(rt: Runtime) -> RowChecks:
    """What validating a row needs, from the runtime (plain data: a reader process takes it)."""
    cal = rt.calendar
    limits = RowLimits.for_calendar(cal.first_year, cal.last_year, applications.text_limits())
    return RowChecks(rt.tz, rt.settings.aliases or {}, rt.settings.words, limits)


def _upsert(
    conn: Connection,
    batch: ValidatedBatch,
    maybe_stored: list[str],
    source: str,
    summary: PollSummary,
    now: dt.datetime,
) -> tuple[list[ApplicationRecord], set[str]]:
    """Insert new and update changed applications with their history; return those touched and
    the ids of the new ones. ``maybe_stored``: the ids that may already be in the store. Rows
    the reader found unchanged (their raw digest stored) are not looked at; an unchanged record
    read from another row keeps its content and takes the row's digest. (An id the reader found
    unchanged after an earlier batch of the same read changed it keeps that batch's content; it
    is held as conflicting rows either way: see service.doubts.)"""
    records, hashes, digests = batch.records, batch.hashes, batch.digests
    wanted = [a for a in maybe_stored if a not in batch.unchanged]
    stored = contents.stored_contents(conn, wanted)
    new, changed, restamp = [], [], {}
    for r in records:
        aid = r.application_id
        before = stored.get(aid)
        if before is None:
            new.append(r)
        elif before[1] != hashes[aid]:
            changed.append(r)
        elif before[0] != digests.get(aid) and aid in digests:
            restamp[aid] = digests[aid]
    summary.inserted, summary.updated = len(new), len(changed)
    summary.unchanged = len(records) - len(new) - len(changed) + len(batch.unchanged)
    old = applications.load_records(conn, [r.application_id for r in changed])
    memo = StampMemo()  # datetimes converted once for both inserts
    applications.insert_applications(conn, new, hashes, source, now, memo, digests)
    applications.update_applications(conn, changed, hashes, source, now, digests)
    contents.set_digests(conn, restamp)
    applications.insert_events(conn, new + changed, old, summary.run_id, now, memo)
    changed = _remember(conn, changed, old, now)
    return new + changed, {r.application_id for r in new}


def _remember(
    conn: Connection,
    changed: list[ApplicationRecord],
    old: dict[str, ApplicationRecord],
    now: dt.datetime,
) -> list[ApplicationRecord]:
    """Fold each change into its application's history (core/history) and store the histories
    that moved; return the changed records with their histories, as the engine judges them."""
    moved: dict[str, History | None] = {}
    out = []
    for r in changed:
        before = old[r.application_id]
        h = observe(before, r, before.history, now)
        if h != before.history:
            moved[r.application_id] = h
        out.append(r if h is None else dataclasses.replace(r, history=h))
    histories.save(conn, moved, now)
    return out


def _store_rejections(
    conn: Connection,
    source: str,
    valid: list[str],
    refs: Sequence[str],
    rejections: list[tuple[RawRow, RowError]],
    summary: PollSummary,
    now: dt.datetime,
) -> None:
    known = runs.rejected_refs(conn, source)
    bad_refs = {raw.ref for raw, _e in rejections}
    fixed = known & (set(refs) - bad_refs)
    if fixed:
        runs.clear_rejections(conn, source, sorted(fixed))
    runs.record_rejections(
        conn,
        source,
        [
            (
                raw.ref,
                err.field,
                err.message,
                json.dumps(dict(raw.data), ensure_ascii=False, default=str),
                raw_application_id(raw.data),
            )
            for raw, err in rejections
        ],
        summary.run_id,
        now,
    )
    # A good row settles earlier rejected rows of its application (any file, any source) unless
    # the same read also brought a bad row for it (then it is doubtful: see service.doubts).
    rejected_now = {raw_application_id(raw.data) for raw, _e in rejections}
    runs.settle_rejections(conn, [a for a in valid if a not in rejected_now], now)


def _log_failed_run(engine: Engine, source: str, now: dt.datetime, exc: BaseException) -> None:
    """Record a failed cycle in its own transaction (the cycle itself was rolled back)."""
    message = mask_secrets(f"{exc.__class__.__name__}: {exc}")[:2000]
    log.error("poll.failed source=%s error=%s", source, message)
    try:
        runs.record_failed_run(engine, source, now, message)
    except Exception:  # the store itself may be what failed
        log.exception("poll.failed_run_not_recorded source=%s", source)
