"""SLA evaluation after a read: a batch's changed records, then the open and touched ones, or
everything when the calendar or the rules changed (logging each deadline that moved, and reporting
the moves in the poll's notes: see service/calendar_update.py)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Container
from typing import TYPE_CHECKING, Any

from slamon.adapters.store import applications, data_issues, runs
from slamon.core.records import ApplicationRecord
from slamon.core.sla import SlaState, evaluate, holding, still_holds
from slamon.runtime import Runtime
from slamon.service.calendar_update import deadline_update, remember_calendar, update_notes

if TYPE_CHECKING:
    from sqlalchemy import Connection

log = logging.getLogger("slamon.poll")


def evaluate_after_read(
    conn: Connection,
    rt: Runtime,
    changed: list[ApplicationRecord],
    summary: Any,
    now: dt.datetime,
    touched: set[str] | None = None,
    evaluated_at: dt.datetime | None = None,
) -> None:
    """Evaluate changed and open applications, and those whose data issue opened or closed
    (open ones already evaluated at ``evaluated_at``, batch by batch in this read, are not
    evaluated again unless touched, nor those whose stored state still holds at ``now``: see
    :func:`slamon.core.sla.still_holds`; only states that moved are written); everything when
    the calendar or rules changed."""
    fingerprint = rt.fingerprint()
    previous = runs.get_meta(conn, "fingerprint")
    if previous is not None and previous != fingerprint:
        summary.evaluated, moves = reevaluate_all(conn, rt, now, previous, fingerprint)
        summary.deadline_changes = len(moves)
        summary.deadline_update = deadline_update(conn, rt, moves)
        summary.notes.extend(update_notes(summary.deadline_update, rt.tz))
        return
    targets = {r.application_id: r for r in changed}
    moved = holding(fingerprint, now, rt.rules, rt.tz)  # only those that may have moved
    open_states = applications.open_sla(conn, not_evaluated_at=evaluated_at, moved=moved)
    wanted = [*_stale(open_states, rt, fingerprint, now), *(touched or ())]
    missing = [i for i in dict.fromkeys(wanted) if i not in targets]
    targets.update(applications.load_records(conn, missing))
    stored = applications.load_sla(conn, list(targets)) if targets else {}
    states = _evaluate_all(targets.values(), rt, now, data_issues.open_issues(conn))
    applications.save_sla(conn, states, set(stored), fingerprint, now, stored)
    if previous is None:
        runs.set_meta(conn, "fingerprint", fingerprint)
    remember_calendar(conn, rt, unless_known=True)
    summary.evaluated += len(states)


def _stale(states: Any, rt: Runtime, fingerprint: str, now: dt.datetime) -> list[str]:
    """The open applications (:func:`applications.open_sla`) whose stored state may not be their
    state at ``now``; the others are neither loaded nor evaluated: an idle poll costs little."""
    rules, tz = rt.rules, rt.tz
    return [
        aid
        for aid, rule_id, deadline, fp, at in states
        if fp != fingerprint or not still_holds(rule_id, deadline, at, now, rules, tz)
    ]


def evaluate_records(
    conn: Connection,
    rt: Runtime,
    records: list[ApplicationRecord],
    now: dt.datetime,
    new: Container[str] = (),
) -> set[str]:
    """Evaluate and save the SLA state of ``records`` (one batch of a read); return their ids.
    ``new``: ids stored for the first time just now (they have no SLA state yet)."""
    if not records:
        return set()
    ids = [r.application_id for r in records]
    existing = set(applications.load_sla(conn, [i for i in ids if i not in new]).keys())
    states = _evaluate_all(records, rt, now, data_issues.open_issues(conn, ids))
    applications.save_sla(conn, states, existing, rt.fingerprint(), now)
    return set(ids)


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
) -> tuple[int, list[dict[str, Any]]]:
    """Recompute every application's SLA state; return how many were evaluated and the deadlines
    that moved (logging each move)."""
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
    return len(states), moves
