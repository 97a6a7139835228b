"""What importing a holiday notice would do: the year's schedule, its file, and what changes.

:func:`preview_import` is pure: it reads and checks the notice, builds the content of the year's
calendar file, and compares the calendar in force with the calendar after the import, day by day.
The :class:`ImportPreview` it returns is what the CLI prints (and a web page can show) before
anything is written; writing the file is the service's and the adapter's business.

A full notice (国务院办公厅关于YYYY年部分节假日安排的通知) replaces the year. A supplementary notice
(关于调整/延长YYYY年…的通知) amends the year's official schedule in force: the dates it names take
its word, the others keep theirs; "延长…假期至X月X日" makes every day from the last holiday before
X月X日 through X月X日 a day off.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from slamon.core.calendar import (
    FIRST_YEAR,
    LAST_YEAR,
    CalendarYearFile,
    WorkCalendar,
    YearInfo,
    build_calendar,
)
from slamon.core.calendar_file import parse_calendar_file
from slamon.core.calendar_notice import Notice, parse_notice
from slamon.core.calendar_notice_checks import check_notice
from slamon.core.errors import NoticeError

WORKDAY = "workday"
DAY_OFF = "day_off"
_LONGEST_EXTENSION = 31  # days looked back from "延长…至X月X日" for the holiday it extends


DAY_STATUS_NAMES = {WORKDAY: "工作日", DAY_OFF: "休息日"}


@dataclass(frozen=True)
class DayChange:
    day: dt.date
    was: str  # WORKDAY or DAY_OFF in the calendar in force
    now: str  # WORKDAY or DAY_OFF after the import
    name: str  # the holiday's name after the import; "" when none

    def note(self) -> str:
        """What the change is, for a reader: 调休上班, 不再放假, the holiday's name, ..."""
        weekend = self.day.weekday() >= 5
        if self.now == WORKDAY:
            return "调休上班" if weekend else "不再放假"
        return self.name or ("周末，不再调休上班" if weekend else "")


@dataclass(frozen=True)
class ImportPreview:
    """A notice read, checked and compared with the calendar in force; nothing written yet."""

    notice: Notice
    file: CalendarYearFile  # the year's calendar as it would be written (path = the target)
    file_data: Mapping[str, Any]  # the file's content, for the YAML writer
    before: YearInfo  # the year in the calendar in force
    after: YearInfo  # the year once the file is written
    changes: tuple[DayChange, ...]

    @property
    def year(self) -> int:
        return self.notice.year

    @property
    def revised_dates(self) -> tuple[dt.date, ...]:
        """Dates of an already official year that a full notice would change: importing it
        overrides the official schedule (a later notice may have revised it), so it needs the
        operator's explicit consent. A supplementary notice is such a revision by nature."""
        if self.notice.supplement or not self.before.official:
            return ()
        return tuple(c.day for c in self.changes if c.day.year == self.year)

    @property
    def needs_replace(self) -> bool:
        return bool(self.revised_dates)


def preview_import(
    text: str,
    files: Mapping[int, CalendarYearFile],
    in_force: WorkCalendar,
    folder: str,
) -> ImportPreview:
    """Read and check ``text``, and compare ``in_force`` (built from ``files``) with the calendar
    once the notice's year is written to ``<folder>/<year>.yaml``. Raises :class:`NoticeError`
    for a notice that cannot be read or disagrees with itself."""
    notice = parse_notice(text)
    check_notice(notice)
    year = notice.year
    if not FIRST_YEAR < year <= LAST_YEAR:
        raise NoticeError(
            f"{year} 年超出日历支持的范围（{FIRST_YEAR + 1}–{LAST_YEAR} 年）", item=notice.title
        )
    before = _covering(in_force, files, year)
    holidays, makeup, amends = _schedule(notice, files, before)
    data = _file_data(notice, holidays, makeup, amends)
    target = str(PurePath(folder) / f"{year}.yaml")
    new_file = parse_calendar_file(data, target, expected_year=year)
    after = build_calendar(
        {**files, year: new_file}, first_year=before.first_year, last_year=before.last_year
    )
    return ImportPreview(
        notice=notice,
        file=new_file,
        file_data=data,
        before=before.year_info(year),
        after=after.year_info(year),
        changes=_changes(before, after, year),
    )


def _covering(cal: WorkCalendar, files: Mapping[int, CalendarYearFile], year: int) -> WorkCalendar:
    """``cal``, or the same calendar over a range holding ``year`` and the year before."""
    first = max(FIRST_YEAR, year - 1)
    if cal.first_year <= first and year <= cal.last_year:
        return cal
    return build_calendar(
        files,
        first_year=min(cal.first_year, first),
        last_year=min(LAST_YEAR, max(cal.last_year, year + 2)),
    )


def _schedule(
    notice: Notice, files: Mapping[int, CalendarYearFile], before: WorkCalendar
) -> tuple[dict[dt.date, str], set[dt.date], str | None]:
    """The year's days off (with names) and makeup days once the notice is applied, and for a
    supplementary notice the description of the schedule it amends."""
    if not notice.supplement:
        return notice.days_off(), set(notice.workdays()), None
    year = notice.year
    info = before.year_info(year)
    if not info.official:
        raise NoticeError(
            f"{year} 年还没有官方节假日安排，补充通知无从修改；请先导入该年的节假日安排通知",
            item=notice.title,
        )
    if year in files:
        holidays = dict(files[year].holidays)
        makeup = set(files[year].makeup_workdays)
        amends = files[year].source_text()
    else:
        holidays = dict(before.holidays_in(year))
        makeup = set(before.makeup_workdays_in(year))
        amends = info.describe()
    for item in notice.items:
        if item.extended_to is not None:
            for day in _extension(holidays, item.extended_to, item.quote):
                holidays[day] = item.name or ""
                makeup.discard(day)
    for day, name in notice.days_off().items():
        holidays[day] = name
        makeup.discard(day)
    for day in notice.workdays():
        makeup.add(day)
        holidays.pop(day, None)
    return holidays, makeup, amends


def _extension(holidays: Mapping[dt.date, str], until: dt.date, quote: str) -> list[dt.date]:
    """The days "延长…假期至 until" adds: from the day after the last holiday before it."""
    last = until - dt.timedelta(1)
    while last not in holidays:
        if (until - last).days > _LONGEST_EXTENSION:
            raise NoticeError("找不到所延长的假期（延长日之前一个月内没有假日）", item=quote)
        last -= dt.timedelta(1)
    return [last + dt.timedelta(n) for n in range(1, (until - last).days + 1)]


def _file_data(
    notice: Notice, holidays: Mapping[dt.date, str], makeup: set[dt.date], amends: str | None
) -> dict[str, Any]:
    """The year's calendar file content (the format of rules/calendar/README.md)."""
    if not notice.number and not notice.issued:
        raise NoticeError("通知中既没有文号也没有落款日期，无法写明日历的来源", item=notice.title)
    source: dict[str, Any] = {"title": notice.title}
    if notice.number:
        source["number"] = notice.number
    if notice.issued:
        source["date"] = notice.issued
    if amends:
        source["amends"] = amends
    return {
        "year": notice.year,
        "notice": source,
        "holidays": holiday_entries(holidays),
        "makeup_workdays": sorted(makeup),
    }


def holiday_entries(holidays: Mapping[dt.date, str]) -> list[dict[str, Any]]:
    """Days off grouped by name, in date order: ``from``/``to`` for a run, else ``dates``."""
    by_name: dict[str, list[dt.date]] = {}
    for day in sorted(holidays):
        by_name.setdefault(holidays[day], []).append(day)
    entries: list[dict[str, Any]] = []
    for name, days in by_name.items():
        if len(days) > 1 and (days[-1] - days[0]).days == len(days) - 1:
            entries.append({"name": name, "from": days[0], "to": days[-1]})
        else:
            entries.append({"name": name, "dates": days})
    return sorted(entries, key=lambda e: e.get("from") or e["dates"][0])


def _changes(before: WorkCalendar, after: WorkCalendar, year: int) -> tuple[DayChange, ...]:
    """Every day of ``year`` and the year before whose working status the import changes."""
    day = dt.date(max(FIRST_YEAR, year - 1), 1, 1)
    last = dt.date(year, 12, 31)
    changes = []
    while day <= last:
        was, now = before.is_working_day(day), after.is_working_day(day)
        if was != now:
            changes.append(
                DayChange(
                    day,
                    WORKDAY if was else DAY_OFF,
                    WORKDAY if now else DAY_OFF,
                    after.holiday_names.get(day, ""),
                )
            )
        day += dt.timedelta(1)
    return tuple(changes)
