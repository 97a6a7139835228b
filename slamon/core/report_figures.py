"""Monthly figures (docs/CONTRACT.md §3), pure: records, rules, calendar and the as-of moment in.

Everything is decided as of ``as_of``: an event recorded after it (a review, a receipt, an
answer) is treated as not having happened yet, so a report for a past month can be replayed
exactly from today's records. SLA stages come from the engine (:func:`slamon.core.sla.evaluate`).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from slamon.core.calendar import WorkCalendar
from slamon.core.data_quality import conflicting_ids
from slamon.core.dispatch import Dispatch, dispatch_counts
from slamon.core.history import as_of_view
from slamon.core.periods import Month
from slamon.core.records import ApplicationRecord
from slamon.core.rules import RuleSet
from slamon.core.sla import SlaState, evaluate
from slamon.core.vocabulary import (
    ANSWERED_LATE,
    ANSWERED_ON_TIME,
    CALENDAR_UNOFFICIAL,
    CONDITIONAL,
    DATA_ISSUE,
    OVERDUE,
    WITHDRAWN,
)

TOP_N = 3
MIN_ANSWERS = 3  # a provider needs this many answers in the month to be ranked


@dataclass(frozen=True)
class LateItem:
    """One conditional application answered late in the month, or still unanswered past its deadline."""

    application_id: str
    provider_dept: str
    resource_name: str
    applicant_dept: str
    submitted_at: dt.datetime
    started_at: dt.datetime  # the clock's start (core/stages.clock_start; a stage's own start)
    deadline: dt.datetime
    deadline_date: dt.date
    rule_id: str
    answered: bool  # True: answered late within the month; False: unanswered at as_of
    decided_at: dt.datetime | None
    overdue_working_days: int
    extended_by: int = 0  # the deadline includes an approved extension of this many working days
    flags: tuple[str, ...] = ()  # data-quality flags (vocabulary FLAG_NAMES)
    stage: str | None = None  # an earlier stage of a staged rule late on its own; None = the answer
    stage_name: str | None = None
    share_type: str = CONDITIONAL
    calendar_official: bool = True  # False: the deadline was reckoned on an estimated calendar

    def as_dict(self, tz: dt.tzinfo) -> dict[str, object]:
        def iso(v: dt.datetime | None) -> str | None:
            return None if v is None else v.astimezone(tz).isoformat(timespec="seconds")

        return {
            "application_id": self.application_id,
            "provider_dept": self.provider_dept,
            "resource_name": self.resource_name,
            "applicant_dept": self.applicant_dept,
            "received_at": iso(self.started_at),  # the clock start (the contract's name)
            "deadline": iso(self.deadline),
            "deadline_date": self.deadline_date.isoformat(),
            "rule": self.rule_id,
            "status": ANSWERED_LATE if self.answered else "unanswered_overdue",
            "decided_at": iso(self.decided_at),
            "overdue_working_days": self.overdue_working_days,
            "extended_by": self.extended_by,
            "flags": list(self.flags),
            "stage": self.stage,
            "stage_name": self.stage_name,
            "share_type": self.share_type,
            "calendar_official": self.calendar_official,
        }


@dataclass(frozen=True)
class LateProvider:
    provider_dept: str
    items: tuple[LateItem, ...]

    @property
    def resources(self) -> list[str]:
        """Late resources, deduplicated in first-seen order."""
        return list(dict.fromkeys(i.resource_name for i in self.items))

    @property
    def applications(self) -> list[str]:
        return [i.application_id for i in self.items]

    @property
    def stage(self) -> str | None:
        """The earlier stage the group is late in (None: the provider's answer)."""
        return self.items[0].stage

    @property
    def stage_name(self) -> str | None:
        return self.items[0].stage_name

    @property
    def share_types(self) -> list[str]:
        return list(dict.fromkeys(i.share_type for i in self.items))

    @property
    def answered_late(self) -> tuple[LateItem, ...]:
        return tuple(i for i in self.items if i.answered)

    @property
    def unanswered(self) -> tuple[LateItem, ...]:
        return tuple(i for i in self.items if not i.answered)

    def as_dict(self, tz: dt.tzinfo) -> dict[str, object]:
        return {
            "provider_dept": self.provider_dept,
            "resources": self.resources,
            "applications": self.applications,
            "answered_late": len(self.answered_late),
            "unanswered_overdue": len(self.unanswered),
            "stage": self.stage,
            "stage_name": self.stage_name,
            "details": [i.as_dict(tz) for i in self.items],
        }


@dataclass(frozen=True)
class Timeliness:
    """One provider's answers given in the month (conditional applications under a rule)."""

    provider_dept: str
    answers: int
    on_time: int
    total_working_days: int

    @property
    def mean_working_days(self) -> float:
        return self.total_working_days / self.answers

    @property
    def on_time_rate(self) -> float:
        return self.on_time / self.answers

    def sort_key(self) -> tuple[float, float, int, str]:
        return (self.mean_working_days, -self.on_time_rate, -self.answers, self.provider_dept)


@dataclass(frozen=True)
class MonthlyFigures:
    month: Month
    as_of: dt.datetime
    dispatch: Dispatch
    ranking: tuple[Timeliness, ...]  # every eligible provider, best first
    late: tuple[LateProvider, ...]
    rule_ids: tuple[str, ...] = field(default=())  # rules that governed the late applications
    held: tuple[str, ...] = field(default=())  # data_issue ids left out of `late` and the ranking
    # exempted (核实排除) applications that would otherwise be in `late` (or answered in the month)
    exempted: tuple[LateItem, ...] = field(default=())
    withdrawn: int = 0  # applications of the month withdrawn (已撤回): no clock, no verdict
    # (application_id, flag) of the month's judged applications whose data is doubtful but was
    # judged by the rule (a doubtful extension not applied, an answer rewritten, an estimated start)
    flagged: tuple[tuple[str, str], ...] = field(default=())
    id_conflicts: tuple[tuple[str, ...], ...] = field(default=())  # see conflicting_ids
    # every provider's answers in the month (the ranking keeps those with MIN_ANSWERS), by name
    answers: tuple[Timeliness, ...] = field(default=())
    received: tuple[tuple[str, int], ...] = field(
        default=()
    )  # applications of the month by provider

    @property
    def timeliness_top(self) -> list[str]:
        return [t.provider_dept for t in self.ranking[:TOP_N]]


def _late_item(r: ApplicationRecord, s: SlaState) -> LateItem:
    assert s.deadline is not None and s.deadline_date is not None and s.rule_id is not None
    start = s.started_at
    assert start is not None
    return LateItem(
        application_id=r.application_id,
        provider_dept=r.provider_dept,
        resource_name=r.resource_name,
        applicant_dept=r.applicant_dept,
        submitted_at=r.submitted_at,
        started_at=start,
        deadline=s.deadline,
        deadline_date=s.deadline_date,
        rule_id=s.rule_id,
        answered=s.stage == ANSWERED_LATE,
        decided_at=r.decided_at,
        overdue_working_days=s.overdue_working_days,
        extended_by=s.extended_by,
        flags=s.flags,
        share_type=r.share_type,
        calendar_official=s.calendar_official,
    )


def _stage_findings(
    r: ApplicationRecord, s: SlaState, month_start: dt.datetime, until: dt.datetime
) -> list[LateItem]:
    """Earlier stages of a staged rule late on their own: stopped late within the month, or
    still open past their deadline (a finding even when the whole case ends in time)."""
    out = []
    for st in s.stages:
        if st.answer or not st.late or st.start is None or st.deadline is None:
            continue
        if st.stopped_at is not None and not month_start <= st.stopped_at <= until:
            continue
        assert st.deadline_date is not None
        out.append(
            LateItem(
                application_id=r.application_id,
                provider_dept=st.party or r.provider_dept,
                resource_name=r.resource_name,
                applicant_dept=r.applicant_dept,
                submitted_at=r.submitted_at,
                started_at=st.start,
                deadline=st.deadline,
                deadline_date=st.deadline_date,
                rule_id=st.rule_id,
                answered=st.stopped_at is not None,
                decided_at=st.stopped_at,
                overdue_working_days=st.overdue_working_days,
                stage=st.id,
                stage_name=st.name,
                share_type=r.share_type,
            )
        )
    return out


def group_late(items: Iterable[LateItem]) -> tuple[LateProvider, ...]:
    """Group by provider; items in submission order; providers by how many late, then first seen."""
    ordered = sorted(items, key=lambda i: (i.submitted_at, i.application_id))
    by_dept: dict[tuple[str, str | None], list[LateItem]] = {}
    for item in ordered:
        by_dept.setdefault((item.provider_dept, item.stage), []).append(item)
    groups = [LateProvider(d, tuple(v)) for (d, _stage), v in by_dept.items()]
    first = {id(g): i for i, g in enumerate(groups)}
    groups.sort(key=lambda g: (-len(g.items), first[id(g)]))
    return tuple(groups)


def rank_timeliness(stats: dict[str, list[int]]) -> tuple[Timeliness, ...]:
    """``stats``: provider → [answers, on_time, total working days]; eligible ones, best first."""
    eligible = [Timeliness(dept, a, o, w) for dept, (a, o, w) in stats.items() if a >= MIN_ANSWERS]
    return tuple(sorted(eligible, key=Timeliness.sort_key))


@dataclass
class MonthTally:
    """What :func:`monthly_figures` gathers, application by application."""

    start: dt.datetime
    end: dt.datetime
    answered_until: dt.datetime
    as_of: dt.datetime
    in_month: list[ApplicationRecord] = field(default_factory=list)
    late: list[LateItem] = field(default_factory=list)
    exempted: list[LateItem] = field(default_factory=list)
    stats: dict[str, list[int]] = field(default_factory=dict)  # answers, on time, working days
    left_out: list[str] = field(default_factory=list)
    flagged: list[tuple[str, str]] = field(default_factory=list)

    def judged(self, r: ApplicationRecord, s: SlaState, skip: bool) -> None:
        """One judged application: its findings, its lateness, its answer in the ranking."""
        findings = self.exempted if skip else self.late
        if s.stages:
            findings.extend(_stage_findings(r, s, self.start, self.answered_until))
        if s.stage == OVERDUE:
            findings.append(_late_item(r, s))
            return
        if s.stage not in (ANSWERED_ON_TIME, ANSWERED_LATE):
            return
        assert r.decided_at is not None
        if not self.start <= r.decided_at <= self.answered_until:
            return
        if s.stage == ANSWERED_LATE:
            findings.append(_late_item(r, s))
        if skip:
            return
        st = self.stats.setdefault(r.provider_dept, [0, 0, 0])
        st[0] += 1
        st[1] += s.stage == ANSWERED_ON_TIME
        st[2] += s.answer_working_days or 0

    def flags(self, r: ApplicationRecord, s: SlaState) -> None:
        self.flagged.extend((r.application_id, f) for f in s.flags)
        if not s.calendar_official:
            self.flagged.append((r.application_id, CALENDAR_UNOFFICIAL))

    def add(
        self,
        raw: ApplicationRecord,
        rules: RuleSet,
        calendar: WorkCalendar,
        tz: dt.tzinfo,
        held: Collection[str],
        exempt: Collection[str],
        judge: bool = True,
    ) -> None:
        """One stored record (not seen before, submitted by ``as_of``) as it stood at ``as_of``.
        ``judge=False``: only its place among the month's applications (a caller that knows no
        active rule binds its share type, so judging it could add nothing but a held id)."""
        r = as_of_view(raw, self.as_of)
        if self.start <= r.submitted_at <= self.end:
            self.in_month.append(r)
        if r.application_id in held:
            self.left_out.append(r.application_id)
            return
        if not judge or raw.decision == WITHDRAWN:  # withdrawn (even later): never an accusation
            return
        s = evaluate(r, self.as_of, rules, calendar, tz)
        if s.stage == DATA_ISSUE:  # the record contradicts itself: held, never judged
            if self.in_period(r):
                self.left_out.append(r.application_id)
            return
        if s.rule_id is None and not s.stages:  # bound by no active rule
            return
        if self.in_period(r):
            self.flags(r, s)
        self.judged(r, s, r.application_id in exempt)

    def figures(self, month: Month, rules: RuleSet) -> MonthlyFigures:
        """The month's figures from what was added."""
        t = self
        used = {i.rule_id for i in t.late}
        order = [*rules.active_ids, *(rid for rid in rules.rules if rid not in rules.active_ids)]
        return MonthlyFigures(
            month=month,
            as_of=t.as_of,
            dispatch=dispatch_counts(t.in_month),
            ranking=rank_timeliness(t.stats),
            late=group_late(t.late),
            rule_ids=tuple(rid for rid in order if rid in used),
            held=tuple(sorted(t.left_out)),
            exempted=tuple(sorted(t.exempted, key=lambda i: (i.submitted_at, i.application_id))),
            withdrawn=sum(1 for r in t.in_month if r.decision == WITHDRAWN),
            flagged=tuple(t.flagged),
            id_conflicts=conflicting_ids(r.application_id for r in t.in_month),
            answers=tuple(Timeliness(d, *t.stats[d]) for d in sorted(t.stats)),
            received=tuple(sorted(Counter(r.provider_dept for r in t.in_month).items())),
        )

    def in_period(self, r: ApplicationRecord) -> bool:
        """Submitted in the month, or open, or answered in it: what its note speaks of."""
        return self.start <= r.submitted_at <= self.end or (
            r.decided_at is None or self.start <= r.decided_at <= self.answered_until
        )


def month_tally(month: Month, as_of: dt.datetime, tz: dt.tzinfo) -> MonthTally:
    """An empty tally of ``month`` as of ``as_of``: :meth:`MonthTally.add` each record once."""
    start, end = month.start(tz), month.end(tz)
    return MonthTally(start, end, min(end, as_of), as_of)


def monthly_figures(
    records: Iterable[ApplicationRecord],
    month: Month,
    as_of: dt.datetime,
    rules: RuleSet,
    calendar: WorkCalendar,
    tz: dt.tzinfo,
    held: Collection[str] = (),
    exempt: Collection[str] = (),
) -> MonthlyFigures:
    """The month's figures as of ``as_of`` from any superset of the records that matter.

    ``held``: ids of applications with an open data issue (数据存疑): counted in the dispatch
    figures, never in ``late`` or the ranking. ``exempt``: ids exempted after verification
    (核实排除): counted in the dispatch figures, never in ``late`` or the ranking; those that
    would have been late are kept in ``exempted`` so the report can say what was left out.
    """
    t = month_tally(month, as_of, tz)
    seen: set[str] = set()
    for raw in records:
        if raw.application_id in seen or raw.submitted_at > as_of:
            continue
        seen.add(raw.application_id)
        t.add(raw, rules, calendar, tz, held, exempt)
    return t.figures(month, rules)
