"""Parsing the datetimes users and platforms write, into timezone-aware datetimes."""

from __future__ import annotations

import datetime as dt
import re
from calendar import monthrange
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slamon.core.errors import InputError

END_OF_DAY = dt.time.max  # 23:59:59.999999: the last instant of "24:00"

# Date and optional time with '-', '/', '.' or 年月日, one or two digits for month, day and hour:
# "2024/12/2 9:00", "2024.12.02", "2024年12月2日 10时30分", "2024-12-2 9:00:05".
_LOOSE = re.compile(
    r"^(\d{4})(?:[-/.](\d{1,2})[-/.](\d{1,2})|年(\d{1,2})月(\d{1,2})日?)"
    r"(?:[ T]*(\d{1,2})[:：时点](\d{1,2})(?:[:：分](\d{1,2})(?:\.\d+)?秒?|分)?)?$"
)
_DIGITS = re.compile(r"^-?\d+(?:\.\d+)?$")
_ZERO_DATE = re.compile(r"^0000-00-00")
_INFINITE = ("infinity", "-infinity", "+infinity")
# Epoch numbers are believed only inside this span (an 8-digit 20241202 is 1970-08-23: refused).
EPOCH_FIRST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
EPOCH_LAST = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
_MS_FROM = 10**11  # 5138 AD in seconds, 1973 in milliseconds: larger numbers are milliseconds
_MS_UNTIL = 10**14
UNIX_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_FIRST_S, _LAST_S = EPOCH_FIRST.timestamp(), EPOCH_LAST.timestamp()


@dataclass(frozen=True)
class Unreadable:
    """A value a database driver could not turn into a datetime (PostgreSQL ``infinity``, a year
    beyond 9999): it travels with its row, and the row is rejected naming it."""

    text: str
    reason: str

    def __str__(self) -> str:
        return self.text


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
        # replace(tzinfo=tz), as combine (keeps fold): datetime.replace parses keywords slowly
        return dt.datetime.combine(value.date(), value.time(), tz)
    return value


def stored_utc(value: dt.datetime | None) -> dt.datetime | None:
    """A moment read back from the store: naive means UTC (SQLite and MariaDB keep no offset)."""
    return None if value is None else as_aware(value, dt.UTC)


def epoch_per_second(number: float) -> int:
    """The unit an epoch number is read in by its magnitude: 1000 (milliseconds) or 1 (seconds)."""
    return 1000 if abs(number) >= _MS_FROM else 1


def from_epoch(number: float, per_second: int | None = None) -> dt.datetime:
    """An epoch number as an instant: in seconds (``per_second`` 1) or milliseconds (1000), or by
    magnitude when ``per_second`` is None. Raises InputError."""
    if per_second is None:
        if abs(number) >= _MS_UNTIL:
            raise InputError(f"数字 {number} 过大，既不是以秒也不是以毫秒计的 Unix 时间戳")
        per_second = epoch_per_second(number)
    unit = "毫秒" if per_second == 1000 else "秒"
    seconds = number / per_second
    if not _FIRST_S <= seconds < _LAST_S:
        try:
            shown = f"{UNIX_EPOCH + dt.timedelta(seconds=seconds):%Y-%m-%d}"
        except OverflowError:
            shown = "公元 1–9999 年以外"
        raise InputError(
            f"数字 {number} 按 Unix 时间戳（{unit}）解读为 {shown}，超出合理范围（2000–2099 年）"
        )
    if isinstance(number, int):  # exact: no float rounding of milliseconds
        return UNIX_EPOCH + dt.timedelta(milliseconds=number * (1000 // per_second))
    return UNIX_EPOCH + dt.timedelta(seconds=seconds)


def out_of_range(  # noqa: PLR0913 - the six fields of a wall-clock moment
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> str:
    """Why these fields are no moment, in Chinese (Python's ``month must be in 1..12``)."""
    if not dt.MINYEAR <= year <= dt.MAXYEAR:
        return f"年份 {year} 超出范围"
    if not 1 <= month <= 12:
        return f"月份 {month} 不在 1–12 之间"
    last = monthrange(year, month)[1]
    if not 1 <= day <= last:
        return f"{year}年{month}月只有 {last} 天，没有 {day} 日"
    for value, name, top in ((hour, "小时", 23), (minute, "分钟", 59), (second, "秒", 59)):
        if not 0 <= value <= top:
            return f"{name} {value} 不在 0–{top} 之间"
    return "不是有效的日期时间"


def parse_datetime(text: str, tz: dt.tzinfo) -> dt.datetime:
    """Parse ISO 8601, ``YYYY-MM-DD HH:MM[:SS]`` (also with ``/`` or ``.``, one-digit month, day
    and hour), ``YYYY年MM月DD日 HH时MM分``, a date alone, or epoch seconds/milliseconds.

    Raises InputError naming the text and the reason when it is none of those.
    """
    raw = text.strip()
    if not raw:
        raise InputError("日期时间为空")
    if raw[4:5] == "-" and raw[:4].isdigit():  # the common case first: ISO 8601 (C-fast)
        try:
            return as_aware(
                dt.datetime.fromisoformat(
                    raw.removesuffix("Z") + ("+00:00" if raw.endswith("Z") else "")
                ),
                tz,
            )
        except ValueError:
            pass
    if _DIGITS.match(raw):  # never compact ISO: all digits are an epoch number
        return from_epoch(float(raw) if "." in raw else int(raw)).astimezone(tz)
    if _ZERO_DATE.match(raw):
        raise InputError(f"日期时间 {raw!r} 是零日期（0000-00-00），不是有效日期")
    if raw.lower() in _INFINITE:
        raise InputError(f"日期时间 {raw!r} 是无穷值，不是有效日期")
    try:  # the common case first: ISO 8601 and "YYYY-MM-DD HH:MM[:SS]" (C-fast)
        value = dt.datetime.fromisoformat(raw[:-1] + "+00:00" if raw.endswith("Z") else raw)
    except ValueError:
        value = None
    if value is not None:
        return as_aware(value, tz)
    m = _LOOSE.match(raw)
    if m:
        y, mo, d, mo2, d2, h, mi, s = (int(g) if g else 0 for g in m.groups())
        try:
            return dt.datetime(y, mo or mo2, d or d2, h, mi, s, tzinfo=tz)
        except ValueError:
            reason = out_of_range(y, mo or mo2, d or d2, h, mi, s)
            raise InputError(f"无法识别的日期时间 {raw!r}：{reason}", value=raw) from None
    raise InputError(
        f"无法识别的日期时间 {raw!r}，应为 YYYY-MM-DD[ HH:MM[:SS]] 或 YYYY/MM/DD[ HH:MM[:SS]]"
    )


def instant(value: Any, tz: dt.tzinfo) -> dt.datetime | None:
    """Any value a source gives for a datetime field, as an aware instant; None when empty.

    Datetimes and dates as they are (naive: local time in ``tz``); integers and floats are epoch
    seconds or milliseconds; text through :func:`parse_datetime`. Raises InputError with the
    reason for anything else (an :class:`Unreadable` marker, a boolean, 0000-00-00, infinity).
    """
    if value is None:
        return None
    if isinstance(value, Unreadable):
        raise InputError(f"日期时间 {value.text!r} 无法读取：{value.reason}")
    if isinstance(value, dt.datetime | dt.date):
        return as_aware(value, tz)
    if isinstance(value, bool):
        raise InputError(f"{value!r} 不是日期时间")
    if isinstance(value, int | float):
        return from_epoch(value).astimezone(tz)
    text = str(value).strip()
    return parse_datetime(text, tz) if text else None


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
