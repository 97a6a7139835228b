"""情况说明 (disputes): a department explains a verdict, the centre accepts or rejects it.

Submitting writes a ``dispute`` row (and its attachment) and nothing else; deciding writes one
``dispute_decision`` row — and, for an accepted one, in the same transaction, the exemption
(核实排除, service/exemptions.py) whose reason cites it: ``依据情况说明 #12：…``. Nothing is
updated or deleted; a dispute is pending until its decision exists.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from slamon.adapters.store import disputes as store
from slamon.adapters.store import exemptions as exemption_store
from slamon.core import disputes as rules
from slamon.core.disputes import ACCEPTED, PENDING, REJECTED, Attachment
from slamon.core.errors import InputError
from slamon.core.times import stored_utc
from slamon.runtime import Runtime
from slamon.service.exemptions import DEFAULT_BY, exempt_in

if TYPE_CHECKING:
    from sqlalchemy import Engine


class DisputeNotFound(InputError):
    """No such dispute or application — or one the asking department may not see (the same
    answer, so that nothing about other departments leaks)."""


@dataclass(frozen=True)
class DisputeCounts:
    received: int  # disputes (any channel) on these applications
    accepted: int
    rejected: int
    pending: int


@dataclass(frozen=True)
class DisputeView:
    id: int
    application_id: str
    department: str
    text: str
    channel: str
    by: str
    at: dt.datetime
    status: str
    attachment_name: str | None = None
    attachment_type: str | None = None
    attachment_size: int | None = None
    decision_reason: str | None = None
    decided_by: str | None = None
    decided_at: dt.datetime | None = None
    resource_name: str | None = None

    @property
    def citation(self) -> str:
        return rules.citation(self.id)

    def as_json(self, tz: dt.tzinfo) -> dict[str, Any]:
        def iso(v: dt.datetime | None) -> str | None:
            return None if v is None else v.astimezone(tz).isoformat(timespec="seconds")

        attachment = None
        if self.attachment_name is not None:
            attachment = {
                "name": self.attachment_name,
                "content_type": self.attachment_type,
                "size": self.attachment_size,
            }
        return {
            "id": self.id,
            "application_id": self.application_id,
            "department": self.department,
            "resource_name": self.resource_name,
            "text": self.text,
            "channel": self.channel,
            "by": self.by,
            "at": iso(self.at),
            "attachment": attachment,
            "status": self.status,
            "decision_reason": self.decision_reason,
            "decided_by": self.decided_by,
            "decided_at": iso(self.decided_at),
        }


def _view(row: dict[str, Any]) -> DisputeView:
    return DisputeView(
        id=row["id"],
        application_id=row["application_id"],
        department=row["department"],
        text=row["text"],
        channel=row["channel"],
        by=row["by"],
        at=stored_utc(row["at"]),  # type: ignore[arg-type]
        status=row["decision"] or PENDING,
        attachment_name=row["attachment_name"],
        attachment_type=row["attachment_type"],
        attachment_size=row["attachment_size"],
        decision_reason=row["decision_reason"],
        decided_by=row["decided_by"],
        decided_at=stored_utc(row["decided_at"]),
        resource_name=row["resource_name"],
    )


def _not_found_app(application_id: str) -> DisputeNotFound:
    return DisputeNotFound(f"存储库中没有申请 {application_id}", value=application_id)


def submit(
    engine: Engine,
    rt: Runtime,
    application_id: str,
    text: str,
    by: str | None,
    now: dt.datetime,
    *,
    channel: str = rules.WEB,
    attachment: Attachment | None = None,
    departments: Collection[str] | None = None,
) -> DisputeView:
    """Record a 情况说明 about ``application_id``. With ``departments`` (a department user's),
    an application of another provider is DisputeNotFound, as an unknown one is. Refused while
    another one about the same application waits, and for an application already exempted."""
    from slamon.service.accounts import can_see

    aid = (application_id or "").strip()
    body = rules.check_text(text)
    who = (by or "").strip() or DEFAULT_BY
    with engine.begin() as conn:
        provider = store.provider_of(conn, aid) if aid else None
        if provider is None or (departments is not None and not can_see(rt, departments, provider)):
            raise _not_found_app(aid)
        waiting = [d for d in store.listed(conn, [aid]) if d["decision"] is None]
        if waiting:
            raise InputError(
                f"申请 {aid} 已有待核实的{rules.citation(waiting[0]['id'])}，请等待核实结果"
            )
        if aid in exemption_store.active(conn):
            raise InputError(f"申请 {aid} 已核实排除，无需再提交情况说明")
        row: dict[str, Any] = {
            "application_id": aid,
            "department": provider,
            "text": body,
            "channel": channel,
            "by": who,
            "at": now,
        }
        if attachment is not None:
            row |= {
                "attachment_name": attachment.filename,
                "attachment_type": attachment.content_type,
                "attachment_size": attachment.size,
                "attachment_sha256": hashlib.sha256(attachment.data).hexdigest(),
            }
        new_id = store.insert(conn, row, attachment.data if attachment else None)
        found = store.one(conn, new_id)
    assert found is not None
    return _view(found)


def decide(
    engine: Engine,
    rt: Runtime,
    dispute_id: int,
    decision: str,
    reason: str,
    by: str | None,
    now: dt.datetime,
) -> DisputeView:
    """Accept (and exempt its application, citing it) or reject a pending dispute, once."""
    why = rules.check_text(reason, "决定理由", rules.MAX_DECISION)
    who = (by or "").strip() or DEFAULT_BY
    with engine.begin() as conn:
        row = store.one(conn, dispute_id)
        if row is None:
            raise DisputeNotFound(f"没有{rules.citation(dispute_id)}", value=dispute_id)
        rules.check_decision(dispute_id, row["decision"] or PENDING, decision)
        try:
            store.decide(conn, dispute_id, decision, why, who, now)
        except store.AlreadyDecided:
            raise InputError(f"{rules.citation(dispute_id)} 已由他人先行决定") from None
        if decision == ACCEPTED:
            reason_text = rules.exemption_reason(dispute_id, why)
            exempt_in(conn, [row["application_id"]], reason_text, who, now)
        found = store.one(conn, dispute_id)
    assert found is not None
    return _view(found)


def get(
    engine: Engine, rt: Runtime, dispute_id: int, departments: Collection[str] | None = None
) -> DisputeView:
    """One dispute; DisputeNotFound when there is none or ``departments`` may not see it."""
    from slamon.service.accounts import can_see

    with engine.connect() as conn:
        row = store.one(conn, dispute_id)
    if row is None or (
        departments is not None
        and not can_see(rt, departments, row["provider_dept"] or row["department"])
    ):
        raise DisputeNotFound(f"没有{rules.citation(dispute_id)}", value=dispute_id)
    return _view(row)


def attachment_of(
    engine: Engine, rt: Runtime, dispute_id: int, departments: Collection[str] | None = None
) -> tuple[DisputeView, bytes]:
    d = get(engine, rt, dispute_id, departments)
    with engine.connect() as conn:
        data = store.attachment(conn, dispute_id) if d.attachment_name else None
    if data is None:
        raise DisputeNotFound(f"{d.citation} 没有附件", value=dispute_id)
    return d, data


def list_disputes(
    engine: Engine,
    rt: Runtime,
    status: str | None = None,
    *,
    application_ids: Collection[str] | None = None,
) -> list[DisputeView]:
    """Disputes oldest first; only those with ``status`` / about ``application_ids`` when given."""
    with engine.connect() as conn:
        rows = store.listed(conn, application_ids)
    views = [_view(r) for r in rows]
    return [d for d in views if status is None or d.status == status]


def pending_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return store.pending_count(conn)


def dispute_counts(engine: Engine, application_ids: Collection[str]) -> DisputeCounts:
    """How many 情况说明 about these applications came in, and how they were decided."""
    if not application_ids:
        return DisputeCounts(0, 0, 0, 0)
    with engine.connect() as conn:
        rows = store.listed(conn, application_ids)
    status = [r["decision"] or PENDING for r in rows]
    return DisputeCounts(
        received=len(status),
        accepted=status.count(ACCEPTED),
        rejected=status.count(REJECTED),
        pending=status.count(PENDING),
    )


def accepted_disputes(engine: Engine, application_ids: Collection[str]) -> dict[str, str]:
    """application id → "情况说明 #N：<the reason it was accepted for>" (the latest accepted
    one), for the report's appendix. The exemption it made carries the same words."""
    if not application_ids:
        return {}
    with engine.connect() as conn:
        rows = store.listed(conn, application_ids)
    return {
        r["application_id"]: f"{rules.citation(r['id'])}：{r['decision_reason']}"
        for r in rows
        if r["decision"] == ACCEPTED
    }
