"""What operators do with the outbox: list it, count it, put a failed message back in the queue,
and see which recipients the mail server refused."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from slamon.adapters.store import outbox
from slamon.core.refusals import REFUSAL_WINDOW, Delivery, RefusedRecipient, open_refusals
from slamon.core.vocabulary import NOTICE, SENT
from slamon.runtime import Runtime
from slamon.service.recipients import configured_addresses

if TYPE_CHECKING:
    from sqlalchemy import Engine


def outbox_view(
    engine: Engine, statuses: Sequence[str], now: dt.datetime | None = None
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The rows in ``statuses`` and the count of every status; with ``now``, also the messages
    with a refused recipient in the week before (sent to the others, or failed)."""
    window = (now - REFUSAL_WINDOW, now) if now is not None else None
    with engine.connect() as conn:
        return outbox.listing(conn, statuses, refused_between=window), outbox.counts(conn)


def requeue(engine: Engine, message_id: int, at: dt.datetime) -> str | None:
    """Queue a failed (or waiting) message again from ``at``; its old status, None if unknown."""
    with engine.begin() as conn:
        return outbox.requeue(conn, message_id, at)


def refused_recipients(
    engine: Engine, rt: Runtime, until: dt.datetime, since: dt.datetime | None = None
) -> list[RefusedRecipient]:
    """Configured recipients refused in [since, until] (default: the week before ``until``) that
    accepted no later message in that span."""
    with engine.connect() as conn:
        rows = outbox.attempts_between(conn, since or until - REFUSAL_WINDOW, until)
    deliveries = [
        Delivery(
            at=r["attempted_at"],
            department=r["department"] if r["kind"] == NOTICE and not r["unassigned"] else None,
            recipients=r["recipients"],
            refused=r["refused"],
            delivered=r["status"] == SENT,
        )
        for r in rows
    ]
    return open_refusals(deliveries, configured_addresses(rt.settings))
