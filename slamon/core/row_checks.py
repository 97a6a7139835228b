"""Checks that make a hostile or mistyped row a rejected row instead of a failed poll.

:func:`slamon.core.records.validate_row` turns a raw row into a record; :func:`check_row` then
holds it against what the rest of slamon can take: dates inside the working calendar's range (a
``received_at`` typed as 2029 would otherwise fail the deadline computation for the whole poll),
texts that fit the store's columns, no NUL or control characters, no invisible-only ids, and no
combinations that cannot both be true (review 驳回 but decision 通过, decided before submitted).
The limits are data (:class:`RowLimits`), built by the caller from the calendar and the store.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from slamon.core.records import DATETIME_FIELDS, ApplicationRecord, RowError, is_before
from slamon.core.vocabulary import APPROVED, REJECTED

TEXT_FIELDS = (
    "application_id",
    "applicant_dept",
    "provider_dept",
    "resource_name",
    "applicant_region",
    "provider_region",
    "rejection_reason",
)
# Line breaks and tabs are tolerated in free text (a resource name typed with Alt+Enter in Excel).
_FREE_TEXT = frozenset({"resource_name", "rejection_reason"})
_LAYOUT = frozenset("\t\n\r")
# A deadline of a date near the calendar's end must still fall inside it (long rules included).
DEADLINE_MARGIN = dt.timedelta(days=92)


@dataclass(frozen=True)
class RowLimits:
    """What a record must fit: the dates the calendar covers and the store's text lengths."""

    first_day: dt.date | None = None
    last_day: dt.date | None = None  # the last date a record may carry (deadline margin included)
    max_lengths: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def for_calendar(
        cls, first_year: int, last_year: int, max_lengths: Mapping[str, int]
    ) -> RowLimits:
        last = dt.date(last_year, 12, 31) - DEADLINE_MARGIN
        return cls(dt.date(first_year, 1, 1), last, dict(max_lengths))


def _bad_character(text: str, free: bool) -> str | None:
    if text.isprintable():  # no Cc character at all: the usual case, checked in C
        return None
    for ch in text:
        cat = unicodedata.category(ch)
        if ch == "\x00":
            return "含空字符（NUL）"
        if cat == "Cc" and not (free and ch in _LAYOUT):
            return f"含控制字符 U+{ord(ch):04X}"
    return None


def _invisible_id(text: str) -> str | None:
    # Printable: no Cf, Cc or Zs but the ASCII space; with anything but spaces, a visible id.
    if text.isprintable() and text.strip(" "):
        return None
    visible = [ch for ch in text if unicodedata.category(ch) not in ("Cf", "Zs", "Cc")]
    if not visible:
        return f"申请编号只有不可见字符 {text!r}"
    if any(unicodedata.category(ch) == "Cf" for ch in text):
        return f"申请编号含不可见字符 {text!r}"
    return None


EXACT_FLOAT_LIMIT = 2**53  # beyond this a float no longer holds every integer


def check_raw(raw: Mapping[str, Any], row: int | str) -> None:
    """Refuse a row whose id reached us as a number that lost digits (an Excel numeric cell
    holding a long id keeps 15 significant digits): the stored id would name another application."""
    value = raw.get("application_id")
    if isinstance(value, float) and (not value.is_integer() or abs(value) >= EXACT_FLOAT_LIMIT):
        raise RowError(
            row,
            "application_id",
            f"申请编号以数值保存（{value!r}），超出 15 位有效数字的部分已丢失，无法还原："
            "请把该列设为文本格式后重新导出",
        )


def check_row(record: ApplicationRecord, row: int | str, limits: RowLimits) -> None:
    """Raise :class:`RowError` (row, field, reason) when ``record`` cannot be stored or trusted."""
    for name in TEXT_FIELDS:
        value = getattr(record, name)
        if value is None:
            continue
        problem = _bad_character(value, name in _FREE_TEXT)
        if problem:
            raise RowError(row, name, problem)
        limit = limits.max_lengths.get(name)
        if limit is not None and len(value) > limit:
            raise RowError(row, name, f"长度 {len(value)} 超过上限 {limit} 个字符")
    problem = _invisible_id(record.application_id)
    if problem:
        raise RowError(row, "application_id", problem)
    for name in DATETIME_FIELDS:
        value = getattr(record, name)
        if value is None:
            continue
        day = value.date()
        if (limits.first_day and day < limits.first_day) or (
            limits.last_day and day > limits.last_day
        ):
            raise RowError(
                row,
                name,
                f"日期 {day.isoformat()} 超出日历范围（{limits.first_day}–{limits.last_day}），"
                "疑为录入错误",
            )
    if record.review_status == REJECTED and record.decision == APPROVED:
        raise RowError(row, "decision", "规范性审核为驳回，审批结果却为通过，前后矛盾")
    if is_before(record, "decided_at", "submitted_at"):  # by day when either is DATE-only
        raise RowError(row, "decided_at", "审批时间早于申请时间")
