"""What slamon itself saw of an application, and the record it judges by. Pure.

The platform shows only its newest row; slamon remembers what it already stored, because a
verdict must not turn on a later rewrite of the platform's data:

- **the first answer of a round** (approved, rejected or returned, with its time): once slamon
  stored an answer, a later change of decision or answer time does not change the verdict; the
  platform's new values are kept (``changed``) and shown as a doubt for a person to look at;
- **a new round** of the clock: a 退回 resubmitted, or a 转办 to another provider, while the
  platform kept the old 收到时间. The new clock starts when slamon saw the change (or the row's
  ``updated_at``, when it lies between), flagged as an estimate — never from the old receipt;
- **the answer that ended the previous round**, so a report replayed for an earlier moment sees
  the application as it stood then.

:func:`observe` folds one stored change into the history (the poll calls it before it
overwrites a record); :func:`judged` is the record with the history applied, which is what the
engine evaluates. A history with nothing to say is ``None``: most applications never have one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from slamon.core.records import ApplicationRecord
from slamon.core.vocabulary import (
    ANSWER_CHANGED,
    APPROVED,
    DECISION_PENDING,
    REJECTED,
    RESUBMITTED,
    RETURNED,
    REVIEW_PENDING,
    START_ESTIMATED,
    TRANSFERRED,
    WITHDRAWN,
)

# Decisions that end a round as the platform shows them (whether 退回 is an answer is the rule's).
ROUND_ENDING = (APPROVED, REJECTED, RETURNED)


@dataclass(frozen=True, slots=True)
class Answer:
    decision: str
    decided_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class History:
    # The first answer of this round slamon stored, kept while the platform shows another one.
    answer: Answer | None = None
    # What the platform shows instead of ``answer`` (a doubt to look at, never judged by).
    changed: Answer | None = None
    # This round's clock start, estimated, when the platform kept the old 收到时间.
    restart: dt.datetime | None = None
    restart_reason: str | None = None  # RESUBMITTED / TRANSFERRED
    previous_provider: str | None = None  # who had it before a transfer
    previous: Answer | None = None  # the answer that ended the previous round

    @property
    def flags(self) -> tuple[str, ...]:
        out = []
        if self.changed is not None:
            out.append(ANSWER_CHANGED)
        if self.restart is not None:
            out.append(START_ESTIMATED)
        return tuple(out)

    def restart_for(self, returned_is_answer: bool) -> dt.datetime | None:
        """The round's estimated start under a rule: a resubmission starts a new clock only
        where 退回 was an answer (``clock.returned: answer``); a transfer always does."""
        if self.restart_reason == RESUBMITTED and not returned_is_answer:
            return None
        return self.restart


def answer_of(record: ApplicationRecord) -> Answer | None:
    if record.decision in ROUND_ENDING:
        return Answer(record.decision, record.decided_at)
    return None


def _seen(new: ApplicationRecord, after: dt.datetime | None, now: dt.datetime) -> dt.datetime:
    """When the new round began, at the latest: the row's updated_at when it lies after
    ``after`` (the end of the previous round) and not after ``now``, else ``now``."""
    u = new.updated_at
    if u is not None and u <= now and (after is None or u > after):
        return u
    return now


def _renewed(old: ApplicationRecord, new: ApplicationRecord, after: dt.datetime | None) -> bool:
    """The platform gave the new round its own 收到时间 (later than the old one and than ``after``)."""
    r = new.received_at
    if r is None or (old.received_at is not None and r <= old.received_at):
        return False
    return after is None or r > after


def observe(
    old: ApplicationRecord, new: ApplicationRecord, history: History | None, now: dt.datetime
) -> History | None:
    """The history after the stored record ``old`` is replaced by ``new`` at ``now``."""
    h = history or History()
    first = h.answer or answer_of(old)
    if (
        first is not None
        and first.decision == RETURNED
        and new.decision
        not in (
            RETURNED,
            WITHDRAWN,
        )
    ):  # 退回, then submitted again: a new round
        renewed = _renewed(old, new, first.decided_at)
        return History(
            restart=None if renewed else _seen(new, first.decided_at, now),
            restart_reason=None if renewed else RESUBMITTED,
            previous=first,
        )
    if (
        old.provider_dept != new.provider_dept
        and first is None
        and old.received_at is not None
        and not _renewed(old, new, None)
    ):  # 转办 with the old receipt kept: the new provider's clock starts now
        return History(
            restart=_seen(new, old.received_at, now),
            restart_reason=TRANSFERRED,
            previous_provider=old.provider_dept,
            previous=h.previous,
        )
    if first is not None and answer_of(new) != first:  # kept through a withdrawal, too
        shown = Answer(new.decision, new.decided_at)
        return dataclasses.replace(h, answer=first, changed=shown)
    if h.answer is not None:  # the platform shows the first answer again
        h = dataclasses.replace(h, answer=None, changed=None)
    return None if h == History() else h


def judged(record: ApplicationRecord) -> ApplicationRecord:
    """The record as slamon judges it: the round's first stored answer instead of a later
    rewrite (a withdrawal stands: never the provider's fault)."""
    h = record.history
    if h is None or h.answer is None or record.decision == WITHDRAWN:
        return record
    return dataclasses.replace(
        record,
        decision=h.answer.decision,
        decided_at=h.answer.decided_at,
        history=dataclasses.replace(h, answer=None),
    )


def as_of_round(record: ApplicationRecord, as_of: dt.datetime) -> ApplicationRecord:
    """The judged record as it stood at ``as_of``: before a new round began, the previous round's
    answer and provider."""
    r = judged(record)
    h = r.history
    if h is None:
        return r
    began = h.restart or (r.received_at if h.previous is not None else None)
    if began is None or began <= as_of:
        return r
    prev = h.previous
    changes: dict[str, object] = {
        "decision": prev.decision if prev is not None else DECISION_PENDING,
        "decided_at": prev.decided_at if prev is not None else None,
        "history": dataclasses.replace(h, restart=None, restart_reason=None, changed=None),
    }
    if h.restart_reason == TRANSFERRED and h.previous_provider:
        changes["provider_dept"] = h.previous_provider
    if h.restart is None:  # a renewed receipt had not happened yet
        changes["received_at"] = None
    return dataclasses.replace(r, **changes)


def as_of_view(record: ApplicationRecord, as_of: dt.datetime) -> ApplicationRecord:
    """The record as slamon judges it (core/history) as it stood at ``as_of``: later review,
    receipt and answer not yet happened."""
    record = as_of_round(record, as_of)
    changes: dict[str, object] = {}
    if record.decided_at is not None and record.decided_at > as_of:
        changes.update(decision=DECISION_PENDING, decided_at=None)
    if record.reviewed_at is not None and record.reviewed_at > as_of:
        changes.update(review_status=REVIEW_PENDING, reviewed_at=None)
    if record.received_at is not None and record.received_at > as_of:
        changes["received_at"] = None
    return dataclasses.replace(record, **changes) if changes else record
