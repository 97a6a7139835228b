"""Notice planning policy, in working days. Pure: no clock, no store, no network.

For one *sending day* P (the working day on which the mail will leave) and the open
applications, decide which items each provider department hears about:

- ``due_soon`` (即将到期): the deadline is P or the next working day. When P is the last working
  day before a break of 3 or more days off, also every deadline within the first two working
  days after the break. An application is reminded once; a reminder missed on its first day
  (no poll ran, record arrived late) is caught up on a later day up to the deadline itself.
- ``overdue`` (已超期): from the first working day after the deadline, then again every
  ``repeat_every`` working days after the last alert while it stays unanswered (a missed day is
  caught up, never skipped).
- ``escalation`` (督办): once, to the supervisors, when an application has been overdue for
  ``escalate_after`` working days or more.

The history of what was already planned comes in as :class:`History`, built from the outbox.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from slamon.core.calendar import WorkCalendar
from slamon.core.sla import is_due_soon
from slamon.core.vocabulary import DUE_SOON, ESCALATION, NOTICE, OVERDUE

BREAK_DAYS_OFF = 3  # a break of at least this many consecutive days off triggers the early reminder


@dataclass(frozen=True)
class Policy:
    repeat_every: int = 2
    escalate_after: int = 3

    def __post_init__(self) -> None:
        if self.repeat_every < 1 or self.escalate_after < 1:
            raise ValueError("repeat_every and escalate_after must be >= 1")


@dataclass(frozen=True, slots=True)
class OpenItem:
    """An unanswered application whose clock runs, as the planner needs it."""

    application_id: str
    department: str  # provider department, already normalised through the aliases
    resource_name: str
    applicant_dept: str
    started_at: dt.datetime | None  # the answer clock's start, as the engine stored it
    deadline: dt.datetime | None
    deadline_date: dt.date
    start_event: str | None = None  # the record field it came from (stages.ROUND_START: a round)
    due_soon_working_days: int = 1  # the governing rule's (core/sla.is_due_soon)


@dataclass(frozen=True, slots=True)
class PlannedItem:
    item: OpenItem
    kind: str  # DUE_SOON / OVERDUE
    overdue_working_days: int  # as of the sending day; 0 when not yet overdue


@dataclass
class PlannedNotice:
    kind: str  # NOTICE / ESCALATION
    department: str
    day: dt.date
    items: list[PlannedItem] = field(default_factory=list)


@dataclass
class History:
    """What earlier outbox rows already covered, per application id."""

    reminded: set[str] = field(default_factory=set)
    last_overdue: dict[str, dt.date] = field(default_factory=dict)
    escalated: set[str] = field(default_factory=set)

    def add(self, kind: str, day: dt.date, items: Iterable[tuple[str, str]]) -> None:
        """Record one planned row: ``items`` are (application_id, item kind)."""
        for aid, item_kind in items:
            if kind == ESCALATION:
                self.escalated.add(aid)
            elif item_kind == DUE_SOON:
                self.reminded.add(aid)
            elif item_kind == OVERDUE:
                prev = self.last_overdue.get(aid)
                if prev is None or day > prev:
                    self.last_overdue[aid] = day


# -- the sending window ------------------------------------------------------------------------
def in_window(
    now: dt.datetime, calendar: WorkCalendar, tz: dt.tzinfo, start: dt.time, end: dt.time
) -> bool:
    local = now.astimezone(tz)
    return (
        calendar.is_working_day(local.date()) and start <= local.time().replace(tzinfo=None) < end
    )


def next_opening(
    now: dt.datetime, calendar: WorkCalendar, tz: dt.tzinfo, start: dt.time, end: dt.time
) -> dt.datetime:
    """``now`` when mail may leave now, else the start of the next sending window (aware, in tz)."""
    local = now.astimezone(tz)
    day = local.date()
    if calendar.is_working_day(day):
        t = local.time().replace(tzinfo=None)
        if t < start:
            return dt.datetime.combine(day, start, tzinfo=tz)
        if t < end:
            return now
    nxt = calendar.next_working_day(day + dt.timedelta(days=1))
    return dt.datetime.combine(nxt, start, tzinfo=tz)


def sending_day(
    now: dt.datetime, calendar: WorkCalendar, tz: dt.tzinfo, start: dt.time, end: dt.time
) -> tuple[dt.date, dt.datetime]:
    """The working day a notice planned at ``now`` goes out on, and its not-before instant."""
    opening = next_opening(now, calendar, tz, start, end)
    return opening.astimezone(tz).date(), opening


@dataclass(frozen=True)
class SendingWindow:
    """The one sending window: working days, ``start`` ≤ local time < ``end``."""

    calendar: WorkCalendar
    tz: dt.tzinfo
    start: dt.time
    end: dt.time

    def contains(self, now: dt.datetime) -> bool:
        return in_window(now, self.calendar, self.tz, self.start, self.end)

    def next_opening(self, now: dt.datetime) -> dt.datetime:
        return next_opening(now, self.calendar, self.tz, self.start, self.end)

    def sending_day(self, now: dt.datetime) -> tuple[dt.date, dt.datetime]:
        return sending_day(now, self.calendar, self.tz, self.start, self.end)


def break_after(day: dt.date, calendar: WorkCalendar) -> int:
    """Consecutive days off right after ``day``."""
    return (calendar.nth_working_day_after(day, 1) - day).days - 1


# -- planning ------------------------------------------------------------------------------------
def plan(
    items: Iterable[OpenItem],
    day: dt.date,
    calendar: WorkCalendar,
    policy: Policy,
    history: History | None = None,
) -> list[PlannedNotice]:
    """The notices for sending day ``day`` (a working day), one per (kind, department)."""
    history = history or History()
    day_ord = day.toordinal()
    # Deadlines reminded on ``day``: those due soon by their rule (core/sla.is_due_soon), one
    # working day earlier before a long break (nobody reads mail during it).
    extra = 1 if break_after(day, calendar) >= BREAK_DAYS_OFF else 0
    soon_cache: dict[tuple[int, int], bool] = {}
    wd = calendar.working_days_between
    overdue_cache: dict[int, int] = {}
    notices: dict[tuple[str, str], PlannedNotice] = {}

    def add(kind: str, entry: PlannedItem) -> None:
        key = (kind, entry.item.department)
        notice = notices.get(key)
        if notice is None:
            notice = notices[key] = PlannedNotice(kind, entry.item.department, day)
        notice.items.append(entry)

    reminded, last_overdue, escalated = history.reminded, history.last_overdue, history.escalated
    for it in items:
        d_ord = it.deadline_date.toordinal()
        if d_ord >= day_ord:
            key = (d_ord, it.due_soon_working_days)
            soon = soon_cache.get(key)
            if soon is None:
                days = it.due_soon_working_days + extra
                soon = soon_cache[key] = is_due_soon(day, it.deadline_date, days, calendar)
            if soon and it.application_id not in reminded:
                add(NOTICE, PlannedItem(it, DUE_SOON, 0))
            continue
        late = overdue_cache.get(d_ord)
        if late is None:
            late = overdue_cache[d_ord] = wd(it.deadline_date, day)
        if late < 1:  # deadline on a day off just before ``day``: not a working day late yet
            continue
        prev = last_overdue.get(it.application_id)
        if prev is None or wd(prev, day) >= policy.repeat_every:
            add(NOTICE, PlannedItem(it, OVERDUE, late))
        if late >= policy.escalate_after and it.application_id not in escalated:
            add(ESCALATION, PlannedItem(it, OVERDUE, late))
    out = list(notices.values())
    for n in out:
        n.items.sort(
            key=lambda p: (
                p.kind != OVERDUE,
                -p.overdue_working_days,
                p.item.deadline_date,
                p.item.application_id,
            )
        )
    out.sort(key=lambda n: (n.kind, n.department))
    return out


# -- listing -------------------------------------------------------------------------------------
ATTACH_MAX_ITEMS = (
    2000  # a full list up to this many rows goes along as XLSX (≈60 KB); past it, none
)


def attaches_full_list(total: int, max_items_per_mail: int) -> bool:
    """THE rule for a mail's XLSX attachment: the whole list goes along when the mail may not
    list every application (``notify.max_items_per_mail``) and the list is short enough to keep
    the mail small."""
    return max_items_per_mail < total <= ATTACH_MAX_ITEMS


def unlisted_sentence(
    rest: int,
    listed: int,
    department: str,
    size_cap: str | None = None,
    attached: bool = False,
    page: str | None = None,
) -> str:
    """THE line under a mail's list when ``rest`` applications were left out: how many, and
    where to see them all (the XLSX attachment when :func:`attaches_full_list`, ``slamon status
    --department`` and the web's department page). ``attached``: :func:`attaches_full_list`
    said the whole list goes along. ``size_cap`` (e.g. "1 MB"): the list was cut
    further to keep the mail under that size. ``page``: the department page's absolute address
    (core/links, ``web.public_url``); without one the page is named, never given a relative
    link that no mail client can open."""
    why = (
        f"为使邮件不超过 {size_cap}，本邮件只列出 {listed} 件"
        if size_cap
        else f"本邮件按超期时间由长到短只列出前 {listed} 件"
    )
    total = rest + listed
    where = (
        f"全部 {total} 件见本邮件附件（XLSX 表格），也可用 "
        if attached
        else f"全部申请（共 {total} 件，过多不作附件）请用 "
    )
    web = f"，或打开监测网页中该部门的页面：{page}" if page else "，或在监测网页中打开该部门的页面"
    return f"其余 {rest} 件未在本邮件列出（{why}）；{where}slamon status --department {department} 查看{web}。"
