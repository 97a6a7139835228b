"""SLA evaluation: where an application stands against its legal deadline at ``now``. Pure.

Stages (docs/CONTRACT.md §2, ``status --json``):
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
from slamon.core.errors import CalendarError
from slamon.core.history import judged
from slamon.core.records import ApplicationRecord
from slamon.core.rules import RuleSet
from slamon.core.stages import (
    StageState,
    answer_deadline,
    clock_start,
    stage_states,
    staged_rule,
)
from slamon.core.vocabulary import (
    ANSWERED_LATE,
    ANSWERED_ON_TIME,
    AWAITING_REVIEW,
    BEYOND_CALENDAR,
    CONDITIONAL,
    DATA_ISSUE,
    DECISION_PENDING,
    DUE_SOON,
    EXTENSION_AFTER_DEADLINE,
    EXTENSION_BEYOND_CALENDAR,
    EXTENSION_NOT_ALLOWED,
    EXTENSION_OVER_CAP,
    EXTENSION_UNAPPROVED,
    NOT_APPLICABLE,
    OPEN_STAGES,
    OVERDUE,
    PASSED,
    PENDING,
    RECEIVED_BEFORE_REVIEW,
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
    start_event: str | None = None  # the record field it came from (stages.ROUND_START: a round)
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
    record = judged(record)  # the first answer slamon stored, not a later rewrite
    if record.decision == WITHDRAWN:  # withdrawn or voided: never the provider's fault
        return SlaState(aid, WITHDRAWN)
    record, early = _received_before_review(record, rules, tz)
    if early:
        return SlaState(aid, DATA_ISSUE, issue=RECEIVED_BEFORE_REVIEW)
    return _evaluated(record, now, rules, calendar, tz)


def is_due_soon(day: dt.date, deadline_date: dt.date, days: int, calendar: WorkCalendar) -> bool:
    """ "即将到期" — THE definition: the deadline is ``day`` itself or at most ``days`` working
    days after it (the rule's ``due_soon_working_days``; a notice adds one before a long break)."""
    return deadline_date >= day and calendar.working_days_between(day, deadline_date) <= days


def clock_started(
    record: ApplicationRecord, rules: RuleSet, calendar: WorkCalendar, tz: dt.tzinfo
) -> dt.datetime | None:
    """When the governing rule's answer clock started, whatever the stage (a withdrawn or held
    application too); None when no clock started or its deadline has no calendar."""
    try:
        d = answer_deadline(judged(record), rules, calendar, tz)
    except CalendarError:
        return None
    return None if d is None else d.start


def _evaluated(
    record: ApplicationRecord,
    now: dt.datetime,
    rules: RuleSet,
    calendar: WorkCalendar,
    tz: dt.tzinfo,
) -> SlaState:
    aid = record.application_id
    review_rejected = record.share_type == CONDITIONAL and record.review_status == REJECTED
    try:
        d = None if review_rejected else answer_deadline(record, rules, calendar, tz)
    except CalendarError:  # one absurd value must not stop a read: held, not judged
        return SlaState(aid, DATA_ISSUE, issue=BEYOND_CALENDAR)
    if d is None:
        waiting = (
            not review_rejected
            and record.share_type == CONDITIONAL
            and record.decision == DECISION_PENDING
            and all(clock_start(record, rule)[1] is None for rule in rules.active)
        )
        state = SlaState(aid, AWAITING_REVIEW if waiting else NOT_APPLICABLE)
    else:
        d, flags = _extended(record, d, rules, calendar, tz)
        history = record.history.flags if record.history is not None else ()
        state = _stage(record, d, now, rules, calendar, tz, (*flags, *history))
    staged = staged_rule(record, rules, d.rule_id if d is not None else None, tz)
    if staged is not None:
        state = replace(state, stages=stage_states(record, staged, now, calendar, tz, d))
    return state


def _received_before_review(
    record: ApplicationRecord, rules: RuleSet, tz: dt.tzinfo
) -> tuple[ApplicationRecord, bool]:
    """A 收到时间 on a day before the review passed cannot be: held (True), or — where the
    governing rule says ``clock.received_before_review: review`` — counted from the review."""
    received, reviewed = record.received_at, record.reviewed_at
    if (
        received is None
        or reviewed is None
        or record.share_type != CONDITIONAL
        or record.review_status != PASSED
        or received.astimezone(tz).date() >= reviewed.astimezone(tz).date()
    ):
        return record, False
    binding = [r for r in rules.active if record.share_type in r.answer_stage.working_days]
    if binding and binding[0].received_before_review == "review":
        return replace(record, received_at=reviewed), False
    return record, True


def _extended(
    record: ApplicationRecord, d: Deadline, rules: RuleSet, calendar: WorkCalendar, tz: dt.tzinfo
) -> tuple[Deadline, tuple[str, ...]]:
    """The deadline moved by the record's extension when the rule allows it as recorded; else
    the rule's own deadline, with why the extension was not applied flagged (the rule allows
    none, longer than the cap, approved after the deadline or at no recorded time, or beyond
    the calendar). A doubtful extension never gives a longer deadline."""
    days = record.extension_working_days or 0
    if days <= 0:
        return d, ()
    allowed = rules.get(d.rule_id).extension
    approved = record.extension_approved_at
    if allowed is None:
        return d, (EXTENSION_NOT_ALLOWED,)
    if days > allowed.max_working_days:
        return d, (EXTENSION_OVER_CAP,)
    if approved is None:
        return d, (EXTENSION_UNAPPROVED,)
    if approved > d.deadline:
        return d, (EXTENSION_AFTER_DEADLINE,)
    try:
        return extend_deadline(d, days, calendar, tz), ()
    except CalendarError:
        return d, (EXTENSION_BEYOND_CALENDAR,)


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
        start_event=clock_start(record, rules.get(d.rule_id))[0],
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
    if is_due_soon(today, d.deadline_date, rules.get(d.rule_id).due_soon_working_days, calendar):
        return SlaState(stage=DUE_SOON, **common)
    return SlaState(stage=PENDING, **common)


def still_holds(
    rule_id: str | None,
    deadline: dt.datetime | None,
    evaluated_at: dt.datetime,
    now: dt.datetime,
    rules: RuleSet,
    tz: dt.tzinfo,
) -> bool:
    """Whether a state :func:`evaluate` gave at ``evaluated_at`` is the state at ``now`` too,
    for the same record, data issue, rules and calendar. Time enters a state only through
    whether ``now`` lies after the deadline and through the local date of ``now`` (working days
    late, due soon); a staged rule judges each stage at ``now`` on its own, so never for one.
    ``rule_id``: the state's governing rule (None: no clock, then any active staged rule)."""
    if rule_id is None:
        staged = any(len(r.stages) > 1 for r in rules.active)
    else:
        staged = rule_id not in rules.rules or len(rules.rules[rule_id].stages) > 1
    if staged or evaluated_at > now:
        return False
    if evaluated_at.astimezone(tz).date() != now.astimezone(tz).date():
        return False
    return deadline is None or not evaluated_at <= deadline < now


@dataclass(frozen=True, slots=True)
class Holding:
    """:func:`still_holds` as bounds a store can filter its open states by: a state may have
    moved unless it was evaluated under ``fingerprint`` from ``since`` (the start of the local
    day of ``now``) up to ``now``, under one of ``steady_rules`` (rules of one stage), and no
    deadline lay between. What the store returns is a superset of the states that moved, so
    an idle poll does not read every open state; still_holds decides on what it returns."""

    fingerprint: str
    since: dt.datetime
    now: dt.datetime
    steady_rules: tuple[str, ...]


def holding(fingerprint: str, now: dt.datetime, rules: RuleSet, tz: dt.tzinfo) -> Holding:
    """The :class:`Holding` bounds at ``now``: the local day starts at its first instant (a
    midnight that a clock change skips maps to the instant the day begins)."""
    since = dt.datetime.combine(now.astimezone(tz).date(), dt.time(), tz)
    steady = tuple(sorted(i for i, rule in rules.rules.items() if len(rule.stages) <= 1))
    return Holding(fingerprint, since, now, steady)
