"""Read-only by construction: hostile configured queries against real PostgreSQL and MariaDB.

After each query the platform tables are exactly as before, no file was written, and ``poll``
reports the refusal (exit 1, one line of Chinese). The database enforces it, not a lexer.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from dbservers import unique_name
from platformhelpers import ROWS
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from slamon.adapters.sources.sql import SqlSource
from slamon.adapters.sources.sql_probe import sql_source_findings
from slamon.config import SourceConfig
from slamon.core.errors import SourceError
from slamon.core.findings import OK, WARN
from slamon.demo.platform import platform_query, platform_table

TZ = ZoneInfo("Asia/Shanghai")


def snapshot(url: str, *tables: str) -> dict[str, list[tuple[object, ...]]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                t: [tuple(r) for r in conn.execute(text(f"SELECT * FROM {t} ORDER BY 1"))]
                for t in tables
            }
    finally:
        engine.dispose()


def table_exists(url: str, name: str) -> bool:
    from sqlalchemy import inspect

    engine = create_engine(url)
    try:
        return inspect(engine).has_table(name)
    finally:
        engine.dispose()


@pytest.fixture(params=["pg", "mariadb"])
def server(request: pytest.FixtureRequest) -> Iterator[tuple[str, str, str, str]]:
    """(dialect, url, platform table, audit table), both filled; dropped afterwards."""
    url = request.getfixturevalue("pg_url" if request.param == "pg" else "mysql_url")
    name, audit = unique_name(), unique_name("t_audit")
    engine = create_engine(url)
    table = platform_table(name)
    with engine.begin() as conn:
        table.create(conn)
        conn.execute(table.insert(), ROWS)
        conn.execute(text(f"CREATE TABLE {audit} (id int PRIMARY KEY, note varchar(40))"))
        conn.execute(text(f"INSERT INTO {audit} VALUES (1, 'a'), (2, 'b')"))
    try:
        yield request.param, url, name, audit
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"DROP TABLE IF EXISTS {audit}"))
            conn.execute(text(f"DROP TABLE IF EXISTS {name}_copy"))
            table.drop(conn, checkfirst=True)
        engine.dispose()


def hostile_queries(dialect: str, name: str, audit: str, outfile: Path) -> list[str]:
    both = [
        # PostgreSQL reads '\' as a whole literal; a lexer that thinks \' escapes was fooled.
        f"SELECT apply_no AS application_id, '\\' AS note FROM {name}; COMMIT;"
        f" DELETE FROM {audit}; DROP TABLE {name}; --'",
        f"SELECT apply_no AS application_id FROM {name}; DELETE FROM {audit}",
        f"SELECT apply_no AS application_id FROM {name} INTO OUTFILE '{outfile}'",
    ]
    if dialect == "pg":
        return [
            *both,
            f"WITH x AS (DELETE FROM {audit} RETURNING id) SELECT id AS application_id FROM x",
            f"SELECT * INTO {name}_copy FROM {name}",
            "SELECT set_config('default_transaction_read_only', 'off', false) AS application_id",
            f"SELECT apply_no AS application_id FROM {name} FOR UPDATE",
        ]
    return [
        *both,
        f"/*!100000 SET STATEMENT tx_read_only=0 FOR */ SELECT * FROM {name}",
        f"SELECT apply_no AS application_id FROM {name} /*!50000 INTO OUTFILE '{outfile}' */",
        f"SELECT apply_no AS application_id FROM {name} INTO DUMPFILE '{outfile}'",
        f"SELECT apply_no AS application_id FROM {name} FOR UPDATE",
    ]


def test_hostile_queries_change_nothing(server: tuple[str, str, str, str], tmp_path: Path) -> None:
    dialect, url, name, audit = server
    outfile = Path("/tmp") / f"slamon_{uuid.uuid4().hex}.txt"
    before = snapshot(url, name, audit)
    for query in hostile_queries(dialect, name, audit, outfile):
        try:
            src = SqlSource(url, query, tz=TZ)
            src.fetch(None, ())
            src.fetch(None, ())  # the same session setup again: nothing carried over
            src.dispose()
        except SourceError as exc:
            message = str(exc)
            assert "\n" not in message and ("数据源" in message), message
        assert snapshot(url, name, audit) == before, query
        assert not table_exists(url, f"{name}_copy"), query
        assert not outfile.exists(), query
    # Whatever the hostile queries did to their sessions, a new one is still read-only.
    src = SqlSource(url, f"SELECT apply_no AS application_id FROM {name}", tz=TZ)
    with src.engine().connect() as conn, pytest.raises(Exception, match="(?i)read[- ]only"):
        conn.execute(text(f"DELETE FROM {audit}"))
    src.dispose()


def test_multi_statements_refused_even_when_the_url_asks(mysql_url: str) -> None:
    name = unique_name("t_audit")
    engine = create_engine(mysql_url)
    with engine.begin() as conn:
        conn.execute(text(f"CREATE TABLE {name} (id int PRIMARY KEY)"))
        conn.execute(text(f"INSERT INTO {name} VALUES (1)"))
    url = make_url(mysql_url).update_query_dict({"client_flag": str(1 << 16)})
    try:
        src = SqlSource(
            url.render_as_string(hide_password=False),
            f"SELECT id AS application_id FROM {name}; SET SESSION TRANSACTION READ WRITE;"
            f" DELETE FROM {name}",
        )
        with pytest.raises(SourceError, match="查询失败"):
            src.fetch(None, ())
        src.dispose()
        assert snapshot(mysql_url, name) == {name: [(1,)]}
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"DROP TABLE {name}"))
        engine.dispose()


def test_mariadb_function_cannot_lift_read_only(mysql_url: str) -> None:
    """A stored function that sets the session read-write and deletes: still refused."""
    name, fn = unique_name("t_audit"), f"f_rw_{uuid.uuid4().hex[:8]}"
    engine = create_engine(mysql_url)
    with engine.begin() as conn:
        conn.execute(text(f"CREATE TABLE {name} (id int PRIMARY KEY)"))
        conn.execute(text(f"INSERT INTO {name} VALUES (1), (2)"))
        conn.execute(
            text(
                f"CREATE FUNCTION {fn}() RETURNS INT MODIFIES SQL DATA BEGIN"
                f" SET SESSION tx_read_only = 0; DELETE FROM {name}; RETURN 1; END"
            )
        )
    try:
        src = SqlSource(mysql_url, f"SELECT {fn}() AS application_id")
        for _ in range(2):
            with pytest.raises(SourceError, match="只读|READ ONLY|read only|tx_read_only"):
                src.fetch(None, ())
        src.dispose()
        assert snapshot(mysql_url, name) == {name: [(1,), (2,)]}
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"DROP FUNCTION IF EXISTS {fn}"))
            conn.execute(text(f"DROP TABLE {name}"))
        engine.dispose()


def test_dblink_cannot_write(pg_url: str) -> None:
    """dblink opens a second session that a read-only transaction does not cover (checked here:
    dblink_exec from a read-only session does commit), so slamon refuses dblink outright and
    check-config names it. Runs in a database of its own with the extension."""
    db = unique_name("slamon_dblink")
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        available = conn.execute(
            text("SELECT count(*) FROM pg_available_extensions WHERE name = 'dblink'")
        ).scalar_one()
        if not available:
            pytest.skip("dblink 扩展不可用")
        conn.execute(text(f"CREATE DATABASE {db}"))
    url = make_url(pg_url).set(database=db).render_as_string(hide_password=False)
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE EXTENSION dblink"))
            conn.execute(text("CREATE TABLE t_audit (id int)"))
        target = f"dbname={db} user={make_url(pg_url).username} host=127.0.0.1"
        # The danger is real: a read-only session alone does not stop dblink_exec.
        with engine.connect() as conn:
            conn.execute(text("SET TRANSACTION READ ONLY"))
            conn.execute(text(f"SELECT dblink_exec('{target}', 'INSERT INTO t_audit VALUES (1)')"))
            conn.rollback()
        assert snapshot(url, "t_audit") == {"t_audit": [(1,)]}
        for query in (
            f"SELECT dblink_exec('{target}', 'DELETE FROM t_audit') AS application_id",
            f"SELECT * FROM public.DBLINK('{target}', 'WITH d AS (DELETE FROM t_audit"
            " RETURNING id) SELECT id FROM d') AS x(application_id int)",
            f"SELECT U&\"\\0064blink_exec\"('{target}', 'DELETE FROM t_audit')",
        ):
            with pytest.raises(SourceError, match="dblink"):
                SqlSource(url, query).fetch(None, ())
        assert snapshot(url, "t_audit") == {"t_audit": [(1,)]}
        findings = list(
            sql_source_findings(
                SourceConfig(
                    kind="sql",
                    url=url,
                    query="SELECT id AS application_id, 'a' AS applicant_dept, 'b' AS provider_dept,"
                    " 'c' AS resource_name, '无条件共享' AS share_type, now() AS submitted_at"
                    " FROM t_audit",
                ),
                TZ,
                _now(),
            )
        )
        account = next(f for f in findings if f.item == "数据源账号")
        assert account.level == WARN and "dblink_exec" in account.message
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
        admin.dispose()


def _now():  # noqa: ANN202
    import datetime as dt

    return dt.datetime.now(TZ)


def test_query_ending_in_a_literal_works(server: tuple[str, str, str, str]) -> None:
    _dialect, url, name, _audit = server
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            platform_table(name).insert(), [{**ROWS[0], "apply_no": "D1", "audit_state": "草稿"}]
        )
    engine.dispose()
    src = SqlSource(url, platform_query(name) + " AND audit_state <> '草稿'", tz=TZ)
    rows = src.fetch(None, ()).rows
    expected = [r["apply_no"] for r in ROWS if r["audit_state"] is not None]
    assert sorted(r.ref for r in rows) == sorted(expected) and "D1" not in expected
    src.dispose()


def test_poll_reports_the_refusal(
    server: tuple[str, str, str, str],
    run_cli: Callable[..., object],
    write_config: Callable[..., Path],
) -> None:
    dialect, url, name, audit = server
    before = snapshot(url, name, audit)
    query = (
        f"SELECT apply_no AS application_id FROM {name}; DELETE FROM {audit}"
        if dialect == "pg"
        else f"/*!100000 SET STATEMENT tx_read_only=0 FOR */ DELETE FROM {audit}"
    )
    config = write_config(
        {
            "store": {"url": "sqlite:///store.db"},
            "source": {"kind": "sql", "url": url, "query": query},
        }
    )
    result = run_cli(["poll"], config=config)
    assert result.exit_code == 1  # type: ignore[attr-defined]
    err = result.stderr.strip()  # type: ignore[attr-defined]
    assert err.count("\n") == 0 and "数据源" in err and "Traceback" not in err, err
    expected = "一条 SELECT" if dialect == "pg" else "版本注释"
    assert expected in err, err
    assert snapshot(url, name, audit) == before


def test_check_config_warns_about_a_writable_account(server: tuple[str, str, str, str]) -> None:
    """The test servers' accounts are superusers/root: check-config must say they can write;
    a SELECT-only account is reported as read-only."""
    dialect, url, name, _audit = server
    cfg = SourceConfig(kind="sql", url=url, query=platform_query(name))
    findings = {f.item: f for f in sql_source_findings(cfg, TZ, _now())}
    assert findings["数据源账号"].level == WARN and "只读账号" in findings["数据源账号"].message
    clock = findings["数据源时钟"]
    assert clock.level == OK and ("+08:00" in clock.message or "Asia/Shanghai" in clock.message)
    user, password = f"slamon_ro_{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    host = "'127.0.0.1'" if dialect == "mariadb" else ""
    with admin.connect() as conn:
        if dialect == "pg":
            conn.execute(text(f"CREATE ROLE {user} LOGIN PASSWORD '{password}'"))
        else:
            conn.execute(text(f"CREATE USER '{user}'@{host} IDENTIFIED BY '{password}'"))
            conn.execute(text(f"CREATE USER '{user}'@'localhost' IDENTIFIED BY '{password}'"))
            conn.execute(text(f"GRANT SELECT ON test.{name} TO '{user}'@'localhost'"))
        grantee = user if dialect == "pg" else f"'{user}'@{host}"
        conn.execute(text(f"GRANT SELECT ON {name} TO {grantee}"))
    try:
        ro_url = make_url(url).set(username=user, password=password)
        ro = SourceConfig(
            kind="sql", url=ro_url.render_as_string(hide_password=False), query=platform_query(name)
        )
        ro_findings = {f.item: f for f in sql_source_findings(ro, TZ, _now())}
        assert ro_findings["数据源账号"].level == OK, ro_findings["数据源账号"].message
        assert password not in " ".join(f.message for f in ro_findings.values())
    finally:
        with admin.connect() as conn:
            if dialect == "pg":
                conn.execute(text(f"REVOKE ALL ON {name} FROM {user}"))
                conn.execute(text(f"DROP ROLE {user}"))
            else:
                conn.execute(text(f"DROP USER IF EXISTS '{user}'@{host}"))
                conn.execute(text(f"DROP USER IF EXISTS '{user}'@'localhost'"))
        admin.dispose()
