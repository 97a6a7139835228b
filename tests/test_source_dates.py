"""Odd platform dates on the real servers: epoch-millisecond columns are instants; 'infinity',
a year beyond 9999, a zero date and an impossible epoch number reject their row with field and
reason while the other rows load — never the whole source."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from dbservers import unique_name
from sqlalchemy import create_engine, text
from storehelpers import make_runtime

from slamon.adapters.sources.sql import SqlSource
from slamon.adapters.store.db import open_store
from slamon.service.poll import run_poll_cycle

TZ = ZoneInfo("Asia/Shanghai")
MS = 1733101200000  # 2024-12-02 09:00 +08:00
NOW = dt.datetime(2024, 12, 20, 10, 0, tzinfo=TZ)


@pytest.fixture(params=["pg", "mariadb"])
def platform(request: pytest.FixtureRequest) -> Iterator[tuple[str, str, str]]:
    dialect = request.param
    url = request.getfixturevalue("pg_url" if dialect == "pg" else "mysql_url")
    name = unique_name("t_dates")
    stamp = "timestamp" if dialect == "pg" else "DATETIME"
    engine = create_engine(url)
    with engine.begin() as conn:
        if dialect == "mariadb":
            conn.execute(text("SET SESSION sql_mode = ''"))  # a legacy platform: zero dates allowed
        conn.execute(
            text(
                f"CREATE TABLE {name} (id varchar(8) PRIMARY KEY, sub_ms bigint,"
                f" recv {stamp} NULL, recv_text varchar(40) NULL)"
            )
        )
        bad = "'infinity'" if dialect == "pg" else "'0000-00-00 00:00:00'"
        far = "'10000-01-01 00:00'" if dialect == "pg" else "'2024-12-02 10:00'"
        conn.execute(
            text(
                f"INSERT INTO {name} VALUES"
                f" ('D1', {MS}, '2024-12-02 10:00', '2024年12月2日 10时30分'),"
                f" ('D2', {MS}, {bad}, '2024.12.03'),"
                f" ('D3', {MS}, {far}, '2024-12-2 9:00'),"
                f" ('D4', 99999999999999999, '2024-12-02 10:00', '2024-12-02 10:00'),"
                f" ('D5', {MS // 1000}, '2024-12-02 10:00', '0000-00-00')"
            )
        )
    try:
        yield dialect, url, name
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"DROP TABLE {name}"))
        engine.dispose()


def query(name: str, received: str) -> str:
    return (
        "SELECT id AS application_id, '省大数据局' AS applicant_dept, '省公安厅' AS provider_dept,"
        " '居民身份证信息' AS resource_name, '无条件共享' AS share_type, sub_ms AS submitted_at,"
        f" {received} AS received_at FROM {name} ORDER BY id"
    )


def test_bad_dates_reject_only_their_rows(platform: tuple[str, str, str], tmp_path: Path) -> None:
    dialect, url, name = platform
    rt = make_runtime(tmp_path)
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    summary = run_poll_cycle(store, rt, SqlSource(url, query(name, "recv"), tz=TZ), NOW)
    errors = {e.row: (e.field, e.message) for e in summary.errors}
    if dialect == "pg":
        assert set(errors) == {"D2", "D3", "D4"}, errors
        assert errors["D2"][0] == "received_at" and "infinity" in errors["D2"][1]
        assert errors["D3"][0] == "received_at" and "10000" in errors["D3"][1]
    else:
        assert set(errors) == {"D2", "D4"}, errors
        assert errors["D2"][0] == "received_at" and "零日期" in errors["D2"][1]
    assert errors["D4"][0] == "submitted_at" and "过大" in errors["D4"][1]
    assert summary.inserted == 5 - len(errors)
    with store.connect() as conn:
        got = dict(conn.execute(text("SELECT application_id, submitted_at FROM application")).all())
    assert "D1" in got and "D5" in got
    store.dispose()


def test_epoch_and_loose_text_dates_load(platform: tuple[str, str, str], tmp_path: Path) -> None:
    from slamon.core.records import validate_row

    _dialect, url, name = platform
    rows = {r.ref: r for r in SqlSource(url, query(name, "recv_text"), tz=TZ).fetch(None, ()).rows}
    d1 = validate_row(rows["D1"].data, "D1", TZ)
    assert d1.submitted_at == dt.datetime(2024, 12, 2, 9, 0, tzinfo=TZ)  # epoch ms, not year 1733
    assert d1.received_at == dt.datetime(2024, 12, 2, 10, 30, tzinfo=TZ)
    assert validate_row(rows["D2"].data, "D2", TZ).received_at == dt.datetime(
        2024, 12, 3, tzinfo=TZ
    )
    assert validate_row(rows["D3"].data, "D3", TZ).received_at == dt.datetime(
        2024, 12, 2, 9, 0, tzinfo=TZ
    )
    d5 = validate_row({**rows["D5"].data, "received_at": None}, "D5", TZ)
    assert d5.submitted_at == dt.datetime(2024, 12, 2, 9, 0, tzinfo=TZ)  # epoch seconds
