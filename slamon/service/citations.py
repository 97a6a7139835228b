"""What a notice cites for each application it names: the governing rule (its limit and the
sentence a report quotes) and any approved extension the deadline includes.

The facts go into the item snapshots stored in the outbox, so a notice re-rendered at delivery
cites exactly what it cited when it was planned.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from slamon.adapters.store import applications
from slamon.core.report_wording import citation_sentence
from slamon.core.sla import evaluate
from slamon.runtime import Runtime

if TYPE_CHECKING:
    from sqlalchemy import Connection


def rule_facts(
    conn: Connection, rt: Runtime, ids: Sequence[str], now: dt.datetime
) -> dict[str, dict[str, Any]]:
    """application_id → {rule_id, working_days, citation, extended_by, calendar_official}
    for those under a rule."""
    out: dict[str, dict[str, Any]] = {}
    for aid, record in applications.load_records(conn, list(ids)).items():
        state = evaluate(record, now, rt.rules, rt.calendar, rt.tz)
        if state.rule_id is None:
            continue
        rule = rt.rules.get(state.rule_id)
        out[aid] = {
            "rule_id": rule.id,
            "working_days": rule.limit_for(record.share_type),
            "citation": citation_sentence(rule),
            "extended_by": int(getattr(state, "extended_by", 0) or 0),
            "calendar_official": state.calendar_official,
        }
    return out


def cite(snapshots: list[dict[str, Any]], facts: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The snapshots with their rule facts added (in place, and returned)."""
    for snap in snapshots:
        snap.update(facts.get(snap["application_id"], {}))
    return snapshots
