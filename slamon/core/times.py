"""Parsing the datetimes users and platforms write, into timezone-aware datetimes."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slamon.core.errors import InputError

END_OF_DAY = dt.time.max  # 23:59:59.999999: the last instant of "24:00"

_SLASHED = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_CHINESE = re.compile(
    r"^(\d{4})年(\d{1,2})月(\d{1,2})日(?:\s*(\d{1,2})[:：时](\d{2})(?:[:：分](\d{2})秒?)?)?$"
)


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InputError(f"未知时区 {name!r}") from exc


def as_aware(value: dt.datetime | dt.date, tz: dt.tzinfo) -> dt.datetime:
    """A datetime with an offset; a naive one (or a date, at 00:00) is local time in ``tz``."""
    if not isinstance(value, dt.datetime):
        return dt.datetime.combine(value, dt.time(), tz)
    if value.tzinfo is None or value.utcoffset() is None:
        return value.replace(tzinfo=tz)
    return value


def parse_datetime(text: str, tz: dt.tzinfo) -> dt.datetime:
    """Parse ISO 8601, ``YYYY-MM-DD HH:MM[:SS]``, ``YYYY/MM/DD HH:MM[:SS]`` or a date alone.

    Raises InputError naming the text when it is none of those.
    """
    raw = text.strip()
    if not raw:
        raise InputError("日期时间为空")
    try:  # the common case first: ISO 8601 and "YYYY-MM-DD HH:MM[:SS]" (C-fast)
        value = dt.datetime.fromisoformat(raw[:-1] + "+00:00" if raw.endswith("Z") else raw)
    except ValueError:
        value = None
    if value is not None:
        return as_aware(value, tz)
    for pattern in (_SLASHED, _CHINESE):
        m = pattern.match(raw)
        if m:
            y, mo, d, h, mi, s = (int(g) if g else 0 for g in m.groups())
            try:
                return dt.datetime(y, mo, d, h, mi, s, tzinfo=tz)
            except ValueError as exc:
                raise InputError(f"无法识别的日期时间 {raw!r}：{exc}") from None
    raise InputError(
        f"无法识别的日期时间 {raw!r}，应为 YYYY-MM-DD[ HH:MM[:SS]] 或 YYYY/MM/DD[ HH:MM[:SS]]"
    )


def local_date(value: dt.datetime, tz: dt.tzinfo) -> dt.date:
    """The calendar date of an aware instant in ``tz``."""
    return value.astimezone(tz).date()


def yaml_date(value: object) -> dt.date | None:
    """A date as YAML gives it (a date object or ISO text); None when it is not one."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None
