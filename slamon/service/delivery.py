"""Delivering the outbox: claim → (re-check) → send → record, one row at a time.

The guarantee, exactly:

- **Never lost.** A row leaves the queue only as ``sent`` (the SMTP server accepted it for at least
  one recipient), ``failed`` (every recipient refused permanently, the message refused with 5xx,
  ``notify.max_attempts`` message-level failures, or nobody to send it to), ``cancelled`` (every
  application it lists was answered before it left) or ``held`` (see below). Each is recorded
  with the reason and shown by ``slamon outbox``. Server-level trouble (down, timeout before the
  message was handed over, login refused, sender refused) never counts towards ``max_attempts``:
  the row waits and the pass stops, however long the outage.
- **Never sent twice by slamon's choice.** A row is claimed by a conditional UPDATE that only
  matches ``queued``/``retry`` rows that are due, or ``sending`` rows whose claim is older than
  ``claim_timeout``; a ``sent`` row matches nothing, so it is never sent again. The claim time is
  the moment of the claim (the pass's start plus the time the pass has run), so a long pass
  against a slow relay does not make its later rows look abandoned to a second process; each
  process claims under its own worker id (:func:`worker_id`).
- **At most one extra copy when the outcome is unknown.** The mailer makes one SMTP attempt per
  message. When the server took the message and then dropped the connection or answered after
  the timeout, or when a worker died (or stalled past the claim timeout) while sending, nobody
  knows whether the message arrived: that counts as an attempt and as an unknown outcome, and the
  row is resent once more with the same Message-ID (a hash of the outbox key, so mail systems and
  readers can recognise the copy). A second unknown outcome, or an unknown outcome when the
  attempts are used up, puts the row in ``held`` (待人工处理): an operator checks with the
  recipients and requeues it with ``slamon outbox retry ID`` if needed.

Mail leaves only inside the sending window on working days; a retry time that falls outside it
moves to the next opening.

Two clocks: ``now`` decides which rows are due (a ``--now`` replay plans and looks at the outbox
as of that instant); ``real_now`` (default: ``now``) is the instant mail really leaves at: the
sending window, the claim, the recorded send time, the retry times and the ``Date`` header follow
it, so a replay of a future instant never records a send time that has not happened yet.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from slamon.adapters.mail.mailer import (
    DeliveryError,
    Mailer,
    OutgoingMessage,
    SendResult,
    make_mailer,
)
from slamon.adapters.mail.messages import render_notice
from slamon.adapters.store import applications, exemptions, outbox
from slamon.core.vocabulary import OPEN_STAGES, PENDING
from slamon.runtime import Runtime
from slamon.service.delivery_report import DeliveryReport
from slamon.service.full_list import full_list
from slamon.service.inline_images import images_of

if TYPE_CHECKING:
    from sqlalchemy import Engine

log = logging.getLogger("slamon.delivery")
CLAIM_TIMEOUT = dt.timedelta(minutes=10)
BACKOFF = dt.timedelta(minutes=1)
MAX_BACKOFF = dt.timedelta(hours=2)


def worker_id(role: str = "cli") -> str:
    """A worker id unique to this process (host, pid and a random part): never shared."""
    return f"{role}@{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def claim_timeout_for(smtp_timeout_seconds: int) -> dt.timedelta:
    """How long a claim protects a row: 10 minutes, or longer when one SMTP exchange can take
    longer (connect, login, MAIL, RCPT, DATA: one attempt, each step bounded by the timeout)."""
    worst = dt.timedelta(seconds=6 * smtp_timeout_seconds + 60)
    return max(CLAIM_TIMEOUT, worst)


def backoff_delay(attempts: int, base: dt.timedelta, cap: dt.timedelta) -> dt.timedelta:
    """base, 2·base, 4·base, … after the 1st, 2nd, 3rd … failed attempt, at most ``cap``."""
    return min(base * (2 ** max(0, attempts - 1)), cap)


@dataclass
class _Pass:
    """One delivery pass: what every step needs, the mailer it opened and what it did."""

    engine: Engine
    rt: Runtime
    now: dt.datetime  # the real instant the pass started at (the send clock)
    due_at: dt.datetime  # which rows are due: as of this instant (a replay's --now)
    worker: str
    claim_timeout: dt.timedelta
    backoff: dt.timedelta
    max_backoff: dt.timedelta
    max_attempts: int
    factory: Callable[[], Mailer]
    mailer: Mailer | None = None
    report: DeliveryReport = field(default_factory=DeliveryReport)
    started: float = field(default_factory=time.monotonic)
    own_mailer: bool = field(init=False)

    def __post_init__(self) -> None:
        self.own_mailer = self.mailer is None  # opened by this pass: closed by it

    def clock(self) -> dt.datetime:
        """The pass's ``now`` moved on by the time the pass has run."""
        return self.now + dt.timedelta(seconds=time.monotonic() - self.started)

    def due_clock(self) -> dt.datetime:
        """The instant rows are due by, moved on like :meth:`clock`."""
        return self.due_at + (self.clock() - self.now)

    def record(self, fn: Callable[[Any], bool]) -> bool:
        """Run one store step in its own short transaction."""
        with self.engine.begin() as conn:
            return fn(conn)

    def close(self) -> None:
        if self.own_mailer and self.mailer is not None:
            self.mailer.close()


def deliver_due(
    engine: Engine,
    rt: Runtime,
    now: dt.datetime,
    worker: str,
    *,
    mailer: Mailer | None = None,
    mailer_factory: Callable[[], Mailer] | None = None,
    limit: int = 1000,
    claim_timeout: dt.timedelta | None = None,
    backoff: dt.timedelta = BACKOFF,
    max_backoff: dt.timedelta = MAX_BACKOFF,
    max_attempts: int | None = None,
    real_now: dt.datetime | None = None,
) -> DeliveryReport:
    """Send every due outbox row (up to ``limit``) as of ``now``; one short transaction per step.

    ``real_now``: the real clock when ``now`` is a replayed instant; the sending window, the
    claims and the recorded send times follow it (see the module's docstring)."""
    s = rt.settings
    sending = real_now or now
    if not rt.window.contains(sending):
        return DeliveryReport(outside_window=True)
    p = _Pass(
        engine=engine,
        rt=rt,
        now=sending,
        due_at=now,
        worker=worker,
        claim_timeout=claim_timeout or claim_timeout_for(s.smtp.timeout_seconds),
        backoff=backoff,
        max_backoff=max_backoff,
        max_attempts=max_attempts or s.notify.max_attempts,
        factory=mailer_factory or (lambda: make_mailer(s.smtp)),
        mailer=mailer,
    )
    with engine.connect() as conn:
        ids = outbox.due_ids(conn, sending, p.claim_timeout, limit, due_at=now)
    try:
        for row_id in ids:
            if not deliver_one(p, row_id):
                p.report.lost_claims += 1
            if p.report.stopped:  # the server cannot be used: the other rows wait
                break
    finally:
        p.close()
    return p.report


def deliver_one(p: _Pass, row_id: int) -> bool:
    """Claim, send and record one outbox row; False when another worker claimed it first."""
    claimed = _claim(p, row_id)
    if claimed is None:
        return False
    row, message = claimed
    if message is None:  # settled inside the claim: held or cancelled
        return True
    if not message.recipients:
        error = row["last_error"] or "没有收件人"
        p.record(partial(outbox.mark_failed, row_id=row_id, worker=p.worker, error=error))
        p.report.failed += 1
        return True
    result = _send(p, row, message)
    if result is not None:
        _record_sent(p, row, result)
    return True


def _claim(p: _Pass, row_id: int) -> tuple[dict[str, Any], OutgoingMessage | None] | None:
    """Claim a row and prepare its message in one transaction. None: another worker has it; no
    message: the row was settled here (held after a second unknown outcome, or cancelled)."""
    with p.engine.begin() as conn:
        if not outbox.claim(
            conn, row_id, p.worker, p.clock(), p.claim_timeout, due_at=p.due_clock()
        ):
            return None
        row = outbox.load(conn, row_id)
        assert row is not None
        if row["unknown_outcomes"] >= 2:  # a second worker died or stalled while sending
            outbox.mark_held(conn, row_id, p.worker, _held_reason(row))
            p.report.held += 1
            log.error("notify.held id=%s key=%s", row_id, row["key"])
            return row, None
        message = _prepare(conn, p.rt, row, p.worker, p.clock())
        if message is None:
            p.report.cancelled += 1
        return row, message


def _send(p: _Pass, row: dict[str, Any], message: OutgoingMessage) -> SendResult | None:
    """One SMTP attempt (opening the pass's mailer on first use). None: it failed, and the
    row's retry, failure or hold is recorded; a server-level error also stops the pass."""
    try:
        if p.mailer is None:
            p.mailer = p.factory()
        return p.mailer.send(message)
    except DeliveryError as exc:
        _on_error(p, row, exc)
        if exc.connection:
            p.report.stopped = str(exc)
        return None
    except Exception as exc:  # a bug or an unexpected library error: keep the row, log it
        log.exception("notify.send_crashed id=%s", row["id"])
        _on_error(p, row, DeliveryError(f"发送时出现意外错误：{exc.__class__.__name__}: {exc}"))
        return None


def _record_sent(p: _Pass, row: dict[str, Any], result: SendResult) -> None:
    row_id = row["id"]
    sent = partial(
        outbox.mark_sent, row_id=row_id, worker=p.worker, now=p.now, refused=result.refused
    )
    if not p.record(sent):
        log.warning("notify.sent_after_claim_lost id=%s key=%s", row_id, row["key"])
    p.report.sent += 1
    if result.refused:
        p.report.refused[row_id] = result.refused
        log.warning(
            "notify.partly_refused id=%s key=%s refused=%s",
            row_id,
            row["key"],
            json.dumps(result.refused, ensure_ascii=False),
        )
    log.info("notify.sent id=%s key=%s recipients=%d", row_id, row["key"], len(result.accepted))


def _on_error(p: _Pass, row: dict[str, Any], exc: DeliveryError) -> None:
    row_id, attempts, error = row["id"], row["attempts"], str(exc)
    p.report.errors[row_id] = error
    if exc.refused:
        p.report.refused[row_id] = exc.refused
    if exc.unknown:
        _on_unknown(p, row, error)
        return
    if exc.permanent or (not exc.connection and attempts >= p.max_attempts):
        p.record(
            partial(
                outbox.mark_failed, row_id=row_id, worker=p.worker, error=error, refused=exc.refused
            )
        )
        p.report.failed += 1
        log.error(
            "notify.failed id=%s key=%s attempts=%d error=%s", row_id, row["key"], attempts, error
        )
        return
    _on_retry(p, row, exc, error)


def _retry_plan(p: _Pass, attempts: int, exc: DeliveryError) -> tuple[dt.datetime, int]:
    """When to try again and the attempt count to keep: a server-level error waits one
    ``backoff`` and does not count towards max_attempts; a message-level one backs off."""
    if exc.connection:
        delay, attempts_after = p.backoff, attempts - 1
    else:
        delay, attempts_after = backoff_delay(attempts, p.backoff, p.max_backoff), attempts
    return p.rt.window.next_opening(p.now + delay), attempts_after


def _on_retry(p: _Pass, row: dict[str, Any], exc: DeliveryError, error: str) -> None:
    row_id, attempts = row["id"], row["attempts"]
    at, attempts_after = _retry_plan(p, attempts, exc)

    def retry(c: Any) -> bool:
        ok = outbox.mark_retry(c, row_id, p.worker, at, error)
        if ok and attempts_after != attempts:
            outbox.set_attempts(c, row_id, attempts_after)
        return ok

    p.record(retry)
    p.report.retried += 1
    log.warning(
        "notify.retry id=%s key=%s attempts=%d not_before=%s error=%s",
        row_id,
        row["key"],
        attempts_after,
        at.isoformat(),
        error,
    )


def _held_reason(row: dict[str, Any]) -> str:
    return (
        f"无法确定是否已投递（已发送 {row['attempts']} 次，其中 {row['unknown_outcomes']} 次结果不明），"
        "为免重复不再自动重发：请向收件人核实，需要时用 slamon outbox retry 重新排队；"
        f"上次错误：{row['last_error'] or '发送进程中断'}"
    )


def _on_unknown(p: _Pass, row: dict[str, Any], error: str) -> None:
    """The server may have the message: one resend with the same Message-ID, then an operator."""
    row_id, unknown = row["id"], row["unknown_outcomes"] + 1
    hold = unknown >= 2 or row["attempts"] >= p.max_attempts
    at = p.rt.window.next_opening(p.now + p.backoff)
    if hold:
        error = _held_reason({**row, "unknown_outcomes": unknown, "last_error": error})
    p.record(
        partial(
            outbox.mark_unknown,
            row_id=row_id,
            worker=p.worker,
            error=error,
            hold=hold,
            not_before=at,
        )
    )
    if hold:
        p.report.held += 1
        log.error("notify.held id=%s key=%s unknown_outcomes=%d", row_id, row["key"], unknown)
    else:
        p.report.retried += 1
        log.warning(
            "notify.outcome_unknown id=%s key=%s not_before=%s", row_id, row["key"], at.isoformat()
        )


def _prepare(
    conn: Any, rt: Runtime, row: dict[str, Any], worker: str, sending: dt.datetime | None = None
) -> OutgoingMessage | None:
    """The message to send for a claimed row, dated ``sending`` in the configured zone; None when
    it was cancelled because every application it lists has been answered since it was planned
    (then the row is marked)."""
    items = json.loads(row["items"] or "[]")
    subject, text, html = row["subject"], row["body_text"], row["body_html"]
    if items:
        stages = applications.stages_of(conn, [i["application_id"] for i in items])
        exempted = exemptions.active(conn)  # exempted since planning: not named any more
        keep = [
            i
            for i in items
            if stages.get(i["application_id"], PENDING) in OPEN_STAGES
            and i["application_id"] not in exempted
        ]
        if not keep:
            outbox.mark_cancelled(conn, row["id"], worker, "所列申请均已答复或已核实排除，无需发送")
            log.info("notify.cancelled id=%s key=%s", row["id"], row["key"])
            return None
        if len(keep) < len(items):
            r = render_notice(
                row["kind"],
                row["department"] or "",
                row["working_day"],
                keep,
                unassigned=bool(row["unassigned"]),
                notify=rt.settings.notify,
                base_url=rt.settings.web.public_url,
            )
            subject, text, html = r.subject, r.text, r.html
            outbox.update_content(
                conn,
                row["id"],
                worker,
                subject=subject,
                body_text=text,
                body_html=html,
                items=json.dumps(keep, ensure_ascii=False),
            )
            items = keep
    return OutgoingMessage(
        recipients=tuple(json.loads(row["recipients"])),
        subject=subject,
        text=text,
        html=html,
        message_id=row["message_id"],
        date=sending.astimezone(rt.tz) if sending else None,
        attachments=full_list(rt, row, items),
        inline=images_of(conn, row["key"]) if row["kind"] == "digest" else (),
    )
