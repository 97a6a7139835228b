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
from functools import partial
from typing import TYPE_CHECKING, Any

from slamon.adapters.mail.mailer import DeliveryError, Mailer, OutgoingMessage, make_mailer
from slamon.adapters.mail.messages import notice_context, render
from slamon.adapters.store import applications, exemptions, outbox
from slamon.core.vocabulary import OPEN_STAGES, PENDING
from slamon.runtime import Runtime
from slamon.service.delivery_report import DeliveryReport

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
) -> DeliveryReport:
    """Send every due outbox row (up to ``limit``) as of ``now``; one short transaction per step."""
    s, n = rt.settings, rt.settings.notify
    report = DeliveryReport()
    if not rt.window.contains(now):
        report.outside_window = True
        return report
    max_attempts = max_attempts or n.max_attempts
    claim_timeout = claim_timeout or claim_timeout_for(s.smtp.timeout_seconds)
    started = time.monotonic()

    def clock() -> dt.datetime:
        """The pass's ``now`` moved on by the time the pass has run."""
        return now + dt.timedelta(seconds=time.monotonic() - started)

    with engine.connect() as conn:
        ids = outbox.due_ids(conn, now, claim_timeout, limit)
    if not ids:
        return report
    own_mailer = mailer is None
    factory = mailer_factory or (lambda: make_mailer(s.smtp))
    try:
        for row_id in ids:
            with engine.begin() as conn:
                if not outbox.claim(conn, row_id, worker, clock(), claim_timeout):
                    report.lost_claims += 1
                    continue
                row = outbox.load(conn, row_id)
                assert row is not None
                if row["unknown_outcomes"] >= 2:  # a second worker died or stalled while sending
                    outbox.mark_held(conn, row_id, worker, _held_reason(row))
                    report.held += 1
                    log.error("notify.held id=%s key=%s", row_id, row["key"])
                    continue
                message = _prepare(conn, rt, row, worker)
                if message is None:
                    report.cancelled += 1
                    continue
            if not message.recipients:
                _record(
                    engine,
                    partial(
                        outbox.mark_failed,
                        row_id=row_id,
                        worker=worker,
                        error=row["last_error"] or "没有收件人",
                    ),
                )
                report.failed += 1
                continue
            try:
                if mailer is None:
                    mailer = factory()
                result = mailer.send(message)
            except DeliveryError as exc:
                _on_error(
                    engine,
                    rt,
                    row,
                    worker,
                    now,
                    exc,
                    report,
                    backoff,
                    max_backoff,
                    max_attempts,
                )
                if exc.connection:
                    report.stopped = str(exc)
                    break
                continue
            except Exception as exc:  # a bug or an unexpected library error: keep the row, log it
                log.exception("notify.send_crashed id=%s", row_id)
                err = DeliveryError(f"发送时出现意外错误：{exc.__class__.__name__}: {exc}")
                _on_error(
                    engine,
                    rt,
                    row,
                    worker,
                    now,
                    err,
                    report,
                    backoff,
                    max_backoff,
                    max_attempts,
                )
                continue
            if not _record(
                engine,
                partial(
                    outbox.mark_sent,
                    row_id=row_id,
                    worker=worker,
                    now=now,
                    refused=result.refused,
                ),
            ):
                log.warning("notify.sent_after_claim_lost id=%s key=%s", row_id, row["key"])
            report.sent += 1
            if result.refused:
                report.refused[row_id] = result.refused
                log.warning(
                    "notify.partly_refused id=%s key=%s refused=%s",
                    row_id,
                    row["key"],
                    json.dumps(result.refused, ensure_ascii=False),
                )
            log.info(
                "notify.sent id=%s key=%s recipients=%d", row_id, row["key"], len(result.accepted)
            )
    finally:
        if own_mailer and mailer is not None:
            mailer.close()
    return report


def _record(engine: Engine, fn: Callable[[Any], bool]) -> bool:
    with engine.begin() as conn:
        return fn(conn)


def _on_error(
    engine: Engine,
    rt: Runtime,
    row: dict[str, Any],
    worker: str,
    now: dt.datetime,
    exc: DeliveryError,
    report: DeliveryReport,
    backoff: dt.timedelta,
    max_backoff: dt.timedelta,
    max_attempts: int,
) -> None:
    row_id, attempts, error = row["id"], row["attempts"], str(exc)
    report.errors[row_id] = error
    if exc.refused:
        report.refused[row_id] = exc.refused
    if exc.unknown:
        _on_unknown(engine, rt, row, worker, now, error, report, backoff, max_attempts)
        return
    if exc.permanent or (not exc.connection and attempts >= max_attempts):
        _record(
            engine,
            partial(
                outbox.mark_failed, row_id=row_id, worker=worker, error=error, refused=exc.refused
            ),
        )
        report.failed += 1
        log.error(
            "notify.failed id=%s key=%s attempts=%d error=%s", row_id, row["key"], attempts, error
        )
        return
    if exc.connection:
        # The server, not the message: this attempt does not count towards max_attempts.
        delay = backoff
        attempts_after = attempts - 1
    else:
        delay = backoff_delay(attempts, backoff, max_backoff)
        attempts_after = attempts
    at = rt.window.next_opening(now + delay)

    def retry(c: Any) -> bool:
        ok = outbox.mark_retry(c, row_id, worker, at, error)
        if ok and attempts_after != attempts:
            outbox.set_attempts(c, row_id, attempts_after)
        return ok

    _record(engine, retry)
    report.retried += 1
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


def _on_unknown(
    engine: Engine,
    rt: Runtime,
    row: dict[str, Any],
    worker: str,
    now: dt.datetime,
    error: str,
    report: DeliveryReport,
    backoff: dt.timedelta,
    max_attempts: int,
) -> None:
    """The server may have the message: one resend with the same Message-ID, then an operator."""
    row_id, unknown = row["id"], row["unknown_outcomes"] + 1
    hold = unknown >= 2 or row["attempts"] >= max_attempts
    at = rt.window.next_opening(now + backoff)
    if hold:
        error = _held_reason({**row, "unknown_outcomes": unknown, "last_error": error})
    _record(
        engine,
        partial(
            outbox.mark_unknown, row_id=row_id, worker=worker, error=error, hold=hold, not_before=at
        ),
    )
    if hold:
        report.held += 1
        log.error("notify.held id=%s key=%s unknown_outcomes=%d", row_id, row["key"], unknown)
    else:
        report.retried += 1
        log.warning(
            "notify.outcome_unknown id=%s key=%s not_before=%s", row_id, row["key"], at.isoformat()
        )


def _prepare(conn: Any, rt: Runtime, row: dict[str, Any], worker: str) -> OutgoingMessage | None:
    """The message to send for a claimed row; None when it was cancelled because every
    application it lists has been answered since it was planned (then the row is marked)."""
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
            n = rt.settings.notify
            ctx = notice_context(
                row["kind"],
                row["department"] or "",
                row["working_day"],
                keep,
                unassigned=bool(row["unassigned"]),
                repeat_every=n.repeat_overdue_every,
                escalate_after=n.escalate_after,
            )
            r = render(row["kind"], ctx, n.templates_dir)
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
    return OutgoingMessage(
        recipients=tuple(json.loads(row["recipients"])),
        subject=subject,
        text=text,
        html=html,
        message_id=row["message_id"],
        date=None,
    )
