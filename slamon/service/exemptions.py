"""Exemptions (核实排除): record, revoke and list; every change is a new fact, none is deleted.

An exempted application gets no notice (planning and the delivery re-check skip it), is never in a
report's ``late`` list nor in the ranking; the report's data-quality note lists it with its reason.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from slamon.adapters.store import exemptions as store
from slamon.core.errors import InputError
from slamon.core.periods import Month
from slamon.core.times import stored_utc
from slamon.runtime import Runtime

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

EXEMPT = store.EXEMPT
REVOKE = store.REVOKE
ACTION_NAMES = {EXEMPT: "核实排除", REVOKE: "撤销排除"}
DEFAULT_BY = "未署名"
MAX_REASON = 2000


@dataclass(frozen=True)
class ExemptionFact:
    application_id: str
    action: str  # exempt / revoke
    reason: str
    by: str
    at: dt.datetime
    provider_dept: str | None = None
    resource_name: str | None = None
    submitted_at: dt.datetime | None = None  # the application's, when it is in the store

    def as_json(self, tz: dt.tzinfo) -> dict[str, Any]:
        return {
            "application_id": self.application_id,
            "action": self.action,
            "reason": self.reason,
            "by": self.by,
            "at": stored_utc(self.at).astimezone(tz).isoformat(timespec="seconds"),
            "provider_dept": self.provider_dept,
            "resource_name": self.resource_name,
        }


@dataclass
class ExemptionResult:
    """What an ``exempt`` or ``revoke`` call did."""

    action: str
    recorded: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # already exempted / not exempted


def _fact(row: dict[str, Any]) -> ExemptionFact:
    return ExemptionFact(
        application_id=row["application_id"],
        action=row["action"],
        reason=row["reason"],
        by=row["by"],
        at=stored_utc(row["at"]),
        provider_dept=row.get("provider_dept"),
        resource_name=row.get("resource_name"),
        submitted_at=stored_utc(row["submitted_at"]) if row.get("submitted_at") else None,
    )


def _clean_ids(ids: list[str] | tuple[str, ...]) -> list[str]:
    out = list(dict.fromkeys(i.strip() for i in ids if i and i.strip()))
    if not out:
        raise InputError("请给出至少一个申请编号")
    return out


def _check_known(conn: Connection, ids: list[str]) -> None:
    unknown = [i for i in ids if i not in store.known_ids(conn, ids)]
    if unknown:
        raise InputError(f"存储库中没有申请 {'、'.join(unknown)}")


def exempt(
    engine: Engine,
    rt: Runtime,
    ids: list[str] | tuple[str, ...],
    reason: str,
    by: str | None,
    now: dt.datetime,
) -> ExemptionResult:
    """Exempt ``ids`` (核实排除) for ``reason``; those already exempted are left as they are."""
    with engine.begin() as conn:
        return exempt_in(conn, ids, reason, by, now)


def exempt_in(
    conn: Connection,
    ids: list[str] | tuple[str, ...],
    reason: str,
    by: str | None,
    now: dt.datetime,
) -> ExemptionResult:
    """:func:`exempt` inside the caller's transaction (an accepted 情况说明 and the exemption it
    makes are written together)."""
    wanted = _clean_ids(ids)
    reason = (reason or "").strip()
    if not reason:
        raise InputError("核实排除必须写明理由（--reason）")
    if len(reason) > MAX_REASON:
        raise InputError(f"理由过长（最多 {MAX_REASON} 字）")
    who = (by or "").strip() or DEFAULT_BY
    result = ExemptionResult(EXEMPT)
    _check_known(conn, wanted)
    current = store.active(conn)
    result.unchanged = [i for i in wanted if i in current]
    result.recorded = [i for i in wanted if i not in current]
    store.record_facts(conn, result.recorded, EXEMPT, reason, who, now)
    return result


def revoke(
    engine: Engine,
    rt: Runtime,
    ids: list[str] | tuple[str, ...],
    by: str | None,
    now: dt.datetime,
    reason: str | None = None,
) -> ExemptionResult:
    """Withdraw the exemption of ``ids``: a new ``revoke`` fact; those not exempted are left alone."""
    wanted = _clean_ids(ids)
    who = (by or "").strip() or DEFAULT_BY
    result = ExemptionResult(REVOKE)
    with engine.begin() as conn:
        _check_known(conn, wanted)
        current = store.active(conn)
        result.recorded = [i for i in wanted if i in current]
        result.unchanged = [i for i in wanted if i not in current]
        store.record_facts(conn, result.recorded, REVOKE, (reason or "").strip(), who, now)
    return result


def active_exemptions(conn: Connection) -> dict[str, ExemptionFact]:
    """application_id → the fact that exempted it, for every application exempted now."""
    return {aid: _fact(row) for aid, row in store.active(conn).items()}


def active_ids(engine: Engine) -> frozenset[str]:
    with engine.connect() as conn:
        return frozenset(store.active(conn))


def history(conn: Connection, application_id: str) -> list[ExemptionFact]:
    return [_fact(r) for r in store.facts(conn, [application_id])]


def list_exemptions(
    engine: Engine, rt: Runtime, month: str | Month | None = None
) -> list[ExemptionFact]:
    """Every fact, oldest first; with ``month``, the facts recorded in it and the facts about
    applications submitted in it."""
    with engine.connect() as conn:
        rows = store.facts(conn)
    facts = [_fact(r) for r in rows]
    if month is None:
        return facts
    m = Month.parse(month) if isinstance(month, str) else month
    start, end = m.start(rt.tz), m.end(rt.tz)
    return [f for f in facts if start <= f.at <= end or submitted_in(f, start, end)]


def submitted_in(f: ExemptionFact, start: dt.datetime, end: dt.datetime) -> bool:
    return f.submitted_at is not None and start <= f.submitted_at <= end
