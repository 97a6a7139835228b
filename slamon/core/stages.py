"""Rules as written: each rule's clock starts, falls back and stops on the events its file names
(``clock:`` / ``stages:``), and every stage of a staged rule has its own deadline and lateness.
Pure.

- :func:`event_time`: when a record event happened, as a start or as a stop;
- :func:`answer_deadline`: the governing answer deadline (earliest among the active rules);
- :func:`stage_states`: each stage of a staged rule at ``now``: deadline, stop, late or not.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from slamon.core.calendar import WorkCalendar
from slamon.core.deadline import Deadline, compute_deadline, working_days_late
from slamon.core.records import ApplicationRecord
from slamon.core.rules import Rule, RuleSet, Stage
from slamon.core.vocabulary import (
    CONDITIONAL,
    PASSED,
    REVIEW_PENDING,
    ROUND_START,
)


@dataclass(frozen=True, slots=True)
class StageState:
    """One stage of a staged rule at ``now``: a stage late on its own is a finding."""

    id: str
    name: str
    party: str | None  # who must act (None: the provider)
    start: dt.datetime | None
    deadline: dt.datetime | None
    deadline_date: dt.date | None
    stopped_at: dt.datetime | None  # when the stage's stop event happened (None: still open)
    late: bool  # stopped after its deadline, or still open past it at ``now``
    overdue_working_days: int = 0
    rule_id: str = ""
    answer: bool = False  # the provider's answer stage (the SLA state proper)


def event_time(
    record: ApplicationRecord, event: str | None, *, as_start: bool
) -> dt.datetime | None:
    """When ``event`` happened: a review starts a later clock only when it passed, and stops a
    review clock once done (passed or rejected)."""
    if event is None:
        return None
    if (  # a conditional application reaches the provider only once its review passed
        event == "received_at"
        and as_start
        and record.share_type == CONDITIONAL
        and record.review_status != PASSED
    ):
        return None
    if event == "reviewed_at":
        if as_start and record.review_status != PASSED:
            return None
        if not as_start and record.review_status == REVIEW_PENDING:
            return None
    return getattr(record, event)


def stage_start(record: ApplicationRecord, stage: Stage) -> dt.datetime | None:
    return event_time(record, stage.start, as_start=True) or event_time(
        record, stage.fallback, as_start=True
    )


def stage_stop(record: ApplicationRecord, stage: Stage, rule: Rule) -> dt.datetime | None:
    if stage.stop == "decided_at":
        return record.decided_at if rule.answered(record.decision) else None
    return event_time(record, stage.stop, as_start=False)


def _first_start(record: ApplicationRecord, rule: Rule) -> dt.datetime | None:
    for stage in rule.stages:
        start = stage_start(record, stage)
        if start is not None:
            return start
    return None


def clock_start(record: ApplicationRecord, rule: Rule) -> tuple[str | None, dt.datetime | None]:
    """Where and when the provider's answer clock starts under ``rule`` — THE clock start,
    everything else reads it from the SLA state: the answer stage's start event, else its
    fallback, or the estimated start of a new round (core/history) when that is later."""
    stage = rule.answer_stage
    event, start = stage.start, event_time(record, stage.start, as_start=True)
    if start is None:
        event, start = stage.fallback, event_time(record, stage.fallback, as_start=True)
    if start is None:
        return None, None
    h = record.history
    restart = h.restart_for(rule.returned_is_answer) if h is not None else None
    if restart is not None and restart > start:
        return ROUND_START, restart
    return event, start


def answer_start(record: ApplicationRecord, rule: Rule) -> dt.datetime | None:
    return clock_start(record, rule)[1]


def answer_deadline(
    record: ApplicationRecord, rules: RuleSet, calendar: WorkCalendar, tz: dt.tzinfo
) -> Deadline | None:
    """The earliest answer deadline among the active rules that bind the record (each rule's own
    clock start); ties go to the rule listed first. None when no clock has started."""
    best: Deadline | None = None
    for rule in rules.active:
        stage = rule.answer_stage
        if record.share_type not in stage.working_days:
            continue
        start = answer_start(record, rule)
        first = _first_start(record, rule)
        if start is None or first is None or not rule.in_force(first.astimezone(tz).date()):
            continue
        d = compute_deadline(start, rule, record.share_type, calendar, tz)
        if best is None or d.deadline < best.deadline:
            best = d
    return best


def staged_rule(
    record: ApplicationRecord, rules: RuleSet, governing: str | None, tz: dt.tzinfo
) -> Rule | None:
    """The staged rule whose stages are evaluated: the governing one, else the first active
    staged rule with a stage for the record's share type, in force at its first start."""
    if governing is not None:
        rule = rules.get(governing)
        return rule if len(rule.stages) > 1 else None
    for rule in rules.active:
        if len(rule.stages) < 2:
            continue
        first = _first_start(record, rule)
        if first is not None and rule.covers(record.share_type, first.astimezone(tz).date()):
            return rule
    return None


def stage_states(
    record: ApplicationRecord,
    rule: Rule,
    now: dt.datetime,
    calendar: WorkCalendar,
    tz: dt.tzinfo,
    answer: Deadline | None = None,
) -> tuple[StageState, ...]:
    """Every stage of ``rule`` that limits the record's share type, at ``now``. ``answer``: the
    answer stage's deadline as already computed (with any extension)."""
    out = []
    for stage in rule.stages:
        if record.share_type not in stage.working_days:
            continue
        is_answer = stage is rule.answer_stage
        start = answer_start(record, rule) if is_answer else stage_start(record, stage)
        stop = stage_stop(record, stage, rule)
        if start is None:
            out.append(
                StageState(
                    stage.id,
                    stage.name,
                    stage.party,
                    None,
                    None,
                    None,
                    stop,
                    False,
                    0,
                    rule.id,
                    stage is rule.answer_stage,
                )
            )
            continue
        d = (
            answer
            if answer is not None and stage is rule.answer_stage
            else compute_deadline(start, rule, record.share_type, calendar, tz, stage)
        )
        at = stop if stop is not None else now
        late = d.is_late(at)
        over = working_days_late(d, at, calendar, tz) if late else 0
        out.append(
            StageState(
                stage.id,
                stage.name,
                stage.party,
                start,
                d.deadline,
                d.deadline_date,
                stop,
                late,
                over,
                rule.id,
                stage is rule.answer_stage,
            )
        )
    return tuple(out)
