"""The lease row: which of several daemons sharing one store runs the jobs."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from slamon.adapters.store.models import Lease

LEASE = Lease.__table__
LEASE_NAME = "scheduler"


def try_lease(
    engine: Engine, holder: str, now: dt.datetime, ttl_seconds: int, name: str = LEASE_NAME
) -> bool:
    """Take or renew the lease; True when ``holder`` holds it until now + ttl.

    A conditional UPDATE wins only when the lease is ours or has lapsed, so two daemons can
    never both hold it; the first daemon ever inserts the row.
    """
    expires = now + dt.timedelta(seconds=ttl_seconds)
    with engine.begin() as conn:
        won = conn.execute(
            update(LEASE)
            .where(LEASE.c.name == name, (LEASE.c.holder == holder) | (LEASE.c.expires_at <= now))
            .values(holder=holder, expires_at=expires)
        ).rowcount
        if won:
            return True
        exists = conn.execute(select(LEASE.c.name).where(LEASE.c.name == name)).first()
    if exists:
        return False
    try:
        with engine.begin() as conn:
            conn.execute(insert(LEASE).values(name=name, holder=holder, expires_at=expires))
        return True
    except IntegrityError:  # another daemon inserted it first
        return False


def release_lease(engine: Engine, holder: str, now: dt.datetime, name: str = LEASE_NAME) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(LEASE)
            .where(LEASE.c.name == name, LEASE.c.holder == holder)
            .values(expires_at=now)
        )


def lease_holder(engine: Engine, now: dt.datetime, name: str = LEASE_NAME) -> str | None:
    """Who holds the lease now (None when nobody does)."""
    with engine.connect() as conn:
        row = conn.execute(
            select(LEASE.c.holder, LEASE.c.expires_at).where(LEASE.c.name == name)
        ).first()
    return row.holder if row is not None and row.expires_at > now else None
