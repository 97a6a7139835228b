"""How dates and moments are written for people: one function per meaning, used everywhere."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from slamon.core.times import END_OF_DAY

WEEKDAYS = "一二三四五六日"


def chinese_date(day: dt.date) -> str:
    """``2024年12月2日``: a date in the report's running text."""
    return f"{day.year}年{day.month}月{day.day}日"


def chinese_date_weekday(day: dt.date) -> str:
    """``2024年12月2日（周一）``: a date a reader must place in the week (mails)."""
    return f"{chinese_date(day)}（周{WEEKDAYS[day.weekday()]}）"


def chinese_moment(at: dt.datetime, tz: dt.tzinfo) -> str:
    """``2024年12月31日24时`` for the end of a day, else ``2025年1月2日 10:00``: THE moment in
    reports, mails and the digest (one style per medium; tables and the CLI use
    :func:`table_moment`)."""
    local = at.astimezone(tz)
    if local.time().replace(tzinfo=None) == END_OF_DAY:
        return f"{chinese_date(local.date())}24时"
    return f"{chinese_date(local.date())} {local:%H:%M}"


def table_moment(at: dt.datetime | None, tz: dt.tzinfo) -> str:
    """``2024-12-02 10:00`` in ``tz``: a moment in a table, a log-like line or a mail list;
    ``—`` when there is none."""
    if at is None:
        return "—"
    return at.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def iso_moment(at: dt.datetime | None, tz: dt.tzinfo) -> str | None:
    """``2024-12-02T10:00:00+08:00``: a moment in JSON, always in ``tz`` with its offset."""
    return at.astimezone(tz).isoformat(timespec="seconds") if at is not None else None


_ISO_WITH_OFFSET = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?([+-]\d{2}:\d{2}|Z)$"
)


def localize_json(data: Any, tz: dt.tzinfo) -> Any:
    """``data`` with every moment in ``tz``: datetime objects and ISO 8601 strings carrying an
    offset (a store returns UTC) become ISO strings in ``tz``. Dates and other text are kept."""
    if isinstance(data, dt.datetime):
        return data.astimezone(tz).isoformat() if data.tzinfo else data.isoformat()
    if isinstance(data, dt.date):
        return data.isoformat()
    if isinstance(data, str):
        if _ISO_WITH_OFFSET.match(data):
            try:
                return dt.datetime.fromisoformat(data).astimezone(tz).isoformat()
            except ValueError:
                return data
        return data
    if isinstance(data, Mapping):
        return {k: localize_json(v, tz) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [localize_json(v, tz) for v in data]
    return data
