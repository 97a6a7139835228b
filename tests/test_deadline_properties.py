"""Properties of the deadline engine over receipts in 2005–2026 and limits of 1..20 working days."""

from __future__ import annotations

import datetime as dt
from functools import cache
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from slamon.core.deadline import compute_deadline, deadline_dates
from slamon.core.rules import Rule, parse_rule

SHANGHAI = ZoneInfo("Asia/Shanghai")

naive_receipts = st.datetimes(
    min_value=dt.datetime(2005, 1, 1), max_value=dt.datetime(2026, 12, 31, 23, 59, 59)
)
receipts = naive_receipts.map(lambda d: d.replace(tzinfo=SHANGHAI))
limits = st.integers(min_value=1, max_value=20)
other_zones = st.sampled_from(
    [
        dt.UTC,
        ZoneInfo("UTC"),
        ZoneInfo("America/New_York"),
        ZoneInfo("Europe/London"),
        ZoneInfo("Asia/Kolkata"),
        ZoneInfo("Pacific/Kiritimati"),  # UTC+14
        ZoneInfo("Pacific/Pago_Pago"),  # UTC-11
        dt.timezone(dt.timedelta(hours=-3, minutes=-30)),
    ]
)

property_settings = settings(max_examples=150, deadline=None)


@cache
def rule_with(n: int) -> Rule:
    return parse_rule(
        {
            "title": "测试规则",
            "instrument": "测试文号",
            "citation": f"应自收到申请之日起{n}个工作日内予以答复。",
            "effective_from": "2001-01-01",
            "share_types": ["conditional"],
            "working_days": n,
        },
        f"test-{n}",
        "<test>",
    )


def count_working_days_after(calendar, start: dt.date, end: dt.date) -> int:
    """Working days in (start, end], counted one day at a time."""
    count, day = 0, start + dt.timedelta(days=1)
    while day <= end:
        count += calendar.is_working_day(day)
        day += dt.timedelta(days=1)
    return count


@property_settings
@given(receipt=receipts, n=limits)
def test_deadline_is_a_working_day(calendar, tz, receipt, n):
    due = compute_deadline(receipt, rule_with(n), "conditional", calendar, tz).deadline_date
    assert calendar.is_working_day(due)


@property_settings
@given(receipt=receipts, n=limits)
def test_exactly_n_working_days_after_the_receipt_date(calendar, tz, receipt, n):
    due = compute_deadline(receipt, rule_with(n), "conditional", calendar, tz).deadline_date
    start = receipt.date()
    assert due > start
    assert count_working_days_after(calendar, start, due) == n
    # ...and the day before the deadline is still short of n, so it is the first such day.
    assert count_working_days_after(calendar, start, due - dt.timedelta(days=1)) == n - 1


@property_settings
@given(a=receipts, b=receipts, n=limits)
def test_later_receipt_never_gets_an_earlier_deadline(calendar, tz, a, b, n):
    early, late = sorted((a, b))
    d_early, d_late = deadline_dates([early, late], n, calendar, tz)
    assert d_early <= d_late


@property_settings
@given(batch=st.lists(receipts, min_size=1, max_size=30), n=limits)
def test_batch_equals_single_record(calendar, tz, batch, n):
    rule = rule_with(n)
    singles = [compute_deadline(r, rule, "conditional", calendar, tz).deadline_date for r in batch]
    assert deadline_dates(batch, n, calendar, tz) == singles
    # Local dates are accepted by the batch API too and give the same answer.
    assert deadline_dates([r.date() for r in batch], n, calendar, tz) == singles


@property_settings
@given(receipt=receipts, n=limits, zone=other_zones)
def test_other_timezones_map_to_the_shanghai_local_date(calendar, tz, receipt, n, zone):
    elsewhere = receipt.astimezone(zone)  # the same instant, another wall clock
    expected = deadline_dates([receipt.date()], n, calendar, tz)
    assert deadline_dates([elsewhere], n, calendar, tz) == expected
    d = compute_deadline(elsewhere, rule_with(n), "conditional", calendar, tz)
    assert [d.deadline_date] == expected
    assert d.deadline.tzinfo is tz


def test_utc_evening_is_the_next_day_in_shanghai(calendar, tz):
    # 2024-09-26 20:00 UTC = 2024-09-27 04:00 in Shanghai (a Friday): due 2024-10-10, not 10-09.
    utc = dt.datetime(2024, 9, 26, 20, 0, tzinfo=dt.UTC)
    assert deadline_dates([utc], 5, calendar, tz) == [dt.date(2024, 10, 10)]
    assert deadline_dates([dt.date(2024, 9, 26)], 5, calendar, tz) == [dt.date(2024, 10, 9)]
    d = compute_deadline(utc, rule_with(5), "conditional", calendar, tz)
    assert d.deadline_date == dt.date(2024, 10, 10)
    # New York, the evening before: 2024-09-26 16:00 EDT is also 09-27 04:00 in Shanghai.
    ny = dt.datetime(2024, 9, 26, 16, 0, tzinfo=ZoneInfo("America/New_York"))
    assert deadline_dates([ny], 5, calendar, tz) == [dt.date(2024, 10, 10)]
