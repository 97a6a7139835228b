"""The application record (docs/CONTRACT.md §1) and its validation.

Every source (SQL, CSV/XLSX, demo) turns its raw rows into mappings from field names (English or
the Chinese header aliases) to values, and calls :func:`validate_row`. A bad row raises
:class:`RowError` naming the row, the field and the reason; the caller keeps going.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from functools import lru_cache
from operator import attrgetter, itemgetter
from typing import TYPE_CHECKING, Any

from slamon.core.departments import canonical
from slamon.core.errors import InputError
from slamon.core.invisible import visible
from slamon.core.times import instant
from slamon.core.vocabulary import (
    APPROVED,
    CONDITIONAL,
    DECISION_PENDING,
    DEFAULT_WORDS,
    HEADER_ALIASES,
    PASSED,
    REJECTED,
    RETURNED,
    REVIEW_PENDING,
    PlatformWords,
)

if TYPE_CHECKING:
    from slamon.core.history import History

FIELDS = (
    "application_id",
    "applicant_dept",
    "provider_dept",
    "resource_name",
    "share_type",
    "submitted_at",
    "review_status",
    "reviewed_at",
    "received_at",
    "decision",
    "decided_at",
    "applicant_region",
    "provider_region",
    "extension_working_days",
    "extension_approved_at",
    "rejection_reason",
    "updated_at",
)
REQUIRED = (
    "application_id",
    "applicant_dept",
    "provider_dept",
    "resource_name",
    "share_type",
    "submitted_at",
)
_FIELD_SET = frozenset(FIELDS)
DATETIME_FIELDS = (
    "submitted_at",
    "reviewed_at",
    "received_at",
    "decided_at",
    "extension_approved_at",
    "updated_at",
)


@dataclass(frozen=True, slots=True)
class ApplicationRecord:
    application_id: str
    applicant_dept: str
    provider_dept: str
    resource_name: str
    share_type: str  # conditional / unconditional
    submitted_at: dt.datetime
    review_status: str = REVIEW_PENDING  # pending / passed / rejected
    reviewed_at: dt.datetime | None = None
    received_at: dt.datetime | None = None
    decision: str = DECISION_PENDING  # pending / approved / rejected / withdrawn / returned
    decided_at: dt.datetime | None = None
    applicant_region: str | None = None
    provider_region: str | None = None
    extension_working_days: int | None = None  # an approved extension (延期), in working days
    extension_approved_at: dt.datetime | None = None
    rejection_reason: str | None = None
    updated_at: dt.datetime | None = None
    # Fields the source gave as a day without a time (DATE-only): compared with others by day.
    # Known at validation only (not stored); never part of equality or the content hash.
    date_only: frozenset[str] = field(default=frozenset(), compare=False)
    # What slamon itself saw of the application before (core/history), from the store; never
    # part of equality or the content hash.
    history: History | None = field(default=None, compare=False)

    def as_dict(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in FIELDS}

    def content_hash(self) -> str:
        """Changes when any field but updated_at changes: unchanged rows are left untouched.

        Datetimes enter as POSIX timestamps, so the same instant in any timezone hashes alike.
        (Written out field by field: it runs for every row of every read.)
        """
        submitted, reviewed, received = self.submitted_at, self.reviewed_at, self.received_at
        decided, extended = self.decided_at, self.extension_approved_at
        key = (
            self.application_id,
            self.applicant_dept,
            self.provider_dept,
            self.resource_name,
            self.share_type,
            None if submitted is None else submitted.timestamp(),
            self.review_status,
            None if reviewed is None else reviewed.timestamp(),
            None if received is None else received.timestamp(),
            self.decision,
            None if decided is None else decided.timestamp(),
            self.applicant_region,
            self.provider_region,
            self.extension_working_days,
            None if extended is None else extended.timestamp(),
            self.rejection_reason,
        )
        return _blake2b(repr(key).encode(), digest_size=12).hexdigest()


_blake2b = hashlib.blake2b
RECORD_FIELDS = tuple(
    f.name for f in fields(ApplicationRecord) if f.name not in ("date_only", "history")
)
assert RECORD_FIELDS == FIELDS
# A record's field values in FIELDS order, as one tuple (bulk writes, a reader process's batches).
record_values = attrgetter(*FIELDS)


def is_before(r: ApplicationRecord, later: str, earlier: str) -> bool:
    """Whether field ``later`` lies before field ``earlier`` (False when either is missing).

    When either was DATE-only, by day in that value's zone: a DATE-only answer on the receipt
    day is not before a receipt at 10:00.
    """
    a, b = getattr(r, earlier), getattr(r, later)
    if a is None or b is None:
        return False
    days = [getattr(r, f) for f in (later, earlier) if f in r.date_only] if r.date_only else None
    if days:
        zone = days[0].tzinfo
        return b.astimezone(zone).date() < a.astimezone(zone).date()
    return b < a


@dataclass(frozen=True)
class RowError(Exception):
    """A rejected row: where it was, which field, why (all user-facing, in Chinese)."""

    row: int | str
    field: str
    message: str
    header: str | None = None  # the field as the user's file names it (收到时间, 提供方收到时间…)

    def __str__(self) -> str:
        return f"第 {self.row} 行 字段 {self.header or self.field}：{self.message}"

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled by its fields (a reader process sends rejected rows): an exception's own way
        # sets its attributes one by one afterwards, which a frozen dataclass refuses.
        return (RowError, (self.row, self.field, self.message, self.header))


@lru_cache(maxsize=1024)
def canonical_field(header: str) -> str | None:
    """The record field a column header names (English or a Chinese alias), or None."""
    h = str(header).strip().lstrip("\ufeff").strip()
    if h in _FIELD_SET:
        return h
    lowered = h.lower()
    if lowered in _FIELD_SET:
        return lowered
    return HEADER_ALIASES.get(h)


def raw_application_id(raw: Mapping[str, Any]) -> str | None:
    """The application id a raw row names (even when the row is invalid), or None."""
    for key, value in raw.items():
        name = key if key in _FIELD_SET else canonical_field(key)
        if name == "application_id":
            text = _text(value)
            if text is not None:
                return text
    return None


def _text(value: Any) -> str | None:
    if type(value) is str:
        return value.strip() or None
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    s = str(value).strip()
    return s or None


_DATE_ONLY = re.compile(r"^\d{4}([-/])\d{1,2}\1\d{1,2}$|^\d{4}年\d{1,2}月\d{1,2}日$")


def is_date_only(value: Any) -> bool:
    """True when a raw value names a day without a time (a DATE column, or text like 2024-12-02)."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return True
    return isinstance(value, str) and _DATE_ONLY.match(value.strip()) is not None


def _when(value: Any, field: str, row: int | str, tz: dt.tzinfo) -> dt.datetime | None:
    try:
        return instant(value, tz)
    except InputError as exc:
        raise RowError(row, field, str(exc)) from None


def _working_days(value: Any, row: int | str) -> int | None:
    """A whole number of working days ≥ 0 (an extension), or None when empty."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise RowError(row, "extension_working_days", f"应为不小于 0 的整数，得到 {value!r}")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if not text.isascii() or not text.isdigit():
        raise RowError(row, "extension_working_days", f"应为不小于 0 的整数，得到 {text!r}")
    return int(text)


def _vocab(
    value: Any, table: Mapping[str, str], field: str, row: int | str, default: str | None
) -> str:
    s = _text(value)
    if s is None:
        if default is None:
            raise RowError(row, field, "缺少必填值")
        return default
    hit = table.get(s) or table.get(s.lower())
    if hit is None:
        allowed = "、".join(k for k in table if not k.isascii())
        raise RowError(row, field, f"无法识别的值 {s!r}（可用：{allowed}）")
    return hit


_NO_DAYS: frozenset[str] = frozenset()
_in_field_order = itemgetter(*FIELDS)
# One object for each distinct department, region and resource name: thousands of records repeat
# a few hundred names, and a batch sent to the poll's process (pickled, which writes an object it
# has already written as a reference) or held in memory then carries each once. Interned strings
# are freed with their last record; values are never changed.
_shared = sys.intern


_combine = dt.datetime.combine


@lru_cache(maxsize=256)
def _columns(keys: tuple[Any, ...]) -> tuple[tuple[Any, str], ...] | None:
    """(key, field) for the keys of a raw row that name a record field, in the row's order; None
    when every key already is a distinct field name (a query's aliases): the row is its own data.
    Rows of one source share their keys, so this is worked out once per source, not per row."""
    out = []
    for key in keys:
        name = key if key in _FIELD_SET else canonical_field(key)
        if name is not None:
            out.append((key, name))
    if len(out) == len(keys) and all(key == name for key, name in out):
        return None
    return tuple(out)


def _gather(raw: Mapping[str, Any], columns: tuple[tuple[Any, str], ...]) -> dict[str, Any]:
    """The row's values by field name; of two columns naming one field, the first non-empty."""
    data: dict[str, Any] = {}
    for key, name in columns:
        value = raw[key]
        if name not in data or data[name] is None or data[name] == "":
            data[name] = value
    return data


def validate_row(
    raw: Mapping[str, Any],
    row: int | str,
    tz: dt.tzinfo,
    aliases: Mapping[str, str] | None = None,
    words: PlatformWords = DEFAULT_WORDS,
) -> ApplicationRecord:
    """Turn one raw row (keys: field names or Chinese headers) into a validated record.

    ``words``: the platform words for share_type, review_status and decision (config
    ``vocabulary:`` over the defaults of docs/CONTRACT.md §1). This runs for every row of every read:
    the common cases (text, a driver's naive datetime) take the shortest path.
    """
    columns = _columns(tuple(raw))
    data = raw if columns is None else _gather(raw, columns)
    aliases = aliases or {}
    out: dict[str, Any] = {}
    for f in ("application_id", "applicant_dept", "provider_dept", "resource_name"):
        v = _text(data.get(f))
        if v is not None and f != "resource_name":
            v = visible(v) or None
        if v is None:
            raise RowError(row, f, "缺少必填值")
        out[f] = v
    for f in ("applicant_dept", "provider_dept"):
        out[f] = _shared(canonical(out[f], aliases))
    out["resource_name"] = _shared(out["resource_name"])
    out["share_type"] = _vocab(data.get("share_type"), words.share_type, "share_type", row, None)
    review = data.get("review_status")
    review_given = _text(review) is not None
    out["review_status"] = _vocab(review, words.review_status, "review_status", row, REVIEW_PENDING)
    out["decision"] = _vocab(
        data.get("decision"), words.decision, "decision", row, DECISION_PENDING
    )
    date_only = set()
    for f in DATETIME_FIELDS:
        value = data.get(f)
        if type(value) is dt.datetime and value.tzinfo is None:  # a driver's local time
            out[f] = _combine(value.date(), value.time(), tz)  # = replace(tzinfo=tz), 3× faster
            continue
        if value is None:  # the other usual case: no such event yet
            out[f] = None
            continue
        out[f] = _when(value, f, row, tz)
        if out[f] is not None and is_date_only(value):
            date_only.add(f)
    if out["submitted_at"] is None:
        raise RowError(row, "submitted_at", "缺少必填值")
    if not review_given and out["received_at"] is not None:
        # No review column (or an empty cell) but the provider received it: a conditional
        # application reaches the provider only after its review passed (DOMAIN, step 3).
        out["review_status"] = PASSED
    out["extension_working_days"] = _working_days(data.get("extension_working_days"), row)
    out["rejection_reason"] = _text(data.get("rejection_reason"))
    for f in ("applicant_region", "provider_region"):
        region = _text(data.get(f))
        region = visible(region) if region else None
        out[f] = _shared(canonical(region, aliases)) if region else None
    # positionally: building it from keyword arguments takes about twice as long
    record = ApplicationRecord(
        *_in_field_order(out), frozenset(date_only) if date_only else _NO_DAYS
    )
    _check_consistency(record, row)
    return record


_IN_ORDER = (  # (earlier, later): fields that cannot come the other way round
    ("submitted_at", "reviewed_at"),
    ("submitted_at", "received_at"),
    ("received_at", "decided_at"),
    ("reviewed_at", "decided_at"),
)


def _check_consistency(r: ApplicationRecord, row: int | str) -> None:
    """Field combinations that cannot be; a DATE-only value compares with others by day only."""
    if r.decision in (APPROVED, REJECTED, RETURNED) and r.decided_at is None:
        raise RowError(row, "decided_at", "审批结果为通过、驳回或退回时必须有审批时间")
    if r.decision == DECISION_PENDING and r.decided_at is not None:
        raise RowError(row, "decision", "有审批时间但审批结果为待审批")
    by_day = bool(r.date_only)
    for earlier, later in _IN_ORDER:
        a, b = getattr(r, earlier), getattr(r, later)
        if a is None or b is None:
            continue
        if is_before(r, later, earlier) if by_day else b < a:
            raise RowError(row, later, f"{later} 早于 {earlier}")
    if (
        r.share_type == CONDITIONAL
        and r.review_status == PASSED
        and r.received_at is None
        and r.reviewed_at is None
    ):
        raise RowError(row, "received_at", "审核已通过但既无收到时间也无审核时间，无法起算期限")
