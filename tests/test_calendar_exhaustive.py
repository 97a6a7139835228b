"""Every day, every receipt: slamon's calendar against the ``holidays`` package's own answers.

``holidays`` 0.109 carries the official makeup days for 2001–2026; slamon builds on it, so the two
must agree on every working day of those years and on every deadline counted from them.
"""

from __future__ import annotations

import datetime as dt

import holidays
import pytest

from slamon.core.deadline import deadline_dates

FIRST_RECEIPT = dt.date(2005, 1, 1)
LAST_RECEIPT = dt.date(2026, 12, 31)


def days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


@pytest.fixture(scope="module")
def reference() -> dict[dt.date, bool]:
    """``holidays.China().is_working_day`` for every day 2001-01-01..2027-03-31, looked up once."""
    china = holidays.China(years=range(2001, 2029))
    return {d: china.is_working_day(d) for d in days(dt.date(2001, 1, 1), dt.date(2027, 3, 31))}


def reference_deadline(reference: dict[dt.date, bool], received: dt.date, n: int) -> dt.date:
    """The n-th working day strictly after ``received``, counted one day at a time."""
    day, left = received, n
    while left:
        day += dt.timedelta(days=1)
        if reference[day]:
            left -= 1
    return day


def test_working_days_agree_on_every_day_2001_2026(calendar, reference):
    mismatches = [
        (d, calendar.is_working_day(d), reference[d])
        for d in days(dt.date(2001, 1, 1), dt.date(2026, 12, 31))
        if calendar.is_working_day(d) != reference[d]
    ]
    assert mismatches == []


def test_known_makeup_and_holiday_days(calendar, reference):
    # Sanity of the reference itself on days fixed by the notices.
    assert reference[dt.date(2024, 10, 12)] and calendar.is_working_day(dt.date(2024, 10, 12))
    assert not reference[dt.date(2024, 10, 1)] and not calendar.is_working_day(dt.date(2024, 10, 1))
    # 2005-12-31 (Sat) was worked under the 2006 notice.
    assert reference[dt.date(2005, 12, 31)] and calendar.is_working_day(dt.date(2005, 12, 31))


@pytest.mark.parametrize("n", [1, 5, 10])
def test_every_receipt_date_2005_2026(calendar, tz, reference, n):
    receipts = days(FIRST_RECEIPT, LAST_RECEIPT)
    got = deadline_dates(receipts, n, calendar, tz)
    mismatches = [
        (r, g, reference_deadline(reference, r, n))
        for r, g in zip(receipts, got, strict=True)
        if g != reference_deadline(reference, r, n)
    ]
    assert mismatches == []
    # The same receipts as aware instants late in the evening give the same dates.
    evenings = [dt.datetime.combine(r, dt.time(23, 30), tz) for r in receipts]
    assert deadline_dates(evenings, n, calendar, tz) == got
