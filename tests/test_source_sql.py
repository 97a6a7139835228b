"""The sql source against real PostgreSQL and MariaDB servers (and SQLite): a platform table whose
column names are not ours, mapped by the configured query; incremental polling; read-only; errors."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from dbservers import unique_name
from platformhelpers import ROWS, TZ, n, row
from sqlalchemy import create_engine, func, select, text

from slamon.adapters.sources.sql import SqlSource, check_query
from slamon.adapters.sources.sql_probe import probe_sql_source
from slamon.adapters.store.db import open_store
from slamon.adapters.store.models import ApplicationEvent
from slamon.config import SourceConfig, parse_settings
from slamon.core.errors import SourceError
from slamon.core.records import RowError, validate_row
from slamon.demo.platform import platform_query, platform_table
from slamon.runtime import Runtime
from slamon.service.checks import ERROR, OK
from slamon.service.poll import run_poll_cycle

LAST_MODIFIED = dt.datetime(2024, 12, 6, 16, 30, tzinfo=TZ)


@pytest.fixture(params=["pg", "mariadb"])
def server_url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue("pg_url" if request.param == "pg" else "mysql_url")


@pytest.fixture
def platform(server_url: str) -> Iterator[tuple[str, str]]:
    """A uniquely named platform table with ROWS on the server; dropped afterwards."""
    name = unique_name()
    table = platform_table(name)
    engine = create_engine(server_url)
    with engine.begin() as conn:
        table.create(conn)
        conn.execute(table.insert(), ROWS)
    try:
        yield server_url, name
    finally:
        with engine.begin() as conn:
            table.drop(conn, checkfirst=True)
        engine.dispose()


def count(url: str, name: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(platform_table(name))).scalar_one()
    finally:
        engine.dispose()


def test_fetch_maps_platform_columns_to_valid_records(platform: tuple[str, str]) -> None:
    url, name = platform
    src = SqlSource(url, platform_query(name), tz=TZ)
    result = src.fetch(None, ())
    assert sorted(r.ref for r in result.rows) == [r["apply_no"] for r in ROWS]
    assert result.cursor == LAST_MODIFIED
    records = {
        r.ref: validate_row(r.data, r.ref, TZ, {"黔南布依族苗族自治州": "黔南州"})
        for r in result.rows
    }
    assert records["A001"].decision == "approved"
    assert records["A001"].decided_at == dt.datetime(2024, 12, 3, 15, 0, tzinfo=TZ)
    assert (
        records["A002"].decision == "rejected"
        and records["A002"].provider_dept == "省公共资源交易中心"
    )
    assert records["A003"].decision == "approved"  # 签发
    assert records["A004"].share_type == "unconditional"
    assert (
        records["A005"].review_status == "pending" and records["A005"].applicant_region == "黔南州"
    )
    assert records["A006"].decision == "pending" and records["A006"].received_at.tzinfo is not None
    src.dispose()


def test_incremental_since_returns_only_later_rows(platform: tuple[str, str]) -> None:
    url, name = platform
    src = SqlSource(url, platform_query(name), tz=TZ)
    since = dt.datetime(2024, 12, 4, 11, 0, tzinfo=TZ)  # exactly A002's modify_time: not after it
    got = src.fetch(since, ())
    assert sorted(r.ref for r in got.rows) == ["A003", "A006"]
    assert got.cursor == LAST_MODIFIED
    # The same instant written in UTC selects the same rows: since is converted to local time.
    utc = src.fetch(since.astimezone(dt.UTC), ())
    assert sorted(r.ref for r in utc.rows) == ["A003", "A006"]
    # Nothing newer than the cursor: no rows, the cursor stays.
    empty = src.fetch(got.cursor, ())
    assert empty.rows == [] and empty.cursor == LAST_MODIFIED
    # A row the platform changes afterwards comes back, alone.
    engine = create_engine(url)
    t = platform_table(name)
    with engine.begin() as conn:
        conn.execute(
            t.update()
            .where(t.c.apply_no == "A006")
            .values(
                approve_result="驳回",
                approve_time=n("2024-12-09 10:00:00"),
                modify_time=n("2024-12-09 10:00:00"),
            )
        )
    engine.dispose()
    again = src.fetch(got.cursor, ())
    assert [r.ref for r in again.rows] == ["A006"]
    assert validate_row(again.rows[0].data, "A006", TZ).decision == "rejected"
    assert again.cursor == dt.datetime(2024, 12, 9, 10, 0, tzinfo=TZ)
    # An overlap re-reads rows just before the cursor (harmless: unchanged rows stay untouched).
    wide = SqlSource(url, platform_query(name), tz=TZ, overlap=dt.timedelta(days=4))
    assert sorted(r.ref for r in wide.fetch(again.cursor, ()).rows) == ["A003", "A006"]
    src.dispose()
    wide.dispose()


def test_postgres_numeric_ids_and_timestamptz_columns(pg_url: str) -> None:
    """Numeric ids become text; :since is compared in the configured timezone even when the
    column is timestamptz and the server's TimeZone is something else (UTC here)."""
    name = unique_name()
    engine = create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                f"CREATE TABLE {name} (id numeric(12,0) PRIMARY KEY, seq bigint, dept text, res text,"
                " mode text, created timestamptz, changed timestamptz)"
            )
        )
        conn.execute(
            text(
                f"INSERT INTO {name} VALUES"
                " (20241201, 1, '省公安厅', '居民身份证信息', '无条件共享',"
                "  '2024-12-02 09:00+08', '2024-12-02 09:00+08'),"
                " (20241202, 2, '省税务局', '纳税人基本信息', '无条件共享',"
                "  '2024-12-02 09:30+08', '2024-12-02 09:30+08')"
            )
        )
    query = (
        "SELECT id AS application_id, seq AS applicant_dept, dept AS provider_dept,"
        " res AS resource_name, mode AS share_type, created AS submitted_at, changed AS updated_at"
        f" FROM {name} WHERE changed > :since ORDER BY id"
    )
    try:
        src = SqlSource(pg_url, query, tz=TZ)
        rows = src.fetch(None, ()).rows
        assert [r.ref for r in rows] == ["20241201", "20241202"]
        assert (
            rows[0].data["application_id"] == "20241201" and rows[0].data["applicant_dept"] == "1"
        )
        record = validate_row(rows[0].data, rows[0].ref, TZ)
        assert record.submitted_at == dt.datetime(2024, 12, 2, 9, 0, tzinfo=TZ)
        later = src.fetch(dt.datetime(2024, 12, 2, 9, 0, tzinfo=TZ), ())
        assert [r.ref for r in later.rows] == ["20241202"]
        assert later.cursor == dt.datetime(2024, 12, 2, 9, 30, tzinfo=TZ)
        src.dispose()
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"DROP TABLE {name}"))
        engine.dispose()


def test_postgres_refuses_data_modifying_cte(pg_url: str) -> None:
    name = unique_name()
    engine = create_engine(pg_url)
    t = platform_table(name)
    with engine.begin() as conn:
        t.create(conn)
        conn.execute(t.insert(), ROWS)
    try:
        src = SqlSource(
            pg_url,
            f"WITH x AS (DELETE FROM {name} RETURNING *) SELECT apply_no AS application_id FROM x",
        )
        with pytest.raises(SourceError, match="read-only|只读|READ ONLY|read only|data-modifying"):
            src.fetch(None, ())
        src.dispose()
        assert count(pg_url, name) == len(ROWS)
    finally:
        with engine.begin() as conn:
            t.drop(conn)
        engine.dispose()


def test_mariadb_refuses_writes_from_a_select(mysql_url: str) -> None:
    """MariaDB has no data-modifying CTE; a stored function called from the SELECT is the way a
    query could write. It runs in a READ ONLY transaction, so the write fails."""
    name = unique_name()
    fn = f"f_del_{uuid.uuid4().hex[:8]}"
    engine = create_engine(mysql_url)
    t = platform_table(name)
    with engine.begin() as conn:
        t.create(conn)
        conn.execute(t.insert(), ROWS)
        conn.execute(
            text(
                f"CREATE FUNCTION {fn}() RETURNS INT MODIFIES SQL DATA BEGIN DELETE FROM {name}; RETURN 1; END"
            )
        )
    try:
        src = SqlSource(mysql_url, f"SELECT {fn}() AS application_id")
        with pytest.raises(SourceError, match="READ ONLY"):
            src.fetch(None, ())
        src.dispose()
        assert count(mysql_url, name) == len(ROWS)
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"DROP FUNCTION IF EXISTS {fn}"))
            t.drop(conn)
        engine.dispose()


def test_sqlite_connection_is_query_only(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'p.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        platform_table().create(conn)
        conn.execute(platform_table().insert(), ROWS)
    engine.dispose()
    src = SqlSource(url, platform_query(), tz=TZ)
    assert len(src.fetch(None, ()).rows) == len(ROWS)
    with src.engine().connect() as conn:
        assert conn.execute(text("PRAGMA query_only")).scalar_one() == 1
        with pytest.raises(Exception, match="readonly"):
            conn.execute(text("DELETE FROM t_share_apply"))
    src.dispose()


@pytest.mark.parametrize(
    "query, reason",
    [
        ("DELETE FROM t_share_apply", "DELETE"),
        ("update t_share_apply set audit_state = '通过'", "UPDATE"),
        ("INSERT INTO t VALUES (1)", "INSERT"),
        ("DROP TABLE t_share_apply", "DROP"),
        ("CREATE TABLE x (a int)", "CREATE"),
        ("/* 未闭合 SELECT 1", "未闭合"),
        ("SELECT 1 INTO OUTFILE '/tmp/x'", "INTO OUTFILE"),
        ("SELECT 1 into /* x */\n -- y\n dumpfile '/tmp/x'", "INTO DUMPFILE"),
        ("/*!100000 SET STATEMENT tx_read_only=0 FOR */ SELECT 1", "版本注释"),
        ("SELECT 1 /*M!100000 INTO OUTFILE '/tmp/x' */", "版本注释"),
        ("SELECT dblink_exec('dbname=x', 'DELETE FROM t')", "dblink"),
        ("SELECT U&\"\\0064blink_exec\"('dbname=x', 'DELETE FROM t')", "dblink"),
        ("   ", "为空"),
    ],
)
def test_refused_before_the_database_sees_it(query: str, reason: str) -> None:
    with pytest.raises(SourceError, match=reason):
        check_query(query)
    with pytest.raises(SourceError):
        SqlSource("sqlite:///x.db", query)


@pytest.mark.parametrize(
    "query, expected",
    [
        ("SELECT ';' AS a -- trailing; comment\n;", "SELECT ';' AS a -- trailing; comment"),
        ("WITH a AS (SELECT 1 AS x) SELECT * FROM a;", "WITH a AS (SELECT 1 AS x) SELECT * FROM a"),
        ("/* 导出 */ (SELECT 1)", "/* 导出 */ (SELECT 1)"),
        ("SELECT \"into\" FROM t WHERE note = 'a;b -- c' AND x > :since", None),
        ("SELECT a FROM t WHERE audit_state <> '草稿'", None),
        (
            "-- 导出\nSELECT a FROM t WHERE audit_state <> '草稿';",
            "-- 导出\nSELECT a FROM t WHERE audit_state <> '草稿'",
        ),
    ],
)
def test_selects_with_comments_and_literals_are_accepted(query: str, expected: str | None) -> None:
    """No lexer: the text goes to the database as written (less a trailing ';')."""
    assert check_query(query) == (expected if expected is not None else query)


def test_bad_password_is_masked(server_url: str) -> None:
    from sqlalchemy.engine import make_url

    secret = "S3cr3t-密码-Xy"
    bad = (
        make_url(server_url)
        .set(username="slamon_nobody", password=secret)
        .render_as_string(hide_password=False)
    )
    src = SqlSource(bad, "SELECT 1 AS application_id")
    assert secret not in src.name and "***" in src.name
    with pytest.raises(SourceError) as info:
        src.fetch(None, ())
    message = str(info.value)
    assert secret not in message and "***" in message and "\n" not in message
    assert message.startswith("无法连接数据源")


def test_unreachable_server_and_missing_driver() -> None:
    src = SqlSource("postgresql+psycopg://u:pw-xyz@127.0.0.1:1/none", "SELECT 1 AS application_id")
    with pytest.raises(SourceError, match="无法连接数据源") as info:
        src.fetch(None, ())
    assert "pw-xyz" not in str(info.value)
    with pytest.raises(SourceError, match=r"slamon\[postgres\]"):
        SqlSource("postgresql+pg8000://u:pw@127.0.0.1/x", "SELECT 1").fetch(None, ())
    with pytest.raises(SourceError, match="不存在"):
        SqlSource("sqlite:////nonexistent/dir/p.db", "SELECT 1").fetch(None, ())


def test_probe_reports_mapped_and_missing_fields(platform: tuple[str, str]) -> None:
    url, name = platform
    ok = probe_sql_source(SourceConfig(kind="sql", url=url, query=platform_query(name)), TZ)
    assert ok.level == OK, ok.message
    partial = f"SELECT apply_no AS application_id, res_name AS 资源名称 FROM {name} WHERE modify_time > :since"
    bad = probe_sql_source(SourceConfig(kind="sql", url=url, query=partial))
    assert bad.level == ERROR
    for missing in ("applicant_dept", "provider_dept", "share_type", "submitted_at"):
        assert missing in bad.message
    assert "resource_name" not in bad.message
    wrong = probe_sql_source(SourceConfig(kind="sql", url=url, query=f"SELECT nope FROM {name}"))
    assert wrong.level == ERROR and "查询失败" in wrong.message


def test_poll_end_to_end_records_each_transition_once(pg_url: str, tmp_path: Path) -> None:
    name = unique_name()
    t = platform_table(name)
    platform_engine = create_engine(pg_url)
    with platform_engine.begin() as conn:
        t.create(conn)
        conn.execute(t.insert(), ROWS)
    try:
        store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
        rt = Runtime(parse_settings({}, None, tmp_path, {}))
        src = SqlSource(pg_url, platform_query(name), tz=rt.tz)
        now = dt.datetime(2024, 12, 10, 10, 0, tzinfo=TZ)
        first = run_poll_cycle(store, rt, src, now)
        assert (first.inserted, first.updated, first.rejected) == (len(ROWS), 0, 0)
        with platform_engine.begin() as conn:
            conn.execute(
                t.update()
                .where(t.c.apply_no == "A006")
                .values(
                    approve_result="通过",
                    approve_time=n("2024-12-10 11:00:00"),
                    modify_time=n("2024-12-10 11:00:00"),
                )
            )
            conn.execute(
                t.insert(),
                [
                    row(
                        "A007",
                        modify_time=n("2024-12-10 11:05:00"),
                        receive_time=n("2024-12-10 11:05:00"),
                        audit_time=n("2024-12-10 11:04:00"),
                        apply_time=n("2024-12-10 11:00:00"),
                    )
                ],
            )
        second = run_poll_cycle(store, rt, src, now + dt.timedelta(hours=2))
        assert (second.fetched, second.inserted, second.updated) == (2, 1, 1)
        third = run_poll_cycle(store, rt, src, now + dt.timedelta(hours=3))
        assert (third.fetched, third.inserted, third.updated) == (0, 0, 0)
        ev = ApplicationEvent.__table__
        with store.connect() as conn:
            events = conn.execute(
                select(ev.c.application_id, ev.c.kind, ev.c.decision).order_by(ev.c.id)
            ).all()
        created = [e.application_id for e in events if e.kind == "created"]
        assert sorted(created) == sorted([r["apply_no"] for r in ROWS] + ["A007"])
        assert [(e.application_id, e.decision) for e in events if e.kind == "changed"] == [
            ("A006", "approved")
        ]
        store.dispose()
    finally:
        with platform_engine.begin() as conn:
            t.drop(conn)
        platform_engine.dispose()


def test_rows_without_an_id_get_a_row_reference(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'p.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        platform_table().create(conn)
        conn.execute(platform_table().insert(), ROWS[:2])
    engine.dispose()
    q = "SELECT NULL AS application_id, res_name AS resource_name FROM t_share_apply ORDER BY apply_no"
    rows = SqlSource(url, q).fetch(None, ()).rows
    assert [r.ref for r in rows] == ["第1行", "第2行"]
    with pytest.raises(RowError) as info:
        validate_row(rows[0].data, rows[0].ref, TZ)
    assert info.value.field == "application_id" and info.value.row == "第1行"
