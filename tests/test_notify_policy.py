"""The pure planning policy: working days, the sending window, the National Day break."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slamon.core.notice_policy import (
    DUE_SOON,
    ESCALATION,
    NOTICE,
    OVERDUE,
    History,
    OpenItem,
    Policy,
    break_after,
    in_window,
    next_opening,
    plan,
    sending_day,
)

TZ = ZoneInfo("Asia/Shanghai")
NINE, HALF_FIVE = dt.time(9), dt.time(17, 30)
D = dt.date.fromisoformat


def item(aid: str, deadline: str, dept: str = "省公共资源交易中心") -> OpenItem:
    d = D(deadline)
    return OpenItem(
        aid,
        dept,
        "工程类_招标项目",
        "省税务局",
        None,
        dt.datetime.combine(d, dt.time(23, 59, 59), tzinfo=TZ),
        d,
    )


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=TZ)


def simulate(
    items: list[OpenItem], first: str, last: str, calendar, policy: Policy = Policy()
) -> dict:
    """Plan every working day from first to last, feeding history forward like the outbox does."""
    history, out = History(), {}
    day = D(first)
    while day <= D(last):
        if calendar.is_working_day(day):
            notices = plan(items, day, calendar, policy, history)
            for n in notices:
                history.add(n.kind, day, ((p.item.application_id, p.kind) for p in n.items))
                out.setdefault(day.isoformat(), []).append(
                    (
                        n.kind,
                        n.department,
                        [(p.item.application_id, p.kind, p.overdue_working_days) for p in n.items],
                    )
                )
        day += dt.timedelta(days=1)
    return out


def test_sending_window_and_next_opening(calendar) -> None:
    # a working day inside the window: now
    assert next_opening(at("2024-09-30 10:00"), calendar, TZ, NINE, HALF_FIVE) == at(
        "2024-09-30 10:00"
    )
    # before the window: today 09:00; after it: the next working day, across the holiday
    assert next_opening(at("2024-09-30 07:00"), calendar, TZ, NINE, HALF_FIVE) == at(
        "2024-09-30 09:00"
    )
    assert next_opening(at("2024-09-30 17:30"), calendar, TZ, NINE, HALF_FIVE) == at(
        "2024-10-08 09:00"
    )
    assert next_opening(at("2024-10-03 10:00"), calendar, TZ, NINE, HALF_FIVE) == at(
        "2024-10-08 09:00"
    )
    # the makeup Saturday is a working day; the Sunday before a makeup Sunday is not
    assert next_opening(at("2024-10-11 18:00"), calendar, TZ, NINE, HALF_FIVE) == at(
        "2024-10-12 09:00"
    )
    assert next_opening(at("2024-09-28 12:00"), calendar, TZ, NINE, HALF_FIVE) == at(
        "2024-09-29 09:00"
    )
    assert in_window(at("2024-10-12 09:00"), calendar, TZ, NINE, HALF_FIVE)
    assert not in_window(at("2024-10-05 10:00"), calendar, TZ, NINE, HALF_FIVE)
    assert not in_window(at("2024-09-30 08:59"), calendar, TZ, NINE, HALF_FIVE)
    # a UTC instant is judged in the configured timezone (01:30 UTC = 09:30 Beijing)
    assert in_window(dt.datetime(2024, 9, 30, 1, 30, tzinfo=dt.UTC), calendar, TZ, NINE, HALF_FIVE)
    assert sending_day(at("2024-10-01 00:00"), calendar, TZ, NINE, HALF_FIVE)[0] == D("2024-10-08")


def test_break_detection(calendar) -> None:
    assert break_after(D("2024-09-30"), calendar) == 7  # National Day
    assert break_after(D("2024-09-27"), calendar) == 1  # only Saturday: Sunday 29th is a makeup day
    assert break_after(D("2024-10-11"), calendar) == 0  # Saturday 12th is a makeup day
    assert break_after(D("2024-10-18"), calendar) == 2  # an ordinary weekend is not a break


def test_national_day_timeline(calendar) -> None:
    """Which notices are planned for which working day across the 2024 National Day break."""
    items = [
        item("C", "2024-09-30"),
        item("D", "2024-10-08"),
        item("E", "2024-10-09"),
        item("B", "2024-10-10"),
        item("F", "2024-10-12"),
    ]
    got = simulate(items, "2024-09-26", "2024-10-15", calendar)
    dept = "省公共资源交易中心"
    assert got == {
        "2024-09-29": [(NOTICE, dept, [("C", DUE_SOON, 0)])],
        # the last working day before the break: everything due in the first two days after it
        "2024-09-30": [(NOTICE, dept, [("D", DUE_SOON, 0), ("E", DUE_SOON, 0)])],
        "2024-10-08": [(NOTICE, dept, [("C", OVERDUE, 1)])],
        "2024-10-09": [(NOTICE, dept, [("D", OVERDUE, 1), ("B", DUE_SOON, 0)])],
        "2024-10-10": [
            (ESCALATION, dept, [("C", OVERDUE, 3)]),
            (NOTICE, dept, [("C", OVERDUE, 3), ("E", OVERDUE, 1)]),
        ],
        "2024-10-11": [
            (ESCALATION, dept, [("D", OVERDUE, 3)]),
            (NOTICE, dept, [("D", OVERDUE, 3), ("B", OVERDUE, 1), ("F", DUE_SOON, 0)]),
        ],
        # Saturday 12 October is a makeup working day: mail goes out
        "2024-10-12": [
            (ESCALATION, dept, [("E", OVERDUE, 3)]),
            (NOTICE, dept, [("C", OVERDUE, 5), ("E", OVERDUE, 3)]),
        ],
        "2024-10-14": [
            (ESCALATION, dept, [("B", OVERDUE, 3)]),
            (NOTICE, dept, [("D", OVERDUE, 5), ("B", OVERDUE, 3), ("F", OVERDUE, 1)]),
        ],
        "2024-10-15": [(NOTICE, dept, [("C", OVERDUE, 7), ("E", OVERDUE, 5)])],
    }
    assert not any("2024-10-0" + str(d) in got for d in range(1, 8))


def test_missed_days_are_caught_up_not_skipped(calendar) -> None:
    items = [item("C", "2024-09-30")]
    # nobody planned on 8 October (daemon down): the first overdue alert comes on the 9th
    notices = plan(items, D("2024-10-09"), calendar, Policy(), History())
    assert [
        (n.kind, [(p.item.application_id, p.kind, p.overdue_working_days) for p in n.items])
        for n in notices
    ] == [(NOTICE, [("C", OVERDUE, 2)])]
    # a reminder missed the day before the deadline is sent on the deadline day itself
    notices = plan([item("X", "2024-10-10")], D("2024-10-10"), calendar, Policy(), History())
    assert notices[0].items[0].kind == DUE_SOON


def test_repeat_and_escalation_follow_config(calendar) -> None:
    items = [item("C", "2024-11-01")]  # a Friday
    got = simulate(
        items, "2024-10-28", "2024-11-15", calendar, Policy(repeat_every=3, escalate_after=5)
    )
    alerts = [
        d for d, ns in got.items() for k, _dept, its in ns if k == NOTICE and its[0][1] == OVERDUE
    ]
    escalations = [d for d, ns in got.items() for k, _dept, _its in ns if k == ESCALATION]
    assert alerts == ["2024-11-04", "2024-11-07", "2024-11-12", "2024-11-15"]
    assert escalations == ["2024-11-08"]
    reminders = [d for d, ns in got.items() for k, _dept, its in ns if its[0][1] == DUE_SOON]
    assert reminders == ["2024-10-31"]


def test_one_notice_per_department_and_kind(calendar) -> None:
    items = [
        item("A", "2024-10-10", "甲"),
        item("B", "2024-10-10", "乙"),
        item("C", "2024-10-08", "甲"),
    ]
    notices = plan(items, D("2024-10-09"), calendar, Policy(), History())
    assert [(n.kind, n.department, [p.item.application_id for p in n.items]) for n in notices] == [
        (NOTICE, "乙", ["B"]),
        (NOTICE, "甲", ["C", "A"]),
    ]


def test_policy_validates_itself() -> None:
    with pytest.raises(ValueError):
        Policy(repeat_every=0)


@settings(max_examples=60, deadline=None)
@given(
    deadline=st.dates(min_value=dt.date(2024, 1, 10), max_value=dt.date(2025, 12, 1)),
    repeat=st.integers(1, 5),
    escalate=st.integers(1, 6),
)
def test_properties_over_two_years(calendar, deadline: dt.date, repeat: int, escalate: int) -> None:
    """Whatever the deadline: one reminder before it, never on a day off, the first alert on the
    first working day after it, alerts exactly every ``repeat`` working days, one escalation."""
    deadline = calendar.next_working_day(deadline)
    start = deadline - dt.timedelta(days=15)
    end = calendar.nth_working_day_after(deadline, 12)
    got = simulate(
        [item("X", deadline.isoformat())],
        start.isoformat(),
        end.isoformat(),
        calendar,
        Policy(repeat, escalate),
    )
    days = sorted(D(d) for d in got)
    assert all(calendar.is_working_day(d) for d in days)
    kinds = [(D(d), k, its[0][1]) for d, ns in got.items() for k, _dept, its in ns]
    reminders = [d for d, k, ik in kinds if ik == DUE_SOON]
    alerts = [d for d, k, ik in kinds if k == NOTICE and ik == OVERDUE]
    escalations = [d for d, k, _ik in kinds if k == ESCALATION]
    assert len(reminders) == 1 and reminders[0] <= deadline
    assert calendar.working_days_between(reminders[0], deadline) <= 2
    assert alerts[0] == calendar.nth_working_day_after(deadline, 1)
    assert all(
        calendar.working_days_between(a, b) == repeat
        for a, b in zip(alerts, alerts[1:], strict=False)
    )
    assert escalations == [calendar.nth_working_day_after(deadline, escalate)]
