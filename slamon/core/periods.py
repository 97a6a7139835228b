"""Report periods: a calendar month and an ISO week, with their bounds in a timezone.

A period read from a user (``parse``) lies in the years FIRST_YEAR–LAST_YEAR: far beyond any
platform data, and far inside what ``datetime`` can hold, so a period's neighbours (the previous
week of a digest, the next month of a bound) and its bounds in any timezone always exist. Year 1 or
9999 is an InputError naming the range, never an OverflowError deep inside a report.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TypeVar

from slamon.core.errors import InputError
from slamon.core.times import END_OF_DAY

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)
FIRST_YEAR, LAST_YEAR = 1900, 2999


def check_year(year: int, what: str, text: object) -> None:
    """InputError unless ``year`` is one a period may lie in (``what`` and ``text`` name the input)."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InputError(
            f"{what} {text!r} 超出支持的范围（{FIRST_YEAR}–{LAST_YEAR} 年）", value=text
        )


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str | Month) -> Month:
        if isinstance(text, Month):
            return text
        m = _MONTH.match(str(text).strip())
        if not m or not 1 <= int(m.group(2)) <= 12:
            raise InputError(f"无法识别的月份 {text!r}，应为 YYYY-MM，例如 2024-12", value=text)
        check_year(int(m.group(1)), "月份", text)
        return cls(int(m.group(1)), int(m.group(2)))

    @classmethod
    def of(cls, day: dt.date) -> Month:
        return cls(day.year, day.month)

    @property
    def key(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def label(self) -> str:
        return f"{self.year}年{self.month}月"

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def last_day(self) -> dt.date:
        return self.next().first_day - dt.timedelta(days=1)

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> Month:
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def start(self, tz: dt.tzinfo) -> dt.datetime:
        return dt.datetime.combine(self.first_day, dt.time(), tz)

    def end(self, tz: dt.tzinfo) -> dt.datetime:
        """The last instant of the month (24:00 of its last day)."""
        return dt.datetime.combine(self.last_day, END_OF_DAY, tz)

    def contains(self, at: dt.datetime, tz: dt.tzinfo) -> bool:
        d = at.astimezone(tz).date()
        return d.year == self.year and d.month == self.month


@dataclass(frozen=True, order=True)
class IsoWeek:
    year: int
    week: int

    @classmethod
    def parse(cls, text: str | IsoWeek) -> IsoWeek:
        if isinstance(text, IsoWeek):
            return text
        m = _WEEK.match(str(text).strip())
        if m:
            year, week = int(m.group(1)), int(m.group(2))
            check_year(year, "周", text)
            try:
                dt.date.fromisocalendar(year, week, 1)
            except ValueError:
                pass
            else:
                return cls(year, week)
        raise InputError(f"无法识别的周 {text!r}，应为 YYYY-Www，例如 2024-W52", value=text)

    @classmethod
    def of(cls, day: dt.date) -> IsoWeek:
        y, w, _d = day.isocalendar()
        return cls(y, w)

    @property
    def key(self) -> str:
        return f"{self.year:04d}-W{self.week:02d}"

    @property
    def monday(self) -> dt.date:
        return dt.date.fromisocalendar(self.year, self.week, 1)

    @property
    def sunday(self) -> dt.date:
        return self.monday + dt.timedelta(days=6)

    def day(self, iso_weekday: int) -> dt.date:
        return self.monday + dt.timedelta(days=iso_weekday - 1)

    @property
    def label(self) -> str:
        mon, sun = self.monday, self.sunday
        return f"{self.year}年第{self.week}周（{mon.month}月{mon.day}日—{sun.month}月{sun.day}日）"

    def previous(self) -> IsoWeek:
        return IsoWeek.of(self.monday - dt.timedelta(days=7))

    def start(self, tz: dt.tzinfo) -> dt.datetime:
        return dt.datetime.combine(self.monday, dt.time(), tz)

    def end(self, tz: dt.tzinfo) -> dt.datetime:
        return dt.datetime.combine(self.sunday, END_OF_DAY, tz)


Period = TypeVar("Period", Month, IsoWeek)


def ending(last: Period, count: int) -> list[Period]:
    """The ``count`` consecutive months or ISO weeks up to and including ``last``, oldest first."""
    out = [last]
    while len(out) < count:
        out.append(out[-1].previous())
    return out[::-1]
