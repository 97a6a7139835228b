"""The short paths a big read takes give exactly what the long ones give: text checks that ask
``str.isprintable`` first, bulk inserts that write datetimes as the column types would, and
validated records that share one object per repeated name."""

from __future__ import annotations

import datetime as dt
import pickle
import unicodedata
import uuid
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Column, Integer, MetaData, String, Table, text

from slamon.adapters.sources.base import RawRow
from slamon.adapters.store.bulk import insert_rows
from slamon.adapters.store.db import open_store
from slamon.adapters.store.models import Application
from slamon.core.records import validate_row
from slamon.core.row_checks import _bad_character, _invisible_id
from slamon.service.batch_validation import RowChecks, validate_batch

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
# Wall-clock times New York has twice (autumn) or never (spring), with either fold.
SHIFTS = [dt.datetime(2024, 11, 3, 1, 30), dt.datetime(2024, 3, 10, 2, 30, 0, 5)]
ANY_WALL = st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2099, 12, 31))
WALL = st.one_of(
    ANY_WALL,
    ANY_WALL.map(lambda v: v.replace(microsecond=0)),  # platform times: whole seconds (cached)
    st.sampled_from(SHIFTS),
)


@given(
    st.lists(st.tuples(WALL, st.integers(0, 1)), min_size=1, max_size=20),
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
    values = [v.replace(tzinfo=zone, fold=fold) for v, fold in naive]
    with engine.begin() as conn:
        table.create(conn)
        insert_rows(conn, table, ("id", "at"), [(i, v) for i, v in enumerate(values)])
        conn.execute(table.insert(), [{"id": 1000 + i, "at": v} for i, v in enumerate(values)])
        raw = dict(conn.execute(text("SELECT id, at FROM stamps")).all())
        back = dict(conn.execute(table.select()).all())
    engine.dispose()
    for i, v in enumerate(values):
        assert raw[i] == raw[1000 + i]
        assert back[i] == back[1000 + i] == v.astimezone(dt.UTC)  # in UTC: see PEP 495


NEW_YORK = ZoneInfo("America/New_York")
TRICKY = [
    dt.datetime(2024, 12, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")),
    dt.datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=ZoneInfo("Asia/Shanghai")),
    dt.datetime(2024, 12, 31, 23, 30, tzinfo=ZoneInfo("Asia/Shanghai")),  # 15:30 UTC, same year
    dt.datetime(2025, 1, 1, 0, 30, tzinfo=ZoneInfo("Asia/Shanghai")),  # the year before in UTC
    dt.datetime(2024, 11, 3, 1, 30, fold=0, tzinfo=NEW_YORK),  # the hour that comes twice
    dt.datetime(2024, 11, 3, 1, 30, fold=1, tzinfo=NEW_YORK),
    dt.datetime(2024, 3, 10, 3, 0, 0, 1, tzinfo=NEW_YORK),
    dt.datetime(2024, 6, 1, 12, 0, tzinfo=dt.UTC),
]


def test_bulk_inserts_store_what_the_orm_stores_on_every_store(store_url: str) -> None:
    """SQLite (text), PostgreSQL (COPY) and MariaDB (executemany): the same instants back, and
    ``skip_existing`` counts only the rows it inserted."""
    engine = open_store(store_url)
    table = Table(
        f"stamps_{uuid.uuid4().hex[:8]}",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("label", String(40)),
        Column("at", Application.__table__.c.submitted_at.type),
    )
    try:
        with engine.begin() as conn:
            table.create(conn)
            rows = [(i, f"省厅 {i}", v) for i, v in enumerate(TRICKY, start=1)]
            insert_rows(conn, table, ("id", "label", "at"), rows)
            conn.execute(
                table.insert(),
                [{"id": 100 + i, "label": "", "at": v} for i, v in enumerate(TRICKY, start=1)],
            )
            again = [(1, "重复", TRICKY[0]), (50, "新", TRICKY[1]), (2, "重复", TRICKY[1])]
            added = insert_rows(conn, table, ("id", "label", "at"), again, skip_existing=("id",))
            back = {i: (label, at) for i, label, at in conn.execute(table.select()).all()}
            table.drop(conn)
    finally:
        engine.dispose()
    mysql = engine.dialect.name in ("mysql", "mariadb")
    assert added == 1 or (added == -1 and mysql)
    assert back[50][0] == "新" and back[1][0] == "省厅 1"  # the first row was kept
    for i, v in enumerate(TRICKY, start=1):
        stored = back[i][1]  # to the microsecond on every store (MariaDB: DATETIME(6))
        # in UTC: an ambiguous local time never equals another zone's datetime (PEP 495)
        assert stored == back[100 + i][1] == v.astimezone(dt.UTC), (i, stored, v)


TZ = ZoneInfo("Asia/Shanghai")


def _fresh(text_: str) -> str:
    """An equal text in an object of its own, as a driver gives each row's values."""
    return "".join(list(text_))


def _row(i: int, provider: str) -> dict[str, object]:
    return {
        "申请编号": f"SH{i:06d}",
        "申请部门": _fresh("省公安厅"),
        "提供部门": _fresh(provider),
        "资源名称": _fresh("企业登记信息"),
        "共享类型": "无条件共享",
        "申请时间": "2024-12-02 09:00:00",
    }


def test_a_batch_sent_to_the_poll_carries_each_repeated_name_once() -> None:
    """Names repeat across thousands of rows: a validated batch, pickled for the poll's process,
    holds each once (and still gives every record its own values back)."""
    rows = [RawRow(i + 2, _row(i, f"  省市场监管局{i % 3}")) for i in range(300)]
    batch = validate_batch(rows, RowChecks(TZ))
    data = pickle.dumps(batch, 5)
    assert data.count("省公安厅".encode()) == 1
    assert data.count("企业登记信息".encode()) == 1
    assert data.count("省市场监管局".encode()) == 3  # three providers, each once
    back = pickle.loads(data)
    assert [r.provider_dept for r in back.records] == [f"省市场监管局{i % 3}" for i in range(300)]
    assert back.records == batch.records


def test_thousands_of_distinct_names_keep_their_values() -> None:
    """Sharing names never mixes them up: every record has exactly its own row's names, also
    when thousands differ and one comes back later."""
    count = 5_000
    got = [validate_row(_row(i, f"部门{i}"), i + 2, TZ).provider_dept for i in range(count)] + [
        validate_row(_row(0, "部门0"), 2, TZ).provider_dept
    ]
    assert got == [f"部门{i}" for i in range(count)] + ["部门0"]
