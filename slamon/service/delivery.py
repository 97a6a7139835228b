"""Delivering the outbox: claim → (re-check) → send → record, one row at a time.

The guarantee, exactly:

- **Never lost.** A row leaves the queue only as ``sent`` (the SMTP server accepted it for at least
  one recipient), ``failed`` (every recipient refused permanently, the message refused with 5xx,
  ``notify.max_attempts`` message-level failures, or nobody to send it to) or ``cancelled`` (every
  application it lists was answered before it left). Each is recorded with the reason and shown
  by ``slamon outbox``. Server-level trouble (down, timeout, login refused, sender refused) never
  counts towards ``max_attempts``: the row waits and the pass stops, however long the outage.
- **Never sent twice by slamon's choice.** A row is claimed by a conditional UPDATE that only
  matches ``queued``/``retry`` rows that are due, or ``sending`` rows whose claim is older than
  ``claim_timeout``; a ``sent`` row matches nothing, so it is never sent again.
- **At-least-once at the SMTP boundary.** If a process dies (or stalls longer than
  ``claim_timeout``) after the server accepted a message but before ``sent`` was committed, the
  row is claimed again after the timeout and sent a second time, with the same Message-ID (a
  hash of the outbox key), so mail systems and readers can recognise the copy. The claim timeout
  (10 minutes, more when smtp.timeout_seconds is large: see :func:`claim_timeout_for`) is longer
  than one SMTP exchange can last (3 attempts × timeout + yagmail's 9 s of sleeps).

Mail leaves only inside the sending window on working days; a retry time that falls outside it
moves to the next opening.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from slamon.adapters.mail.mailer import DeliveryError, Mailer, OutgoingMessage, make_mailer
from slamon.adapters.mail.messages import notice_context, render
from slamon.adapters.store import applications, outbox
from slamon.core.vocabulary import OPEN_STAGES, PENDING
from slamon.runtime import Runtime

if TYPE_CHECKING:
    from sqlalchemy import Engine

log = logging.getLogger("slamon.notify")
CLAIM_TIMEOUT = dt.timedelta(minutes=10)
BACKOFF = dt.timedelta(minutes=1)
MAX_BACKOFF = dt.timedelta(hours=2)


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    cancelled: int = 0
    lost_claims: int = 0  # rows another worker claimed first
    outside_window: bool = False
    stopped: str | None = None  # the server-level error that ended the pass early
    refused: dict[int, dict[str, str]] = field(default_factory=dict)  # row id -> {address: reason}
    errors: dict[int, str] = field(default_factory=dict)  # row id -> error

    @property
    def attempted(self) -> int:
        return self.sent + self.retried + self.failed

    def __str__(self) -> str:
        if self.outside_window:
            return "邮件：当前不在发送时段（工作日的发送窗口内），待发邮件将在下一个发送时段发出"
        parts = [f"邮件：发送 {self.sent} 封"]
        if self.retried:
            parts.append(f"待重试 {self.retried} 封")
        if self.failed:
            parts.append(f"失败 {self.failed} 封")
        if self.cancelled:
            parts.append(f"取消 {self.cancelled} 封（所列申请均已答复）")
        if self.refused:
            n = sum(len(v) for v in self.refused.values())
            parts.append(f"{n} 个收件人被拒收（slamon outbox 查看）")
        text = "，".join(parts)
        if self.stopped:
            text += f"；邮件服务器暂不可用，本轮停止：{self.stopped}"
        return text

    def as_json(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "retried": self.retried,
            "failed": self.failed,
            "cancelled": self.cancelled,
            "lost_claims": self.lost_claims,
            "outside_window": self.outside_window,
            "stopped": self.stopped,
            "refused": {str(k): v for k, v in self.refused.items()},
            "errors": {str(k): v for k, v in self.errors.items()},
        }


def claim_timeout_for(smtp_timeout_seconds: int) -> dt.timedelta:
    """How long a claim protects a row: 10 minutes, or longer when one SMTP exchange can take
    longer (yagmail tries 3 times, sleeping 3 + 6 s, each attempt bounded by the timeout)."""
    worst = dt.timedelta(seconds=3 * smtp_timeout_seconds + 9 + 60)
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
    with engine.connect() as conn:
        ids = outbox.due_ids(conn, now, claim_timeout, limit)
    if not ids:
        return report
    own_mailer = mailer is None
    factory = mailer_factory or (lambda: make_mailer(s.smtp))
    try:
        for row_id in ids:
            with engine.begin() as conn:
                if not outbox.claim(conn, row_id, worker, now, claim_timeout):
                    report.lost_claims += 1
                    continue
                row = outbox.load(conn, row_id)
                assert row is not None
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
                    engine, rt, row, worker, now, exc, report, backoff, max_backoff, max_attempts
                )
                if exc.connection:
                    report.stopped = str(exc)
                    break
                continue
            except Exception as exc:  # a bug or an unexpected library error: keep the row, log it
                log.exception("notify.send_crashed id=%s", row_id)
                err = DeliveryError(f"发送时出现意外错误：{exc.__class__.__name__}: {exc}")
                _on_error(
                    engine, rt, row, worker, now, err, report, backoff, max_backoff, max_attempts
                )
                continue
            if not _record(
                engine,
                partial(
                    outbox.mark_sent, row_id=row_id, worker=worker, now=now, refused=result.refused
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


def _prepare(conn: Any, rt: Runtime, row: dict[str, Any], worker: str) -> OutgoingMessage | None:
    """The message to send for a claimed row; None when it was cancelled because every
    application it lists has been answered since it was planned (then the row is marked)."""
    items = json.loads(row["items"] or "[]")
    subject, text, html = row["subject"], row["body_text"], row["body_html"]
    if items:
        stages = applications.stages_of(conn, [i["application_id"] for i in items])
        keep = [i for i in items if stages.get(i["application_id"], PENDING) in OPEN_STAGES]
        if not keep:
            outbox.mark_cancelled(conn, row["id"], worker, "所列申请均已答复，无需发送")
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
