"""What operators do with the outbox: list it, count it, put a failed message back in the queue."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from slamon.adapters.store import outbox

if TYPE_CHECKING:
    from sqlalchemy import Engine


def outbox_view(
    engine: Engine, statuses: Sequence[str]
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The rows in ``statuses`` and the count of every status."""
    with engine.connect() as conn:
        return outbox.listing(conn, statuses), outbox.counts(conn)


def requeue(engine: Engine, message_id: int, at: dt.datetime) -> str | None:
    """Queue a failed (or waiting) message again from ``at``; its old status, None if unknown."""
    with engine.begin() as conn:
        return outbox.requeue(conn, message_id, at)
