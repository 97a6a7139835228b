"""Session time zones: TIMESTAMP and DATETIME columns on servers whose own zone is UTC give the
same deadlines as the truth in Asia/Shanghai (receipts at 02:00 and 23:30 local time)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import replace
from zoneinfo import ZoneInfo

import pytest
from dbservers import unique_name
from sqlalchemy import create_engine, text

from slamon.adapters.sources.sql import SqlSource
from slamon.core.calendar import WorkCalendar
from slamon.core.records import validate_row
from slamon.core.rules import RuleSet
from slamon.core.sla import evaluate

TZ = ZoneInfo("Asia/Shanghai")
# (id, received, decided) in local time: on time and late answers around midnight and New Year.
CASES = [
    ("TZ1", "2024-10-08 02:00", "2024-10-14 09:00"),
    ("TZ2", "2024-12-31 23:30", "2025-01-09 00:30"),
    ("TZ3", "2024-12-02 02:00", "2024-12-10 00:30"),
]
NOW = dt.datetime(2025, 2, 1, 12, 0, tzinfo=TZ)


def local(text_: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text_).replace(tzinfo=TZ)


def utc_text(text_: str) -> str:
    return local(text_).astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


@pytest.fixture(params=["pg", "mariadb"])
def platform(request: pytest.FixtureRequest) -> Iterator[tuple[str, str, str]]:
    """A table with each time in a zone-aware column (written as UTC by a UTC session) and a
    naive column (local wall time), on a server whose own zone is UTC."""
    dialect = request.param
    url = request.getfixturevalue("pg_url" if dialect == "pg" else "mysql_url")
    name = unique_name("t_tz")
    aware, naive = ("timestamptz", "timestamp") if dialect == "pg" else ("TIMESTAMP", "DATETIME")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                f"CREATE TABLE {name} (id varchar(8) PRIMARY KEY, ts_recv {aware} NULL,"
                f" ts_dec {aware} NULL, dt_recv {naive} NULL, dt_dec {naive} NULL)"
            )
        )
        if dialect == "pg":
            conn.execute(text("SET TIME ZONE 'UTC'"))
            zone_now = conn.execute(text("SHOW TimeZone")).scalar_one()
        else:
            conn.execute(text("SET time_zone = '+00:00'"))
            zone_now = conn.execute(text("SELECT @@session.time_zone")).scalar_one()
        assert zone_now in ("UTC", "+00:00")
        for aid, received, decided in CASES:
            conn.execute(
                text(f"INSERT INTO {name} VALUES (:id, :tr, :td, :dr, :dd)"),
                {
                    "id": aid,
                    "tr": utc_text(received),
                    "td": utc_text(decided),
                    "dr": received + ":00",
                    "dd": decided + ":00",
                },
            )
    try:
        yield dialect, url, name
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"DROP TABLE {name}"))
        engine.dispose()


def query(name: str, prefix: str) -> str:
    return (
        "SELECT id AS application_id, '省公安厅' AS provider_dept, '省大数据局' AS applicant_dept,"
        " '居民身份证信息' AS resource_name, '有条件共享' AS share_type, '通过' AS review_status,"
        f" {prefix}_recv AS submitted_at, {prefix}_recv AS reviewed_at, {prefix}_recv AS received_at,"
        f" '通过' AS decision, {prefix}_dec AS decided_at FROM {name} ORDER BY id"
    )


@pytest.mark.parametrize("prefix", ["ts", "dt"])
def test_deadlines_match_the_local_truth(
    platform: tuple[str, str, str],
    prefix: str,
    ruleset: RuleSet,
    calendar: WorkCalendar,
) -> None:
    _dialect, url, name = platform
    src = SqlSource(url, query(name, prefix), tz=TZ)
    rows = src.fetch(None, ()).rows
    src.dispose()
    assert [r.ref for r in rows] == [c[0] for c in CASES]
    for raw, (aid, received, decided) in zip(rows, CASES, strict=True):
        got = validate_row(raw.data, raw.ref, TZ)
        assert got.received_at == local(received), (aid, got.received_at)
        assert got.decided_at == local(decided), (aid, got.decided_at)
        at = local(received)
        truth = replace(
            got, submitted_at=at, reviewed_at=at, received_at=at, decided_at=local(decided)
        )
        mine, right = (
            evaluate(got, NOW, ruleset, calendar, TZ),
            evaluate(truth, NOW, ruleset, calendar, TZ),
        )
        assert (mine.deadline, mine.stage) == (right.deadline, right.stage), aid
    stages = {
        c[0]: evaluate(validate_row(r.data, r.ref, TZ), NOW, ruleset, calendar, TZ).stage
        for r, c in zip(rows, CASES, strict=True)
    }
    assert stages == {"TZ1": "answered_on_time", "TZ2": "answered_late", "TZ3": "answered_late"}


def test_without_the_session_zone_the_aware_column_is_a_day_off(
    platform: tuple[str, str, str],
) -> None:
    """What slamon fixes: a plain UTC session reads the 02:00 receipt as the previous day."""
    dialect, url, name = platform
    engine = create_engine(url)
    with engine.connect() as conn:
        conn.execute(text("SET TIME ZONE 'UTC'" if dialect == "pg" else "SET time_zone = '+00:00'"))
        plain = conn.execute(text(f"SELECT ts_recv FROM {name} WHERE id = 'TZ1'")).scalar_one()
    engine.dispose()
    as_text = plain.replace(tzinfo=None) if plain.tzinfo else plain
    assert as_text == dt.datetime(2024, 10, 7, 18, 0)


def test_check_config_reads_back_the_session_zone_and_clock(
    platform: tuple[str, str, str],
) -> None:
    from slamon.adapters.sources.sql_probe import CLOCK, sql_source_findings
    from slamon.config import SourceConfig
    from slamon.core.findings import OK, WARN

    dialect, url, name = platform
    cfg = SourceConfig(kind="sql", url=url, query=query(name, "dt"))
    real = dt.datetime.now(TZ)
    clock = next(f for f in sql_source_findings(cfg, TZ, real) if f.item == CLOCK)
    assert clock.level == OK, clock.message
    assert ("Asia/Shanghai" if dialect == "pg" else "+08:00") in clock.message
    ahead = next(
        f for f in sql_source_findings(cfg, TZ, real + dt.timedelta(hours=1)) if f.item == CLOCK
    )
    assert ahead.level == WARN and "慢约 60 分钟" in ahead.message, ahead.message


def test_check_config_compares_the_servers_default_zone_with_the_configured_one(
    platform: tuple[str, str, str],
) -> None:
    """A platform program whose sessions keep the server's default zone writes times in it;
    slamon reads in the configured zone. Where they differ, check-config warns (it said 通过)."""
    from slamon.adapters.sources.sql_probe import ZONE, sql_source_findings
    from slamon.config import SourceConfig
    from slamon.core.findings import OK, WARN

    dialect, url, name = platform
    engine = create_engine(url)  # what the server's default session says, independently
    with engine.connect() as conn:
        offset = conn.execute(
            text(
                "SELECT EXTRACT(TIMEZONE FROM now())"
                if dialect == "pg"
                else "SELECT TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(), NOW())"
            )
        ).scalar_one()
    engine.dispose()
    cfg = SourceConfig(kind="sql", url=url, query=query(name, "dt"))
    now = dt.datetime.now(TZ)
    for zone, hours in ((TZ, 8), (ZoneInfo("UTC"), 0)):
        finding = next(f for f in sql_source_findings(cfg, zone, now) if f.item == ZONE)
        if int(offset) == hours * 3600:
            assert finding.level == OK, finding.message
        else:
            assert finding.level == WARN, finding.message
            diff = abs(hours * 3600 - int(offset)) / 3600
            assert f"相差 {diff:g} 小时" in finding.message
