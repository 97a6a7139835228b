"""slamon reads MySQL/MariaDB dates with the C ISO parser instead of PyMySQL's regular
expression: every value must come out exactly as PyMySQL's own decoders give it, odd ones
(zero dates, impossible days) included, so that a faster read never changes a verdict."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from dbservers import unique_name
from hypothesis import given
from hypothesis import strategies as st
from pymysql.constants import FIELD_TYPE
from pymysql.converters import convert_date, convert_datetime
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from slamon.adapters.sources.sql import SqlSource
from slamon.adapters.sources.sql_session import _pymysql_conversions

CONV = _pymysql_conversions()


def mysql_text(value: dt.datetime, digits: int) -> str:
    """A DATETIME(digits) value as the server sends it."""
    text_ = value.strftime("%Y-%m-%d %H:%M:%S")
    return text_ + ("." + f"{value.microsecond:06d}"[:digits] if digits else "")


@given(
    st.datetimes(min_value=dt.datetime(1000, 1, 1), max_value=dt.datetime(9999, 12, 31)),
    st.integers(min_value=0, max_value=6),
)
def test_datetimes_decode_as_pymysql_decodes_them(value: dt.datetime, digits: int) -> None:
    sent = mysql_text(value, digits)
    for field_type in (FIELD_TYPE.DATETIME, FIELD_TYPE.TIMESTAMP):
        assert CONV[field_type](sent) == convert_datetime(sent)


@pytest.mark.parametrize(
    "sent",
    [
        "0000-00-00 00:00:00",  # a zero date: text, and the row is rejected naming it
        "2024-00-10 10:00:00",
        "2024-02-30 10:00:00",
        "2024-12-02 24:00:00",
        "2024-12-02T09:00:05",
        "2024-12-02 9:00:05",  # a server never sends this; PyMySQL reads it, so must we
        "2024-12-02",
    ],
)
def test_odd_datetimes_decode_as_pymysql_decodes_them(sent: str) -> None:
    assert CONV[FIELD_TYPE.DATETIME](sent) == convert_datetime(sent)
    assert type(CONV[FIELD_TYPE.DATETIME](sent)) is type(convert_datetime(sent))


@pytest.mark.parametrize("sent", ["2024-12-02", "0000-00-00", "2024-02-30", "2024-12-2"])
def test_dates_decode_as_pymysql_decodes_them(sent: str) -> None:
    assert CONV[FIELD_TYPE.DATE](sent) == convert_date(sent)
    assert type(CONV[FIELD_TYPE.DATE](sent)) is type(convert_date(sent))


@pytest.fixture
def odd_table(mysql_url: str) -> Any:
    name = unique_name("t_driver_dates")
    engine = create_engine(mysql_url)
    with engine.begin() as conn:
        conn.execute(text("SET SESSION sql_mode = ''"))  # a legacy platform: zero dates allowed
        conn.execute(
            text(
                f"CREATE TABLE {name} (id int PRIMARY KEY, d6 DATETIME(6) NULL,"
                " d3 DATETIME(3) NULL, d0 DATETIME NULL, ts TIMESTAMP(3) NULL, day DATE NULL)"
            )
        )
        conn.execute(
            text(
                f"INSERT INTO {name} VALUES"
                " (1, '2024-12-02 09:00:05.123456', '2024-12-02 09:00:05.120',"
                "  '2024-12-02 09:00:05', '2024-12-02 09:00:05.007', '2024-12-02'),"
                " (2, '0000-00-00 00:00:00', '0000-00-00 00:00:00', '0000-00-00 00:00:00',"
                "  NULL, '0000-00-00'),"
                " (3, NULL, NULL, NULL, NULL, NULL)"
            )
        )
    yield mysql_url, name
    with engine.begin() as conn:
        conn.execute(text(f"DROP TABLE {name}"))
    engine.dispose()


def test_a_read_gives_what_the_plain_driver_gives(odd_table: Any) -> None:
    import pymysql

    url, name = odd_table
    query = f"SELECT id, d6, d3, d0, ts, day FROM {name} ORDER BY id"
    u = make_url(url)
    plain = pymysql.connect(
        host=u.host, port=u.port or 3306, user=u.username, password=u.password or "",
        database=u.database, charset="utf8mb4",
    )  # fmt: skip
    try:
        with plain.cursor() as cur:
            cur.execute("SET time_zone = '+08:00'")
            cur.execute(query)
            expected = [tuple(row) for row in cur.fetchall()]
    finally:
        plain.close()
    source = SqlSource(url, query, tz=dt.timezone(dt.timedelta(hours=8)))
    keys, rows = source.read(query)
    source.dispose()
    assert keys == ["id", "d6", "d3", "d0", "ts", "day"]
    assert [tuple(r) for r in rows] == expected
    assert expected[1][3] == "0000-00-00 00:00:00"  # a zero date stays text, as PyMySQL has it
