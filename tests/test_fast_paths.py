"""The short paths a big read takes give exactly what the long ones give: text checks that ask
``str.isprintable`` first, and bulk inserts that write datetimes as the column types would."""

from __future__ import annotations

import datetime as dt
import unicodedata
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Column, Integer, MetaData, Table, text

from slamon.adapters.store.bulk import insert_rows
from slamon.adapters.store.db import open_store
from slamon.adapters.store.models import Application
from slamon.core.row_checks import _bad_character, _invisible_id

# Letters, CJK, spaces of every kind, controls, format characters (zero-width, BOM), NUL.
TEXT = st.text(
    st.one_of(
        st.characters(),
        st.sampled_from("\x00\t\n\r\x1f\x7f\x85\xa0\u200b\u200d\u2028\u3000\ufeff 省厅A"),
    ),
    max_size=12,
)


def bad_character_by_scan(text_: str, free: bool) -> str | None:
    """The check as first written: every character's category."""
    for ch in text_:
        cat = unicodedata.category(ch)
        if ch == "\x00":
            return "含空字符（NUL）"
        if cat == "Cc" and not (free and ch in "\t\n\r"):
            return f"含控制字符 U+{ord(ch):04X}"
    return None


def invisible_id_by_scan(text_: str) -> str | None:
    visible = [ch for ch in text_ if unicodedata.category(ch) not in ("Cf", "Zs", "Cc")]
    if not visible:
        return f"申请编号只有不可见字符 {text_!r}"
    if any(unicodedata.category(ch) == "Cf" for ch in text_):
        return f"申请编号含不可见字符 {text_!r}"
    return None


@given(TEXT, st.booleans())
def test_the_character_check_answers_as_the_scan_does(text_: str, free: bool) -> None:
    assert _bad_character(text_, free) == bad_character_by_scan(text_, free)


@given(TEXT.map(str.strip).filter(bool))
def test_the_id_check_answers_as_the_scan_does(text_: str) -> None:
    assert _invisible_id(text_) == invisible_id_by_scan(text_)


ZONES = [ZoneInfo("Asia/Shanghai"), ZoneInfo("America/New_York"), dt.UTC]


@given(
    st.lists(
        st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2099, 12, 31)),
        min_size=1,
        max_size=20,
    ),
    st.sampled_from(ZONES),
)
def test_bulk_inserts_store_datetimes_as_the_column_type_does(tmp_path_factory, naive, zone):
    """The same instants written by insert_rows and by SQLAlchemy's own insert: the same text
    in the SQLite file, and the same aware values read back."""
    folder = tmp_path_factory.mktemp("bulk")
    engine = open_store(f"sqlite:///{folder / 'store.db'}")
    table = Table(
        "stamps",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("at", Application.__table__.c.submitted_at.type),  # the store's datetime type
    )
    values = [v.replace(tzinfo=zone) for v in naive]
    with engine.begin() as conn:
        table.create(conn)
        insert_rows(conn, table, ("id", "at"), [(i, v) for i, v in enumerate(values)])
        conn.execute(table.insert(), [{"id": 1000 + i, "at": v} for i, v in enumerate(values)])
        raw = dict(conn.execute(text("SELECT id, at FROM stamps")).all())
        back = dict(conn.execute(table.select()).all())
    engine.dispose()
    for i, v in enumerate(values):
        assert raw[i] == raw[1000 + i]
        assert back[i] == back[1000 + i] == v
