"""How dates and moments are written for people: one function per meaning, used everywhere."""

from __future__ import annotations

import datetime as dt

from slamon.core.times import END_OF_DAY

WEEKDAYS = "一二三四五六日"


def chinese_date(day: dt.date) -> str:
    """``2024年12月2日``: a date in the report's running text."""
    return f"{day.year}年{day.month}月{day.day}日"


def chinese_date_weekday(day: dt.date) -> str:
    """``2024年12月2日（周一）``: a date a reader must place in the week (mails)."""
    return f"{chinese_date(day)}（周{WEEKDAYS[day.weekday()]}）"


def chinese_moment(at: dt.datetime, tz: dt.tzinfo) -> str:
    """``2024年12月31日24时`` for the end of a day, else ``2025年1月2日10:00`` (reports)."""
    local = at.astimezone(tz)
    if local.time().replace(tzinfo=None) == END_OF_DAY:
        return f"{chinese_date(local.date())}24时"
    return f"{chinese_date(local.date())}{local:%H:%M}"


def table_moment(at: dt.datetime | None, tz: dt.tzinfo) -> str:
    """``2024-12-02 10:00`` in ``tz``: a moment in a table, a log-like line or a mail list;
    ``—`` when there is none."""
    if at is None:
        return "—"
    return at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
