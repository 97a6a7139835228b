"""Dashboard sessions (``web_session``): one row per login, found by the SHA-256 of its cookie
token, revoked by setting ``revoked_at`` (never reopened), deleted a while after they end."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine, delete, select, update

from slamon.adapters.store.models import WebSessionRow

WS = WebSessionRow.__table__


def insert_session(engine: Engine, row: dict[str, Any], forget_before: dt.datetime) -> int:
    """Store a new session and delete those that ended (expired) before ``forget_before``;
    the new row's id."""
    with engine.begin() as conn:
        conn.execute(delete(WS).where(WS.c.expires_at < forget_before))
        return conn.execute(WS.insert().values(**row)).inserted_primary_key[0]


def live_session(engine: Engine, token_hash: str, now: dt.datetime) -> dict[str, Any] | None:
    """The session with this token, if it is neither revoked nor expired at ``now``."""
    with engine.connect() as conn:
        row = (
            conn.execute(
                select(WS).where(
                    WS.c.token_hash == token_hash,
                    WS.c.revoked_at.is_(None),
                    WS.c.expires_at > now,
                )
            )
            .mappings()
            .first()
        )
    return dict(row) if row is not None else None


def sessions(
    engine: Engine, user: str | None = None, live_at: dt.datetime | None = None
) -> list[dict[str, Any]]:
    """Sessions still in the store, oldest first (of ``user``; only those live at ``live_at``)."""
    query = select(WS).order_by(WS.c.id)
    if user is not None:
        query = query.where(WS.c.user_name == user)
    if live_at is not None:
        query = query.where(WS.c.revoked_at.is_(None), WS.c.expires_at > live_at)
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def revoke(
    engine: Engine,
    now: dt.datetime,
    reason: str,
    *,
    ids: list[int] | None = None,
    user: str | None = None,
) -> list[int]:
    """End the live sessions with these ``ids``, or every session of ``user`` not ended yet
    (expired ones too: whatever clock the dashboard runs on, none of them opens again); the ids
    ended."""
    if (ids is None) == (user is None):
        raise ValueError("revoke needs ids or a user")
    if ids is not None:
        which = [WS.c.id.in_(ids), WS.c.expires_at > now]
    else:
        which = [WS.c.user_name == user]
    with engine.begin() as conn:
        found = [
            r.id for r in conn.execute(select(WS.c.id).where(WS.c.revoked_at.is_(None), *which))
        ]
        if found:
            conn.execute(
                update(WS)
                .where(WS.c.id.in_(found), WS.c.revoked_at.is_(None))
                .values(revoked_at=now, revoked_reason=reason, flash=None)
            )
    return found


def set_flash(engine: Engine, session_id: int, text: str) -> None:
    with engine.begin() as conn:
        conn.execute(update(WS).where(WS.c.id == session_id).values(flash=text))


def take_flash(engine: Engine, session_id: int) -> str | None:
    """The session's message, cleared: it is shown once."""
    with engine.begin() as conn:
        text = conn.execute(select(WS.c.flash).where(WS.c.id == session_id)).scalar()
        if text is None:
            return None
        cleared = conn.execute(
            update(WS).where(WS.c.id == session_id, WS.c.flash == text).values(flash=None)
        ).rowcount
    return text if cleared else None
