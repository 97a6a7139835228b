"""Outages in the log: one short line per failure, one line when it ends — no traceback flood.

A store or relay that is down makes every job fail every few seconds; a full traceback each time
buries everything else (6.5 KB every 5 s). An expected failure (the database, the network, a
slamon error) is logged as one line naming what failed and the first line of the reason
(secrets masked); the first line of an outage says it began, later ones count it, and when the
thing works again one line says the outage ended and how long it lasted. An unexpected exception
(a bug) is still logged with its traceback, once per distinct message.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from slamon.core.errors import SlamonError
from slamon.core.secrets import mask_secrets

MAX_REASON = 300


@dataclass
class _Outage:
    since: dt.datetime
    failures: int
    reason: str


def is_outage(exc: BaseException) -> bool:
    """A failure of something outside slamon (database, network, relay), not a bug."""
    module = type(exc).__module__ or ""
    return (
        isinstance(exc, SlamonError | OSError | ConnectionError | TimeoutError)
        or module.split(".")[0] in ("sqlalchemy", "psycopg", "psycopg2", "pymysql", "sqlite3")
        or hasattr(exc, "orig")
    )


def reason_of(exc: BaseException) -> str:
    """The first line of the exception's message, secrets masked, cut to a readable length."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    line = (text.splitlines() or [""])[0]
    line = mask_secrets(f"{type(exc).__name__}: {line}")
    return line if len(line) <= MAX_REASON else line[: MAX_REASON - 1] + "…"


class OutageLog:
    def __init__(self, logger: logging.Logger) -> None:
        self.log = logger
        self.current: dict[str, _Outage] = {}
        self._bugs_seen: set[str] = set()

    def failed(self, what: str, exc: BaseException, now: dt.datetime) -> None:
        if not is_outage(exc):
            key = f"{what}|{type(exc).__name__}|{exc}"
            if key not in self._bugs_seen:
                self._bugs_seen.add(key)
                self.log.error("job.crashed what=%s error=%s", what, reason_of(exc), exc_info=exc)
            else:
                self.log.error("job.crashed what=%s error=%s (again)", what, reason_of(exc))
            return
        reason = reason_of(exc)
        outage = self.current.get(what)
        if outage is None:
            self.current[what] = _Outage(now, 1, reason)
            self.log.error("outage.began what=%s error=%s", what, reason)
            return
        outage.failures += 1
        outage.reason = reason
        self.log.warning(
            "outage.continues what=%s failures=%d since=%s error=%s",
            what,
            outage.failures,
            outage.since.isoformat(timespec="seconds"),
            reason,
        )

    def ok(self, what: str, now: dt.datetime) -> None:
        outage = self.current.pop(what, None)
        if outage is not None:
            seconds = int((now - outage.since).total_seconds())
            self.log.warning(
                "outage.ended what=%s failures=%d seconds=%d last_error=%s",
                what,
                outage.failures,
                seconds,
                outage.reason,
            )
