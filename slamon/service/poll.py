"""One poll cycle: fetch → validate → upsert → record transitions → evaluate SLA → plan → commit.

Everything after the fetch runs in ONE transaction: a failure anywhere leaves the store exactly as
it was before the cycle (only a failed entry in the poll-run log is written, separately), and
re-running is always safe because unchanged rows are untouched and notices are keyed.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from slamon.adapters.sources.base import FetchResult, RawRow, Source
from slamon.adapters.store import applications, data_issues, outbox, runs
from slamon.core.mojibake import check_names
from slamon.core.records import (
    ApplicationRecord,
    RowError,
    in_user_terms,
    raw_application_id,
    validate_row,
)
from slamon.core.row_checks import RowLimits, check_raw, check_row
from slamon.core.secrets import mask_secrets
from slamon.core.sla import SlaState, evaluate
from slamon.runtime import Runtime
from slamon.service.doubts import settle_issues
from slamon.service.reconcile import cursor_key, future_note, record_future, settle_full_read

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

log = logging.getLogger("slamon.poll")

# Called inside the poll transaction after SLA evaluation; returns the number of notices planned.
# The mail package installs its planner here (see slamon.notify); tests may leave it empty.
Planner = Callable[["Connection", Runtime, dt.datetime], int]


@dataclass
class PollSummary:
    source: str
    run_id: int | None = None
    fetched: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[RowError] = field(default_factory=list)
    evaluated: int = 0
    deadline_changes: int = 0
    data_issues: int = 0  # applications held back as doubtful by this read
    issues_cleared: int = 0  # applications a good row settled
    planned: int = 0
    missed: int = 0  # a full read: rows incremental polling had missed (new or changed)
    deleted: int = 0  # a full read: applications gone from the platform
    future: int = 0  # rows whose updated_at lies in the future (they did not move the cursor)
    full: bool = False
    notes: list[str] = field(default_factory=list)
    dry_run: bool = False
    preview: list[dict[str, Any]] = field(default_factory=list)  # notices planned this cycle

    def as_import_json(self) -> dict[str, Any]:
        """The ``import --json`` shape of CONTRACT §2."""
        return {
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "errors": [
                {"row": e.row, "field": e.field, "header": e.header, "message": e.message}
                for e in self.errors
            ],
        }


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
) -> PollSummary:
    """Fetch from ``source`` and apply it to the store as of ``now`` (aware).

    ``full``: a reconciliation — re-read every row (sources that can), report what incremental
    polling missed, hold applications gone from the platform.
    """
    key = cursor_key(source)
    with engine.connect() as conn:
        raw_since = runs.get_meta(conn, key) if incremental and not full else None
        imported = runs.imported_hashes(conn)
    since = dt.datetime.fromisoformat(raw_since) if raw_since else None
    try:
        if hasattr(source, "cursor_identity"):  # a database: knows the clock, can read in full
            fetched = source.fetch(since, imported, now=now, full=full)  # type: ignore[call-arg]
        else:
            fetched = source.fetch(since, imported)
    except Exception as exc:
        _log_failed_run(engine, source.name, now, exc)
        raise
    return apply_fetch(
        engine, rt, source.name, fetched, now, dry_run=dry_run, planner=planner, cursor=key
    )


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
    summary = PollSummary(
        source=source_name,
        fetched=len(fetched.rows),
        notes=list(fetched.notes),
        dry_run=dry_run,
        full=fetched.complete,
        future=len(fetched.future),
    )
    note = future_note(fetched.future, rt.tz)
    if note:
        summary.notes.append(note)
    try:
        with engine.begin() as conn:
            runs.lock_polls(conn)
            summary.run_id = runs.start_run(conn, source_name, now)
            records, rejections, conflicts = _validate(fetched.rows, rt, summary)
            changed = _upsert(conn, records, source_name, summary, now)
            _store_rejections(conn, source_name, records, fetched.rows, rejections, summary, now)
            touched = settle_issues(conn, records, rejections, conflicts, summary, now)
            if fetched.complete:
                touched |= settle_full_read(conn, source_name, records, rejections, summary, now)
            _evaluate(conn, rt, changed, summary, now, touched)
            if fetched.cursor is not None:
                key = cursor or cursor_key(source_name)
                runs.set_meta(conn, key, fetched.cursor.isoformat())
            record_future(conn, fetched)
            runs.mark_imported(
                conn, [(f.sha256, f.name) for f in fetched.files], summary.run_id, now
            )
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


def _planned_this_cycle(conn: Connection, now: dt.datetime) -> list[dict[str, Any]]:
    """The outbox rows this cycle wrote, for ``poll --dry-run`` and ``--json``."""
    return [
        {**r, "recipients": json.loads(r["recipients"]), "not_before": r["not_before"].isoformat()}
        for r in outbox.planned_at(conn, now)
    ]


def _validate(
    rows: Sequence[RawRow], rt: Runtime, summary: PollSummary
) -> tuple[list[ApplicationRecord], list[tuple[RawRow, RowError]], dict[str, str]]:
    """Valid records (the last occurrence of an id is stored), rejections, and the ids that came
    twice with different content (id → detail naming the rows)."""
    tz, aliases = rt.tz, rt.settings.aliases
    cal = rt.calendar
    limits = RowLimits.for_calendar(cal.first_year, cal.last_year, applications.text_limits())
    by_id: dict[str, ApplicationRecord] = {}
    refs: dict[str, list[str]] = {}
    hashes: dict[str, set[str]] = {}
    rejections: list[tuple[RawRow, RowError]] = []
    for raw in rows:
        try:
            check_raw(raw.data, raw.ref)
            rec = validate_row(raw.data, raw.ref, tz, aliases, rt.settings.words)
            check_row(rec, raw.ref, limits)
            check_names(rec, raw.ref)
        except RowError as err:  # reasons name the fields as the user's file does
            rejections.append((raw, in_user_terms(err, raw.data)))
            continue
        aid = rec.application_id
        if aid in by_id:
            hashes.setdefault(aid, {by_id[aid].content_hash()}).add(rec.content_hash())
        by_id[aid] = rec
        refs.setdefault(aid, []).append(str(raw.ref))
    conflicts = {
        aid: f"同一次读取中第 {'、'.join(refs[aid])} 行内容不同"
        for aid, seen in hashes.items()
        if len(seen) > 1
    }
    summary.rejected = len(rejections)
    summary.errors = [e for _r, e in rejections]
    return list(by_id.values()), rejections, conflicts


def _upsert(
    conn: Connection,
    records: list[ApplicationRecord],
    source: str,
    summary: PollSummary,
    now: dt.datetime,
) -> list[ApplicationRecord]:
    """Insert new and update changed applications with their history; return those touched."""
    stored = applications.existing_hashes(conn, [r.application_id for r in records])
    hashes = {r.application_id: r.content_hash() for r in records}
    new, changed = [], []
    for r in records:
        old_hash = stored.get(r.application_id)
        if old_hash is None:
            new.append(r)
        elif old_hash != hashes[r.application_id]:
            changed.append(r)
    summary.inserted, summary.updated = len(new), len(changed)
    summary.unchanged = len(records) - len(new) - len(changed)
    old = applications.load_records(conn, [r.application_id for r in changed])
    memo: dict[int, Any] = {}  # datetimes converted once for both inserts
    applications.insert_applications(conn, new, hashes, source, now, memo)
    applications.update_applications(conn, changed, hashes, source, now)
    applications.insert_events(conn, new + changed, old, summary.run_id, now, memo)
    return new + changed


def _store_rejections(
    conn: Connection,
    source: str,
    records: list[ApplicationRecord],
    rows: Sequence[RawRow],
    rejections: list[tuple[RawRow, RowError]],
    summary: PollSummary,
    now: dt.datetime,
) -> None:
    known = runs.rejected_refs(conn, source)
    bad_refs = {raw.ref for raw, _e in rejections}
    fixed = known & ({r.ref for r in rows} - bad_refs)
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
    runs.settle_rejections(
        conn, [r.application_id for r in records if r.application_id not in rejected_now], now
    )


def _evaluate(
    conn: Connection,
    rt: Runtime,
    changed: list[ApplicationRecord],
    summary: PollSummary,
    now: dt.datetime,
    touched: set[str] | None = None,
) -> None:
    """Evaluate changed and open applications, and those whose data issue opened or closed;
    everything when the calendar or rules changed."""
    fingerprint = rt.fingerprint()
    previous = runs.get_meta(conn, "fingerprint")
    if previous is not None and previous != fingerprint:
        summary.evaluated, summary.deadline_changes = reevaluate_all(
            conn, rt, now, previous, fingerprint
        )
        return
    targets = {r.application_id: r for r in changed}
    wanted = [*applications.open_application_ids(conn), *(touched or ())]
    missing = [i for i in dict.fromkeys(wanted) if i not in targets]
    targets.update(applications.load_records(conn, missing))
    existing = set(applications.load_sla(conn, list(targets)).keys()) if targets else set()
    states = _evaluate_all(targets.values(), rt, now, data_issues.open_issues(conn))
    applications.save_sla(conn, states, existing, fingerprint, now)
    if previous is None:
        runs.set_meta(conn, "fingerprint", fingerprint)
    summary.evaluated = len(states)


def _evaluate_all(
    records: Any, rt: Runtime, now: dt.datetime, issues: dict[str, Any]
) -> list[SlaState]:
    rules, cal, tz = rt.rules, rt.calendar, rt.tz
    out = []
    for r in records:
        issue = issues.get(r.application_id)
        out.append(evaluate(r, now, rules, cal, tz, issue[0] if issue else None))
    return out


def reevaluate_all(
    conn: Connection,
    rt: Runtime,
    now: dt.datetime,
    previous: str | None = None,
    fingerprint: str | None = None,
) -> tuple[int, int]:
    """Recompute every application's SLA state; return (evaluated, deadlines moved), logging each move."""
    fingerprint = fingerprint or rt.fingerprint()
    old = applications.load_sla(conn)
    issues = data_issues.open_issues(conn)
    states = _evaluate_all(applications.iter_all_records(conn), rt, now, issues)
    moves = []
    for s in states:
        before = old.get(s.application_id)
        if before is not None and (
            before["deadline"] != s.deadline or before["rule_id"] != s.rule_id
        ):
            moves.append(
                {
                    "application_id": s.application_id,
                    "old_deadline": before["deadline"],
                    "new_deadline": s.deadline,
                    "old_rule_id": before["rule_id"],
                    "new_rule_id": s.rule_id,
                    "old_fingerprint": before["fingerprint"],
                    "new_fingerprint": fingerprint,
                    "changed_at": now,
                }
            )
            log.warning(
                "sla.deadline_moved application_id=%s old=%s new=%s",
                s.application_id,
                before["deadline"],
                s.deadline,
            )
    applications.replace_all_sla(conn, states, fingerprint, now)
    applications.insert_deadline_changes(conn, moves)
    runs.set_meta(conn, "fingerprint", fingerprint)
    return len(states), len(moves)


def _log_failed_run(engine: Engine, source: str, now: dt.datetime, exc: BaseException) -> None:
    """Record a failed cycle in its own transaction (the cycle itself was rolled back)."""
    message = mask_secrets(f"{exc.__class__.__name__}: {exc}")[:2000]
    log.error("poll.failed source=%s error=%s", source, message)
    try:
        runs.record_failed_run(engine, source, now, message)
    except Exception:  # the store itself may be what failed
        log.exception("poll.failed_run_not_recorded source=%s", source)
