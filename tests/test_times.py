"""Parsing platform datetimes (core/times.py): the forms platforms write, epoch numbers by
magnitude, and values that are no date at all refused with the reason."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from slamon.core.errors import InputError
from slamon.core.records import RowError, validate_row
from slamon.core.times import Unreadable, instant, parse_datetime

TZ = ZoneInfo("Asia/Shanghai")


def local(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=TZ)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2024.12.02", local(2024, 12, 2)),
        ("2024-12-2 9:00", local(2024, 12, 2, 9, 0)),
        ("2024年12月2日 10时30分", local(2024, 12, 2, 10, 30)),
        ("2024年12月2日10时30分15秒", local(2024, 12, 2, 10, 30, 15)),
        ("2024年12月02日 10:30", local(2024, 12, 2, 10, 30)),
        ("2024/12/2 9:05:07", local(2024, 12, 2, 9, 5, 7)),
        ("2024-12-02 09:00:00", local(2024, 12, 2, 9, 0)),
        ("2024-12-02T01:00:00Z", local(2024, 12, 2, 9, 0)),
        ("2024-12-02", local(2024, 12, 2)),
        # Epoch numbers by magnitude: 1733101200 s and 1733101200000 ms are 2024-12-02 09:00 +08.
        ("1733101200", local(2024, 12, 2, 9, 0)),
        ("1733101200000", local(2024, 12, 2, 9, 0)),
        ("1733101200.5", local(2024, 12, 2, 9, 0, 0, 500000)),
    ],
)
def test_platform_forms_parse(text: str, expected: dt.datetime) -> None:
    assert parse_datetime(text, TZ) == expected
    assert instant(text, TZ) == expected


def test_numbers_from_integer_columns_are_instants() -> None:
    assert instant(1733101200000, TZ) == local(2024, 12, 2, 9, 0)
    assert instant(1733101200, TZ) == local(2024, 12, 2, 9, 0)
    assert instant(1733101200.0, TZ) == local(2024, 12, 2, 9, 0)


@pytest.mark.parametrize(
    "value, reason",
    [
        ("20241202", "1970-08-23"),  # never compact ISO: an 8-digit number is no plausible instant
        ("0000-00-00", "零日期"),
        ("0000-00-00 00:00:00", "零日期"),
        ("infinity", "无穷"),
        ("-Infinity", "无穷"),
        ("99999999999999999", "过大"),
        (Unreadable("infinity", "timestamp too large (after year 10K)"), "infinity"),
        ("2024-02-30", "无法识别"),
        ("2024年13月1日", "无法识别"),
        (True, "不是日期时间"),
        ("明天", "无法识别"),
    ],
)
def test_no_date_is_refused_with_its_reason(value: object, reason: str) -> None:
    with pytest.raises(InputError, match=reason):
        instant(value, TZ)


def test_a_bad_date_rejects_its_row_naming_the_field() -> None:
    raw = {
        "application_id": "E1",
        "applicant_dept": "省大数据局",
        "provider_dept": "省公安厅",
        "resource_name": "居民身份证信息",
        "share_type": "无条件共享",
        "submitted_at": "1733101200000",
        "received_at": Unreadable("infinity", "timestamp too large (after year 10K)"),
    }
    with pytest.raises(RowError) as info:
        validate_row(raw, "E1", TZ)
    assert info.value.field == "received_at" and "infinity" in info.value.message
    good = validate_row({**raw, "received_at": "2024年12月2日 10时30分"}, "E1", TZ)
    assert good.submitted_at == local(2024, 12, 2, 9, 0)
    assert good.received_at == local(2024, 12, 2, 10, 30)
