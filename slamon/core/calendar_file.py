"""Reading and validating calendar files: one YAML per year under ``rules/calendar/``.

A file transcribes the State Council's holiday notice for one year::

    year: 2027
    notice:                        # the source: title, and number or date (both if known)
      title: 国务院办公厅关于2027年部分节假日安排的通知
      number: 国办发明电〔2026〕N号
      date: 2026-11-10             # optional: the date under the signature
    holidays:                      # every day off that is not an ordinary weekend day, and the
      - {name: 元旦, dates: [2027-01-01]}           # festival days that fall on a weekend;
      - {name: 春节, from: 2027-02-05, to: 2027-02-11}  # an entry may start in the previous
                                   # year's last days (元旦 2018-12-30 to 2019-01-01)
    makeup_workdays: [2027-02-20]  # weekend days that become working days (调休上班)

The file replaces the package's data for that year entirely and makes the year official.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from slamon.core.calendar import CalendarYearFile
from slamon.core.errors import CalendarError
from slamon.core.times import yaml_date


def _date(value: Any, path: str, field: str) -> dt.date:
    day = yaml_date(value)
    if day is not None:
        return day
    raise CalendarError(f"无法识别的日期 {value!r}，应为 YYYY-MM-DD", path=path, field=field)


def parse_calendar_file(data: Any, path: str, expected_year: int | None = None) -> CalendarYearFile:
    """Validate the parsed YAML of one calendar file; every error names the file and the field."""

    def fail(field: str | None, problem: str) -> CalendarError:
        return CalendarError(problem, path=path, field=field)

    if not isinstance(data, dict):
        raise fail(None, "内容应为一个映射（year、notice、holidays、makeup_workdays）")
    unknown = set(data) - {"year", "notice", "holidays", "makeup_workdays"}
    if unknown:
        raise fail(None, f"未知字段 {', '.join(sorted(map(str, unknown)))}")
    year = data.get("year")
    if not isinstance(year, int) or isinstance(year, bool):
        raise fail("year", f"应为整数年份，得到 {year!r}")
    if expected_year is not None and year != expected_year:
        raise fail("year", f"{year} 与文件名年份 {expected_year} 不符")
    notice, notice_date = _notice(data.get("notice"), path)

    holidays: dict[dt.date, str] = {}
    entries = data.get("holidays")
    if not isinstance(entries, list) or not entries:
        raise fail("holidays", "应为非空列表")
    for i, entry in enumerate(entries, 1):
        where = f"holidays 第 {i} 项"
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise fail(where, "须有 name，以及 dates 或 from/to")
        days: list[dt.date] = []
        if "dates" in entry:
            if not isinstance(entry["dates"], list) or not entry["dates"]:
                raise fail(f"{where} dates", "应为非空日期列表")
            days = [_date(v, path, f"{where} dates") for v in entry["dates"]]
        elif "from" in entry and "to" in entry:
            start = _date(entry["from"], path, f"{where} from")
            end = _date(entry["to"], path, f"{where} to")
            if end < start:
                raise fail(where, "to 早于 from")
            days = [start + dt.timedelta(d) for d in range((end - start).days + 1)]
        else:
            raise fail(where, "须有 dates 或 from/to")
        for d in days:
            # The previous year's last days only in an entry running into the year
            # (元旦：2018年12月30日至2019年1月1日).
            if d.year != year and not (d.year == year - 1 and any(x.year == year for x in days)):
                raise fail(where, f"{d.isoformat()} 不在 {year} 年内")
            if d in holidays:
                raise fail(where, f"{d.isoformat()} 重复列出")
            holidays[d] = entry["name"].strip()

    makeup: set[dt.date] = set()
    raw_makeup = data.get("makeup_workdays", [])
    if not isinstance(raw_makeup, list):
        raise fail("makeup_workdays", "应为日期列表")
    for v in raw_makeup:
        d = _date(v, path, "makeup_workdays")
        if d.weekday() < 5:
            raise fail("makeup_workdays", f"{d.isoformat()} 不是周末，无须调休上班")
        if d in holidays:
            raise fail("makeup_workdays", f"{d.isoformat()} 同时列为假日")
        if d.year not in (year - 1, year):
            raise fail("makeup_workdays", f"{d.isoformat()} 不属于 {year} 年的安排")
        makeup.add(d)
    return CalendarYearFile(
        year=year,
        path=path,
        notice_title=notice["title"].strip(),
        notice_number=(notice.get("number") or "").strip(),
        holidays=holidays,
        makeup_workdays=frozenset(makeup),
        notice_date=notice_date,
        notice_amends=(notice.get("amends") or "").strip() or None,
    )


def _notice(notice: Any, path: str) -> tuple[dict[str, Any], dt.date | None]:
    """The ``notice`` mapping: title, and number or date (both when the notice has them);
    ``amends`` for a supplementary notice names the schedule it changes."""

    def text(key: str) -> bool:
        return isinstance(notice.get(key), str) and bool(notice[key].strip())

    if not isinstance(notice, dict) or not text("title"):
        raise CalendarError("须写明通知的 title，以及 number 或 date", path=path, field="notice")
    unknown = set(notice) - {"title", "number", "date", "amends"}
    if unknown:
        problem = f"未知字段 {', '.join(sorted(map(str, unknown)))}"
        raise CalendarError(problem, path=path, field="notice")
    for key in ("number", "amends"):
        if key in notice and not text(key):
            raise CalendarError("应为非空文本", path=path, field=f"notice {key}")
    day = _date(notice["date"], path, "notice date") if "date" in notice else None
    if day is None and not text("number"):
        raise CalendarError("须写明通知的 number 或 date", path=path, field="notice")
    return notice, day
