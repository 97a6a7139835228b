"""SLA evaluation: where an application stands against its legal deadline at ``now``. Pure.

Stages (CONTRACT §2, ``status --json``):
- ``not_applicable``: no active rule covers it (e.g. unconditional under guizhou-2023), or the
  normative review rejected it so it never reached the provider;
- ``awaiting_review``: conditional, review pending: the provider's clock has not started;
- ``pending``: the clock runs, the deadline is more than ``due_soon_working_days`` away;
- ``due_soon``: the deadline is today or within the rule's due-soon working days;
- ``overdue``: the deadline has passed and there is no answer;
- ``answered_on_time`` / ``answered_late``;
- ``data_issue``: the caller knows the record is doubtful (its newest row was rejected, one read
  carried it twice with different content, it vanished from the platform): no verdict at all.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from slamon.core.calendar import WorkCalendar
from slamon.core.deadline import (
    Deadline,
    extend_deadline,
    working_days_elapsed,
    working_days_late,
)
from slamon.core.records import ApplicationRecord
from slamon.core.rules import RuleSet
from slamon.core.stages import StageState, answer_deadline, stage_states, staged_rule
from slamon.core.vocabulary import (
    ANSWERED_LATE,
    ANSWERED_ON_TIME,
    AWAITING_REVIEW,
    CONDITIONAL,
    DATA_ISSUE,
    DUE_SOON,
    EXTENSION_AFTER_DEADLINE,
    EXTENSION_NOT_ALLOWED,
    EXTENSION_OVER_CAP,
    NOT_APPLICABLE,
    OPEN_STAGES,
    OVERDUE,
    PENDING,
    REJECTED,
    WITHDRAWN,
)


@dataclass(frozen=True, slots=True)
class SlaState:
    application_id: str
    stage: str
    rule_id: str | None = None
    deadline: dt.datetime | None = None
    deadline_date: dt.date | None = None
    overdue_working_days: int = (
        0  # working days past the deadline: at now if open, at the answer if answered late
    )
    answer_working_days: int | None = (
        None  # working days from clock start to the answer (0 = same day)
    )
    calendar_official: bool = True
    issue: str | None = None  # the data-issue reason code when stage is data_issue
    extended_by: int = 0  # working days of an approved extension included in ``deadline``
    flags: tuple[str, ...] = ()  # data-quality flags (vocabulary FLAG_NAMES): applied, but doubtful
    started_at: dt.datetime | None = None  # the answer clock's start under the governing rule
    stages: tuple[StageState, ...] = ()  # every stage of a staged rule (empty for one stage)

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_STAGES


def evaluate(
    record: ApplicationRecord,
    now: dt.datetime,
    rules: RuleSet,
    calendar: WorkCalendar,
    tz: dt.tzinfo,
    issue: str | None = None,
) -> SlaState:
    """The SLA state of one application at ``now`` (aware).

    ``issue``: the reason code of an open data issue (vocabulary ``ISSUE_REASONS``) — the record
    is doubtful, so the state is ``data_issue`` and carries no verdict.
    """
    aid = record.application_id
    if issue is not None:
        return SlaState(aid, DATA_ISSUE, issue=issue)
    if record.decision == WITHDRAWN:  # withdrawn or voided: never the provider's fault
        return SlaState(aid, WITHDRAWN)
    review_rejected = record.share_type == CONDITIONAL and record.review_status == REJECTED
    d = None if review_rejected else answer_deadline(record, rules, calendar, tz)
    if d is None:
        waiting = (
            not review_rejected
            and record.share_type == CONDITIONAL
            and record.decision == PENDING
            and record.clock_start is None
        )
        state = SlaState(aid, AWAITING_REVIEW if waiting else NOT_APPLICABLE)
    else:
        d, flags = _extended(record, d, rules, calendar, tz)
        state = _stage(record, d, now, rules, calendar, tz, flags)
    staged = staged_rule(record, rules, d.rule_id if d is not None else None, tz)
    if staged is not None:
        state = replace(state, stages=stage_states(record, staged, now, calendar, tz, d))
    return state


def _extended(
    record: ApplicationRecord, d: Deadline, rules: RuleSet, calendar: WorkCalendar, tz: dt.tzinfo
) -> tuple[Deadline, tuple[str, ...]]:
    """The deadline moved by the record's approved extension, as recorded, with what is doubtful
    about it flagged (the rule allows none, it is longer than the cap, approved too late)."""
    days = record.extension_working_days or 0
    if days <= 0:
        return d, ()
    allowed = rules.get(d.rule_id).extension
    flags = []
    if allowed is None:
        flags.append(EXTENSION_NOT_ALLOWED)
    elif days > allowed.max_working_days:
        flags.append(EXTENSION_OVER_CAP)
    approved = record.extension_approved_at
    if approved is not None and approved > d.deadline:
        flags.append(EXTENSION_AFTER_DEADLINE)
    return extend_deadline(d, days, calendar, tz), tuple(flags)


def _stage(
    record: ApplicationRecord,
    d: Deadline,
    now: dt.datetime,
    rules: RuleSet,
    calendar: WorkCalendar,
    tz: dt.tzinfo,
    flags: tuple[str, ...] = (),
) -> SlaState:
    common = dict(
        application_id=record.application_id,
        rule_id=d.rule_id,
        deadline=d.deadline,
        deadline_date=d.deadline_date,
        calendar_official=d.calendar_official,
        extended_by=d.extended_by,
        flags=flags,
        started_at=d.start,
    )
    if record.decided_at is not None and rules.get(d.rule_id).answered(record.decision):
        elapsed = working_days_elapsed(d.start, record.decided_at, calendar, tz)
        if d.is_late(record.decided_at):
            late = working_days_late(d, record.decided_at, calendar, tz)
            return SlaState(
                stage=ANSWERED_LATE,
                overdue_working_days=late,
                answer_working_days=elapsed,
                **common,
            )
        return SlaState(stage=ANSWERED_ON_TIME, answer_working_days=elapsed, **common)
    if d.is_late(now):
        late = working_days_late(d, now, calendar, tz)
        return SlaState(stage=OVERDUE, overdue_working_days=late, **common)
    today = now.astimezone(tz).date()
    due_soon = rules.get(d.rule_id).due_soon_working_days
    if calendar.working_days_between(today, d.deadline_date) <= due_soon:
        return SlaState(stage=DUE_SOON, **common)
    return SlaState(stage=PENDING, **common)
