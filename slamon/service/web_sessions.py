"""Dashboard sessions, kept in the store so that they really end.

A login starts a session: a random token goes into the (signed) cookie, its SHA-256 into the
store with the user, the user's credential fingerprint, a CSRF token and an expiry. A request is
someone's only while that session is live: not revoked, not expired, and the credential still the
user's (the web layer compares it with the users file). Logout revokes the session; a password or
role change and removing the user revoke all of that user's sessions; ``slamon user sessions``
lists and revokes them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from slamon.adapters.store import web_sessions as store
from slamon.core.errors import InputError

if TYPE_CHECKING:
    from sqlalchemy import Engine

SESSION_SECONDS = 12 * 3600
MAX_LIVE_PER_USER = 20  # a further login ends the user's oldest session
FORGET_AFTER = dt.timedelta(days=7)  # ended sessions stay listable this long, then are deleted
MAX_FLASH = 500
MAX_CLIENT = 64

LOGOUT, CREDENTIAL, REMOVED, ADMIN, SUPERSEDED = (
    "logout",
    "credential",
    "removed",
    "admin",
    "superseded",
)
REVOKE_REASON_NAMES = {
    LOGOUT: "已退出登录",
    CREDENTIAL: "密码或角色已更改",
    REMOVED: "用户已删除",
    ADMIN: "管理员撤销",
    SUPERSEDED: "登录会话过多，最早的被结束",
}
STATUS_NAMES = {"live": "有效", "revoked": "已撤销", "expired": "已过期"}


@dataclass(frozen=True)
class WebSession:
    id: int
    user: str
    credential: str
    csrf: str
    client: str
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None = None
    revoked_reason: str | None = None
    flash: str | None = None

    def status(self, now: dt.datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "live" if self.expires_at > now else "expired"

    def as_json(self, now: dt.datetime) -> dict[str, Any]:
        return {
            "id": self.id,
            "user": self.user,
            "client": self.client,
            "created_at": self.created_at,
            "expires_at": self.expires_at,
            "status": self.status(now),
            "revoked_at": self.revoked_at,
            "revoked_reason": self.revoked_reason,
        }


@dataclass(frozen=True)
class NewSession:
    token: str  # for the cookie only; the store keeps its hash
    session: WebSession


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _session(row: dict[str, Any]) -> WebSession:
    return WebSession(
        id=row["id"],
        user=row["user_name"],
        credential=row["credential"],
        csrf=row["csrf"],
        client=row["client"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        revoked_at=row["revoked_at"],
        revoked_reason=row["revoked_reason"],
        flash=row["flash"],
    )


def start_session(
    engine: Engine, user: str, credential: str, client: str, now: dt.datetime
) -> NewSession:
    """A new live session for ``user`` (logged in from ``client``); the user's oldest sessions
    beyond :data:`MAX_LIVE_PER_USER` end, and sessions ended long ago are deleted."""
    token = secrets.token_urlsafe(32)
    row = {
        "token_hash": _hash(token),
        "user_name": user,
        "credential": credential,
        "csrf": secrets.token_urlsafe(24),
        "client": client[:MAX_CLIENT],
        "created_at": now,
        "expires_at": now + dt.timedelta(seconds=SESSION_SECONDS),
    }
    row["id"] = store.insert_session(engine, row, now - FORGET_AFTER)
    live = store.sessions(engine, user, live_at=now)
    if len(live) > MAX_LIVE_PER_USER:
        oldest = [r["id"] for r in live[:-MAX_LIVE_PER_USER]]
        store.revoke(engine, now, SUPERSEDED, ids=oldest)
    return NewSession(
        token, _session({**row, "revoked_at": None, "revoked_reason": None, "flash": None})
    )


def live_session(engine: Engine, token: str, now: dt.datetime) -> WebSession | None:
    """The live session this cookie token opens, or None."""
    row = store.live_session(engine, _hash(token), now)
    return _session(row) if row is not None else None


def end_session(engine: Engine, session_id: int, now: dt.datetime, reason: str = LOGOUT) -> bool:
    return bool(store.revoke(engine, now, reason, ids=[session_id]))


def end_user_sessions(engine: Engine, user: str, now: dt.datetime, reason: str) -> int:
    """End every session of ``user`` not ended yet; how many."""
    return len(store.revoke(engine, now, reason, user=user))


def revoke_session(engine: Engine, session_id: int, now: dt.datetime) -> WebSession:
    """``slamon user sessions --revoke ID``: the session ended; an error when it is not live."""
    found = [s for s in list_sessions(engine, now, live_only=False) if s.id == session_id]
    if not found or not store.revoke(engine, now, ADMIN, ids=[session_id]):
        raise InputError(f"没有编号为 {session_id} 的有效会话（slamon user sessions 查看）")
    return found[0]


def list_sessions(
    engine: Engine, now: dt.datetime, user: str | None = None, live_only: bool = True
) -> list[WebSession]:
    """The sessions in the store, oldest first: only the live ones unless ``live_only`` is off
    (then also those ended within :data:`FORGET_AFTER`)."""
    rows = store.sessions(engine, user, live_at=now if live_only else None)
    return [_session(r) for r in rows]


def set_flash(engine: Engine, session_id: int, text: str) -> None:
    """The message the session's next page shows once (after an action, instead of the URL)."""
    store.set_flash(engine, session_id, text[:MAX_FLASH])


def take_flash(engine: Engine, session_id: int) -> str | None:
    return store.take_flash(engine, session_id)
