"""The incremental cursor (config ``source.cursor``): what kind of column the platform's
``updated_at`` is, the value ``:since`` is bound to in that kind, what a row's integer times mean
under it, its stored form, and — for check-config — which kind a column's values look like.

- ``timestamp`` (default): a DATETIME/TIMESTAMP column; the cursor is the latest instant seen.
- ``epoch_ms`` / ``epoch_s``: an integer column of milliseconds / seconds since 1970-01-01 UTC
  (Java ``System.currentTimeMillis()``, Unix time). The cursor is still the latest *instant*
  seen (stored like a timestamp cursor, so the two compare and convert); ``:since`` is bound to
  it in the column's unit, the overlap subtracted first. Every time field of a row that comes as
  an integer is an instant in that unit, never guessed by magnitude.
- ``integer``: an opaque increasing counter (a version or rowversion column mapped to
  ``updated_at``). The cursor is the largest value seen, bound as is. There is no overlap in
  minutes for it: a counter has no clock, so ``source.overlap_minutes`` does not apply; a row
  committed late with a smaller counter than one already read is found by the full
  reconciliation (``source.full_sync``). The counter is not a time: it is not kept as the
  record's ``updated_at``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from slamon.core.errors import InputError
from slamon.core.times import (
    UNIX_EPOCH,
    Unreadable,
    epoch_per_second,
    from_epoch,
    parse_datetime,
)

TIMESTAMP, EPOCH_MS, EPOCH_S, INTEGER = "timestamp", "epoch_ms", "epoch_s", "integer"
CURSOR_KINDS = (TIMESTAMP, EPOCH_MS, EPOCH_S, INTEGER)
PER_SECOND = {EPOCH_MS: 1000, EPOCH_S: 1}
# What the kinds are called where a person reads them (check-config, poll warnings).
KIND_NAMES = {
    TIMESTAMP: "日期时间",
    EPOCH_MS: "毫秒时间戳",
    EPOCH_S: "秒时间戳",
    INTEGER: "整数计数器",
}
# Bound to :since on a first read: before every row of its kind.
FIRST_EPOCH = 0
FIRST_INTEGER = -(2**63)  # the smallest BIGINT

_STORED_INTEGER = re.compile(r"^-?\d+$")

Cursor = dt.datetime | int


def whole_number(value: Any) -> int | None:
    """An integer a driver gives (int, an integral Decimal, all-digit text), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal):
        return int(value) if value.is_finite() and value == value.to_integral_value() else None
    if isinstance(value, str) and _STORED_INTEGER.match(value.strip()):
        return int(value.strip())
    return None


def usable(kind: str, since: Cursor | None) -> Cursor | None:
    """A stored cursor if it is of this kind's type (an int for ``integer``, else an instant);
    None (read from the beginning) when it is not."""
    if since is None:
        return None
    if kind == INTEGER:
        return since if isinstance(since, int) else None
    return since if isinstance(since, dt.datetime) else None


def bound_number(kind: str, since: Cursor | None, overlap: dt.timedelta) -> int:
    """``:since`` for a numeric kind: the cursor (an aware instant, minus ``overlap``) in the
    column's unit, floored; a counter as it is (no overlap); a first read: before every row."""
    if kind == INTEGER:
        return since if isinstance(since, int) else FIRST_INTEGER
    if not isinstance(since, dt.datetime):
        return FIRST_EPOCH
    return (since - overlap - UNIX_EPOCH) // (dt.timedelta(seconds=1) / PER_SECOND[kind])


def epoch_value(value: Any, kind: str, tz: dt.tzinfo) -> Any:
    """A row's time value under an epoch kind: an integer (or all-digit text) is an instant in
    the kind's unit (an aware datetime in ``tz``), or :class:`Unreadable` with the reason (its
    row is rejected); anything else is returned as it is."""
    number = whole_number(value)
    if number is None:
        return value
    try:
        return from_epoch(number, PER_SECOND[kind]).astimezone(tz)
    except InputError as exc:
        return Unreadable(str(number), str(exc))


def cursor_text(cursor: Cursor) -> str:
    """The stored form: ISO 8601 with offset for an instant, the digits for a counter."""
    return str(cursor) if isinstance(cursor, int) else cursor.isoformat()


def parse_cursor(text: str | None) -> Cursor | None:
    """A stored cursor back (None when there is none)."""
    if not text:
        return None
    if _STORED_INTEGER.match(text):
        return int(text)
    return dt.datetime.fromisoformat(text)


def looks_like(value: Any) -> str | None:
    """The kind a value of updated_at looks like (None: empty or unreadable): a datetime or date
    text is a timestamp; an integer that is a plausible instant (2000–2099) in milliseconds or
    seconds, by magnitude, an epoch; any other integer, a counter."""
    if value is None or isinstance(value, Unreadable | bool):
        return None
    if isinstance(value, dt.date):
        return TIMESTAMP
    number = whole_number(value)
    if number is None:
        try:
            parse_datetime(str(value), dt.UTC)
        except InputError:
            return None
        return TIMESTAMP
    try:
        from_epoch(number)
    except InputError:
        return INTEGER
    return EPOCH_MS if epoch_per_second(number) == 1000 else EPOCH_S


def likely_kind(values: Iterable[Any]) -> tuple[str, Any] | None:
    """The kind most of ``values`` look like, with one of them to show; None when none tells."""
    kinds: Counter[str] = Counter()
    example: dict[str, Any] = {}
    for value in values:
        kind = looks_like(value)
        if kind is not None:
            kinds[kind] += 1
            example.setdefault(kind, value)
    if not kinds:
        return None
    kind = kinds.most_common(1)[0][0]
    return kind, example[kind]
