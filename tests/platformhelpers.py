"""A platform's application table for the sql source tests: its rows (the platform's column
names, not ours, naive timestamps) and, as the ``nullable_platform`` fixture (listed in
conftest's ``pytest_plugins``), the table on real PostgreSQL and MariaDB servers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from dbservers import unique_name
from sqlalchemy import create_engine, text

from slamon.demo.platform import platform_table

TZ = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2024, 12, 10, 10, 0, tzinfo=TZ)  # after every change in ROWS


def n(s: str) -> dt.datetime:
    """A naive platform timestamp."""
    return dt.datetime.fromisoformat(s)


def row(no: str, **kw: object) -> dict[str, object]:
    base: dict[str, object] = {
        "apply_no": no,
        "apply_org_name": "省不动产登记中心",
        "provide_org_name": "省公安厅",
        "res_name": "居民身份证信息",
        "share_mode": "有条件共享",
        "apply_time": n("2024-12-02 09:10:00"),
        "audit_state": "通过",
        "audit_time": n("2024-12-02 10:00:00"),
        "receive_time": n("2024-12-02 10:01:00"),
        "approve_result": None,
        "approve_time": None,
        "apply_area": "省级",
        "provide_area": "省级",
        "modify_time": n("2024-12-02 10:01:00"),
    }
    base.update(kw)
    return base


ROWS = [
    row(
        "A001",
        approve_result="通过",
        approve_time=n("2024-12-03 15:00:00"),
        modify_time=n("2024-12-03 15:00:00"),
    ),
    row(
        "A002",
        provide_org_name="省公共资源交易中心",
        res_name="工程类_招标项目",
        approve_result="驳回",
        approve_time=n("2024-12-04 11:00:00"),
        modify_time=n("2024-12-04 11:00:00"),
    ),
    row(
        "A003",
        res_name="户籍人口基本信息",
        approve_result="签发",
        approve_time=n("2024-12-06 16:30:00"),
        modify_time=n("2024-12-06 16:30:00"),
    ),
    row(
        "A004",
        share_mode="无条件共享",
        audit_state=None,
        audit_time=None,
        receive_time=n("2024-12-02 09:10:00"),
        approve_result="通过",
        approve_time=n("2024-12-02 09:11:00"),
        modify_time=n("2024-12-02 09:11:00"),
    ),
    row(
        "A005",
        audit_state="待审核",
        audit_time=None,
        receive_time=None,
        modify_time=n("2024-12-02 09:10:00"),
        apply_area="黔南布依族苗族自治州",
        apply_org_name="黔南州大数据局",
    ),
    row("A006", approve_result="待审批", modify_time=n("2024-12-05 09:00:00")),
]


@pytest.fixture(params=["pg", "mariadb"])
def nullable_platform(request: pytest.FixtureRequest) -> Iterator[tuple[str, str, Any]]:
    """(url, table name, engine): a uniquely named platform table with ROWS on PostgreSQL, then on
    MariaDB, whose modify_time may be NULL as on real platforms; dropped afterwards."""
    url = request.getfixturevalue("pg_url" if request.param == "pg" else "mysql_url")
    name = unique_name()
    table = platform_table(name)
    engine = create_engine(url)
    with engine.begin() as conn:
        table.create(conn)
        if request.param == "pg":
            conn.execute(text(f"ALTER TABLE {name} ALTER COLUMN modify_time DROP NOT NULL"))
        else:
            conn.execute(text(f"ALTER TABLE {name} MODIFY modify_time DATETIME NULL"))
        conn.execute(table.insert(), ROWS)
    try:
        yield url, name, engine
    finally:
        with engine.begin() as conn:
            table.drop(conn, checkfirst=True)
        engine.dispose()
