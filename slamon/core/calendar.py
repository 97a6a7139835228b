"""China's working-day calendar: official holiday notices, makeup working days (调休) and an index.

A year's calendar comes from one of three places, in this order:

1. a calendar file ``rules/calendar/<year>.yaml`` transcribing the State Council's notice;
2. the ``holidays`` package, for years it carries an official schedule for (its special holidays);
3. nothing official: weekends plus the fixed statutory holidays only. Such a year is *unofficial*
   and every answer that depends on it must say so.

The calendar is pure data once built: no clock, no environment. Working days are held as a sorted
list of ordinals, so "the n-th working day after d" is one bisect (see ARCHITECTURE.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import holidays

from slamon.core.errors import CalendarError
from slamon.core.formats import chinese_date

FIRST_YEAR = 2001
LAST_YEAR = 2099

SOURCE_FILE = "file"
SOURCE_PACKAGE = "package"
SOURCE_UNOFFICIAL = "unofficial"

# From this day of December on, a date may belong to the next year's notice (its 元旦).
_NEXT_NOTICE_FROM_DAY = 25


@dataclass(frozen=True)
class CalendarYearFile:
    """One year's official schedule as transcribed from the State Council's notice."""

    year: int
    path: str
    notice_title: str
    notice_number: str
    holidays: Mapping[dt.date, str]
    makeup_workdays: frozenset[dt.date]
    notice_date: dt.date | None = None  # the notice's date (under its signature)
    notice_amends: str | None = None  # for a supplementary notice: the schedule it amends

    def source_text(self) -> str:
        """The notice as a source: title, number, date, and what a supplement amends."""
        parts = [self.notice_title, self.notice_number]
        if self.notice_date:
            parts.append(chinese_date(self.notice_date))
        if self.notice_amends:
            parts.append(f"修订「{self.notice_amends}」")
        return "，".join(p for p in parts if p)


@dataclass(frozen=True)
class YearInfo:
    year: int
    official: bool
    source: str  # one of SOURCE_*
    source_detail: str  # human-readable origin (file path and notice, or package version)

    def describe(self) -> str:
        if self.source == SOURCE_FILE:
            return f"日历文件 {self.source_detail}"
        if self.source == SOURCE_PACKAGE:
            return f"holidays {self.source_detail} 内置的国务院办公厅节假日安排"
        return "无官方节假日安排：仅按周末和法定节日推算（非官方）"


@dataclass
class WorkCalendar:
    """Working days for a contiguous range of years, with where each year's data came from."""

    first_year: int
    last_year: int
    years: dict[int, YearInfo]
    holiday_names: dict[dt.date, str]
    makeup_workdays: frozenset[dt.date]
    _working: list[int] = field(default_factory=list, repr=False)
    _working_set: frozenset[int] = field(default_factory=frozenset, repr=False)
    _nth_cache: dict[int, dict[int, int]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        start = dt.date(self.first_year, 1, 1).toordinal()
        end = dt.date(self.last_year, 12, 31).toordinal()
        holiday_ords = {d.toordinal() for d in self.holiday_names}
        makeup_ords = {d.toordinal() for d in self.makeup_workdays}
        working = []
        for o in range(start, end + 1):
            weekday = (o + 6) % 7  # date.fromordinal(o).weekday() without building a date
            if o in makeup_ords or (weekday < 5 and o not in holiday_ords):
                working.append(o)
        self._working = working
        self._working_set = frozenset(working)

    # -- single-day questions -------------------------------------------------------------
    def _check(self, day: dt.date) -> None:
        if not self.first_year <= day.year <= self.last_year:
            raise CalendarError(
                f"日期 {day.isoformat()} 超出日历范围（{self.first_year}–{self.last_year} 年）"
            )

    def is_working_day(self, day: dt.date) -> bool:
        self._check(day)
        return day.toordinal() in self._working_set

    def is_official(self, year: int) -> bool:
        info = self.years.get(year)
        return bool(info and info.official)

    def year_info(self, year: int) -> YearInfo:
        if year not in self.years:
            raise CalendarError(f"{year} 年超出日历范围（{self.first_year}–{self.last_year} 年）")
        return self.years[year]

    def holidays_in(self, year: int) -> list[tuple[dt.date, str]]:
        self.year_info(year)
        return sorted((d, n) for d, n in self.holiday_names.items() if d.year == year)

    def makeup_workdays_in(self, year: int) -> list[dt.date]:
        self.year_info(year)
        return sorted(d for d in self.makeup_workdays if d.year == year)

    def official_between(self, first: dt.date, last: dt.date) -> bool:
        """True when every year from ``first`` to ``last`` has an official schedule."""
        if first.year == last.year:  # the usual case, asked once per application
            return self.is_official(first.year)
        return all(self.is_official(y) for y in range(first.year, last.year + 1))

    # -- counting --------------------------------------------------------------------------
    def nth_working_day_after(self, day: dt.date, n: int) -> dt.date:
        """The n-th working day strictly after ``day`` (n >= 1); ``day`` itself never counts."""
        return dt.date.fromordinal(self.nth_working_ordinal_after(day.toordinal(), n))

    def nth_working_ordinal_after(self, ordinal: int, n: int) -> int:
        table = self._nth_cache.get(n)
        if table is not None:
            hit = table.get(ordinal)
            if hit is not None:
                return hit
        if n < 1:
            raise CalendarError(f"工作日数必须是正整数，得到 {n}")
        day = dt.date.fromordinal(ordinal)
        self._check(day)
        i = bisect_right(self._working, ordinal) + n - 1
        if i >= len(self._working):
            raise CalendarError(
                f"{day.isoformat()} 之后第 {n} 个工作日超出日历范围（至 {self.last_year} 年）"
            )
        return self._working[i]

    def deadline_table(self, n: int) -> dict[int, int]:
        """A dict from every ordinal in range to the ordinal of its n-th following working day.

        Built once per ``n`` (about 36,000 entries for the default range) and kept, so a batch
        of receipts costs one dict look-up each.
        """
        table = self._nth_cache.get(n)
        if table is None:
            if n < 1:
                raise CalendarError(f"工作日数必须是正整数，得到 {n}")
            working = self._working
            table = {}
            start = dt.date(self.first_year, 1, 1).toordinal()
            i = 0  # index of the first working ordinal strictly after o
            for o in range(start, working[-1]):
                while working[i] <= o:
                    i += 1
                if i + n - 1 < len(working):
                    table[o] = working[i + n - 1]
            self._nth_cache[n] = table
        return table

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in the half-open interval (start, end]; negative when end < start."""
        if end < start:
            return -self.working_days_between(end, start)
        self._check(start)
        self._check(end)
        lo = bisect_right(self._working, start.toordinal())
        hi = bisect_right(self._working, end.toordinal())
        return hi - lo

    def next_working_day(self, day: dt.date) -> dt.date:
        """``day`` itself when it is a working day, else the first working day after it."""
        self._check(day)
        i = bisect_left(self._working, day.toordinal())
        if i >= len(self._working):
            raise CalendarError(f"{day.isoformat()} 之后没有日历数据")
        return dt.date.fromordinal(self._working[i])

    def previous_working_day(self, day: dt.date) -> dt.date:
        """The last working day strictly before ``day``."""
        self._check(day)
        i = bisect_left(self._working, day.toordinal()) - 1
        if i < 0:
            raise CalendarError(f"{day.isoformat()} 之前没有日历数据")
        return dt.date.fromordinal(self._working[i])

    def fingerprint_items(self) -> Iterable[str]:
        """Stable lines that change whenever any working day changes (for SLA fingerprints)."""
        for year in sorted(self.years):
            info = self.years[year]
            yield f"{year}:{info.official}:{info.source}:{info.source_detail}"
        yield f"working:{len(self._working)}:{sum(self._working) % 1_000_000_007}"

    def year_signatures(self) -> dict[int, str]:
        """One short line per year that changes whenever that year's working days or its source
        change: kept by the store so a later poll can name the years a calendar update changed."""
        out = {}
        for year, info in self.years.items():
            lo = bisect_left(self._working, dt.date(year, 1, 1).toordinal())
            hi = bisect_right(self._working, dt.date(year, 12, 31).toordinal())
            days = ",".join(map(str, self._working[lo:hi]))
            line = f"{info.official}:{info.source}:{info.source_detail}:{days}"
            out[year] = hashlib.sha256(line.encode("utf-8")).hexdigest()[:12]
        return out


def changed_years(before: Mapping[int, str], after: Mapping[int, str]) -> list[int]:
    """The years both signature maps cover whose signatures differ (see year_signatures)."""
    return sorted(y for y in before.keys() & after.keys() if before[y] != after[y])


def _package_year(year: int) -> tuple[dict[dt.date, str], set[dt.date], bool]:
    """Holidays and makeup days for ``year`` from the ``holidays`` package, and whether official."""
    official_probe = holidays.China(years=year)
    official = year in official_probe.special_public_holidays
    # For an unofficial year the package's "observed" (补假) days are rule-generated guesses:
    # keep only the fixed statutory holidays.
    cal = holidays.China(years=year, language="zh_CN", observed=official)
    names = {d: str(n) for d, n in cal.items() if d.year == year}
    makeup = {d for d in cal.weekend_workdays if d.year == year} if official else set()
    return names, makeup, official


def _next_notice_days(year: int) -> tuple[dict[dt.date, str], set[dt.date]]:
    """The package's days in ``year``'s last days of December that the next year's notice sets
    (its 元旦: "2018年12月29日（星期六）上班", "2018年12月30日至2019年1月1日放假"), when the
    package carries that notice. A file for ``year`` transcribes ``year``'s own notice, which never
    names them, so they are kept beside it."""
    if year + 1 > LAST_YEAR or not _package_year(year + 1)[2]:
        return {}, set()
    names, makeup, _ = _package_year(year)

    def late(day: dt.date) -> bool:
        return day.month == 12 and day.day >= _NEXT_NOTICE_FROM_DAY

    return {d: n for d, n in names.items() if late(d)}, {d for d in makeup if late(d)}


def build_calendar(
    files: Mapping[int, CalendarYearFile] | None = None,
    first_year: int = FIRST_YEAR,
    last_year: int | None = None,
) -> WorkCalendar:
    """Build the calendar for ``first_year``..``last_year`` from the package and calendar files.

    ``last_year`` defaults to two years past the last official year, so a deadline that runs
    into a year without an official schedule is still computed (and flagged).
    """
    files = dict(files or {})
    if last_year is None:
        last_year = max([2026, *files]) + 2
    if not FIRST_YEAR <= first_year <= last_year <= LAST_YEAR:
        raise CalendarError(f"日历年份范围无效：{first_year}–{last_year}")
    version = getattr(holidays, "__version__", "?")
    names: dict[dt.date, str] = {}
    makeup: set[dt.date] = set()
    years: dict[int, YearInfo] = {}
    for year in range(first_year, last_year + 1):
        if year in files:
            f = files[year]
            names.update(f.holidays)
            makeup.update(f.makeup_workdays)
            if year + 1 not in files:
                late_names, late_makeup = _next_notice_days(year)
                for day, name in late_names.items():
                    names.setdefault(day, name)
                makeup.update(late_makeup)
            detail = f"{f.path}（{f.source_text()}）"
            years[year] = YearInfo(year, True, SOURCE_FILE, detail)
            continue
        y_names, y_makeup, official = _package_year(year)
        names.update(y_names)
        makeup.update(y_makeup)
        source = SOURCE_PACKAGE if official else SOURCE_UNOFFICIAL
        years[year] = YearInfo(year, official, source, version if official else "")
    # A makeup day can only be a working day if no holiday of its own year sits on it.
    makeup -= set(names)
    return WorkCalendar(first_year, last_year, years, names, frozenset(makeup))
