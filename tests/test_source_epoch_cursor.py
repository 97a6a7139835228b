"""``source.cursor``: a platform whose time columns are integers (epoch milliseconds or seconds) or
whose change marker is a counter — bound in the column's own kind, on SQLite and on real
PostgreSQL and MariaDB (BIGINT columns); overlap in the column's unit; check-config's warnings; a
first read of 0 rows is a warning, never a quiet success."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from dbservers import unique_name
from sqlalchemy import create_engine, text
from storehelpers import make_runtime

from slamon.adapters.sources.factory import make_source
from slamon.adapters.sources.sql_cursor_check import CURSOR
from slamon.adapters.store import applications, runs
from slamon.adapters.store.db import open_store
from slamon.config import parse_settings
from slamon.core.errors import ConfigError
from slamon.core.findings import ERROR, OK, WARN
from slamon.service.checks import check_source
from slamon.service.poll import run_poll_cycle
from slamon.service.reconcile import cursor_key

TZ = ZoneInfo("Asia/Shanghai")
PER_SECOND = {"epoch_ms": 1000, "epoch_s": 1}
# 2024-09-27 10:00 +08:00, the Friday before 国庆 2024, in milliseconds (worked out by hand:
# 19993 days and 2 hours after 1970-01-01 00:00 UTC).
FRIDAY_MS = 1_727_402_400_000


def local(text_: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text_).replace(tzinfo=TZ)


def epoch(text_: str, kind: str) -> int:
    return int(local(text_).timestamp()) * PER_SECOND[kind]


def query(name: str, where: str = "WHERE upd > :since") -> str:
    return (
        "SELECT id AS application_id, '省大数据局' AS applicant_dept, '省公安厅' AS provider_dept,"
        " '居民身份证信息' AS resource_name, '有条件共享' AS share_type, sub AS submitted_at,"
        " '通过' AS review_status, rec AS received_at, res AS decision, dec_at AS decided_at,"
        f" upd AS updated_at FROM {name} {where}"
    )


class Platform:
    """A platform table whose time columns are integers (INTEGER on SQLite, BIGINT elsewhere)."""

    def __init__(self, url: str, name: str) -> None:
        self.url, self.name = url, name
        self.engine = create_engine(url)

    def create(self) -> None:
        big = "INTEGER" if self.url.startswith("sqlite") else "BIGINT"
        with self.engine.begin() as conn:
            conn.execute(
                text(
                    f"CREATE TABLE {self.name} (id varchar(8) PRIMARY KEY, sub {big} NOT NULL,"
                    f" rec {big} NULL, res varchar(8) NULL, dec_at {big} NULL, upd {big} NULL)"
                )
            )

    def put(self, *rows: dict[str, Any]) -> None:
        with self.engine.begin() as conn:
            for r in rows:
                conn.execute(text(f"DELETE FROM {self.name} WHERE id = :id"), {"id": r["id"]})
                full = {"rec": None, "res": None, "dec_at": None, "upd": None, **r}
                conn.execute(
                    text(
                        f"INSERT INTO {self.name} (id, sub, rec, res, dec_at, upd)"
                        " VALUES (:id, :sub, :rec, :res, :dec_at, :upd)"
                    ),
                    full,
                )

    def drop(self) -> None:
        with self.engine.begin() as conn:
            conn.execute(text(f"DROP TABLE IF EXISTS {self.name}"))
        self.engine.dispose()


def application(aid: str, kind: str, submitted: str, received: str, **kw: Any) -> dict[str, Any]:
    row = {"id": aid, "sub": epoch(submitted, kind), "rec": epoch(received, kind)}
    row["upd"] = row["rec"]
    return {**row, **kw}


@pytest.fixture(params=["sqlite", "pg", "mariadb"])
def platform(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Platform]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'platform.db'}"
    else:
        url = request.getfixturevalue("pg_url" if request.param == "pg" else "mysql_url")
    p = Platform(url, unique_name("t_epoch"))
    p.create()
    try:
        yield p
    finally:
        p.drop()


@pytest.fixture
def sqlite_platform(tmp_path: Path) -> Iterator[Platform]:
    p = Platform(f"sqlite:///{tmp_path / 'platform.db'}", unique_name("t_epoch"))
    p.create()
    try:
        yield p
    finally:
        p.drop()


def runtime(tmp_path: Path, platform: Platform, kind: str, **source: Any) -> Any:
    sql = source.pop("query", None) or query(platform.name)
    return make_runtime(
        tmp_path,
        source={"kind": "sql", "url": platform.url, "query": sql, "cursor": kind, **source},
    )


def poll(store: Any, rt: Any, now: str, full: bool = False) -> Any:
    source = make_source(rt.settings)
    try:
        return run_poll_cycle(store, rt, source, local(now), full=full)
    finally:
        source.dispose()


def stored(store: Any, rt: Any) -> str | None:
    source = make_source(rt.settings)
    with store.connect() as conn:
        return runs.get_meta(conn, cursor_key(source))


def test_the_friday_constant_is_what_the_tests_compute() -> None:
    assert epoch("2024-09-27 10:00", "epoch_ms") == FRIDAY_MS


@pytest.mark.parametrize("kind", ["epoch_ms", "epoch_s"])
def test_epoch_columns_give_receipts_deadlines_and_incremental_reads(
    platform: Platform, tmp_path: Path, kind: str
) -> None:
    platform.put(
        application("E0", kind, "2024-09-19 09:00", "2024-09-20 10:00"),
        application("E1", kind, "2024-09-26 09:00", "2024-09-27 10:00"),  # Fri before 国庆
        application("E2", kind, "2024-09-30 09:00", "2024-09-30 16:00"),  # the last day before
    )
    rt = runtime(tmp_path, platform, kind)
    rows = {r.ref: r.data for r in make_source(rt.settings).fetch(None).rows}
    received = rows["E1"]["received_at"]  # an aware instant in the configured zone
    assert received == local("2024-09-27 10:00") and received.utcoffset() == dt.timedelta(hours=8)
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    first = poll(store, rt, "2024-10-08 10:00")
    assert (first.fetched, first.inserted, first.rejected, first.notes) == (3, 3, 0, [])
    with store.connect() as conn:
        got = applications.load_records(conn, ["E1", "E2"])
        sla = applications.load_sla(conn, ["E1", "E2"])
    assert got["E1"].received_at == local("2024-09-27 10:00")
    assert got["E1"].submitted_at == local("2024-09-26 09:00")
    assert got["E2"].updated_at == local("2024-09-30 16:00")
    # Official 2024 calendar: 09-29 (Sun) worked, 10-01..10-07 off, 10-12 (Sat) worked.
    assert sla["E1"]["deadline_date"] == dt.date(2024, 10, 10)
    assert sla["E2"]["deadline_date"] == dt.date(2024, 10, 12)
    assert dt.datetime.fromisoformat(stored(store, rt) or "") == local("2024-09-30 16:00")

    answered = epoch("2024-10-09 15:00", kind)
    platform.put(
        application("E1", kind, "2024-09-26 09:00", "2024-09-27 10:00")
        | {"res": "通过", "dec_at": answered, "upd": answered}
    )
    second = poll(store, rt, "2024-10-09 16:00")
    # E1 and E2 (16:00, within the 5 minutes' overlap) are read, E0 is not: :since was bound in
    # the column's unit (a 0, or a timestamp, would bring every row or none).
    assert (second.fetched, second.updated, second.unchanged, second.inserted) == (2, 1, 1, 0)
    with store.connect() as conn:
        assert applications.load_records(conn, ["E1"])["E1"].decided_at == local("2024-10-09 15:00")
        assert applications.stages_of(conn, ["E1"])["E1"] == "answered_on_time"
    assert dt.datetime.fromisoformat(stored(store, rt) or "") == local("2024-10-09 15:00")
    store.dispose()


@pytest.mark.parametrize("kind", ["epoch_ms", "epoch_s"])
def test_overlap_is_applied_in_the_column_unit(
    sqlite_platform: Platform, tmp_path: Path, kind: str
) -> None:
    platform = sqlite_platform
    platform.put(application("L0", kind, "2024-09-30 09:00", "2024-09-30 16:00"))
    rt = runtime(tmp_path, platform, kind, overlap_minutes=5)
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    assert poll(store, rt, "2024-10-08 10:00").inserted == 1
    # Committed after that read, with update times before its cursor (long transactions):
    late = application("L1", kind, "2024-09-30 09:00", "2024-09-30 15:56")  # 4 minutes before
    lost = application("L2", kind, "2024-09-30 09:00", "2024-09-30 15:54")  # 6 minutes before
    platform.put(late, lost)
    again = poll(store, rt, "2024-10-08 10:10")
    assert again.inserted == 1
    with store.connect() as conn:
        assert set(applications.load_records(conn, ["L1", "L2"])) == {"L1"}
    # What the overlap cannot reach, the full reconciliation finds.
    full = poll(store, rt, "2024-10-08 10:20", full=True)
    assert (full.inserted, full.missed) == (1, 1)
    store.dispose()


def test_a_stored_timestamp_cursor_is_converted_to_the_unit(
    sqlite_platform: Platform, tmp_path: Path
) -> None:
    """A cursor stored as an instant (by a timestamp-kind install, here in UTC) is bound as the
    same instant in milliseconds: what lies at or before it is not read again."""
    platform = sqlite_platform
    platform.put(
        application("S1", "epoch_ms", "2024-09-30 09:00", "2024-09-30 16:00"),
        application("S2", "epoch_ms", "2024-09-30 09:00", "2024-09-30 16:01"),
    )
    rt = runtime(tmp_path, platform, "epoch_ms", overlap_minutes=0)
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    with store.begin() as conn:
        runs.set_meta(conn, cursor_key(make_source(rt.settings)), "2024-09-30T08:00:00+00:00")
    summary = poll(store, rt, "2024-10-08 10:00")
    assert (summary.fetched, summary.inserted) == (1, 1)
    with store.connect() as conn:
        assert set(applications.load_records(conn, ["S1", "S2"])) == {"S2"}
    assert dt.datetime.fromisoformat(stored(store, rt) or "") == local("2024-09-30 16:01")
    store.dispose()


def counter_query(name: str, updated: str = "upd") -> str:
    return (
        "SELECT id AS application_id, '省大数据局' AS applicant_dept, '省公安厅' AS provider_dept,"
        " '居民身份证信息' AS resource_name, '无条件共享' AS share_type,"
        " '2024-09-27 10:00:00' AS submitted_at, '2024-09-27 10:00:00' AS received_at,"
        f" {updated} AS updated_at FROM {name} WHERE upd > :since"
    )


def test_integer_cursor_is_the_largest_counter_without_overlap(
    sqlite_platform: Platform, tmp_path: Path
) -> None:
    platform = sqlite_platform
    platform.put({"id": "C1", "sub": 0, "upd": 7}, {"id": "C2", "sub": 0, "upd": 9})
    rt = runtime(
        tmp_path, platform, "integer", query=counter_query(platform.name), overlap_minutes=60
    )
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    first = poll(store, rt, "2024-10-08 10:00")
    assert (first.fetched, first.inserted, first.rejected) == (2, 2, 0)
    assert stored(store, rt) == "9"
    with store.connect() as conn:
        # The counter is the cursor, not a time: it is not kept as the record's updated_at.
        assert applications.load_records(conn, ["C1"])["C1"].updated_at is None
    # A higher counter is read; one below the cursor (committed late) is not: there is no overlap.
    platform.put({"id": "C3", "sub": 0, "upd": 12}, {"id": "C4", "sub": 0, "upd": 8})
    second = poll(store, rt, "2024-10-08 10:10")
    assert (second.fetched, second.inserted) == (1, 1)
    assert stored(store, rt) == "12"
    full = poll(store, rt, "2024-10-08 10:20", full=True)
    assert (full.inserted, full.missed) == (1, 1)  # C4, found by the full reconciliation
    store.dispose()


def test_integer_times_are_rejected_with_row_field_and_reason(
    sqlite_platform: Platform, tmp_path: Path
) -> None:
    """An integer that is no instant in the configured unit rejects its row, naming the field:
    seconds under epoch_ms; under timestamp, a number that is no epoch instant (20240927)."""
    platform = sqlite_platform
    platform.put(
        application("R1", "epoch_ms", "2024-09-26 09:00", "2024-09-27 10:00"),
        application("R2", "epoch_ms", "2024-09-26 09:00", "2024-09-27 10:00")
        | {"sub": epoch("2024-09-26 09:00", "epoch_s")},
    )
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    summary = poll(store, runtime(tmp_path, platform, "epoch_ms"), "2024-10-08 10:00")
    assert (summary.inserted, summary.rejected) == (1, 1)
    (error,) = summary.errors
    assert (error.row, error.field) == ("R2", "submitted_at")
    assert "毫秒" in error.message and "1970" in error.message
    store.dispose()

    platform.put({"id": "R3", "sub": 20240927, "upd": 1})
    store = open_store(f"sqlite:///{tmp_path / 'store2.db'}")
    plain = query(platform.name, "WHERE id = 'R3'")
    summary = poll(store, runtime(tmp_path, platform, "timestamp", query=plain), "2024-10-08 10:00")
    (error,) = summary.errors
    assert (error.row, error.field, summary.inserted) == ("R3", "submitted_at", 0)
    assert "Unix 时间戳" in error.message
    store.dispose()


def test_a_first_read_of_no_rows_is_a_warning(
    sqlite_platform: Platform, tmp_path: Path, write_config: Any, run_cli: Any
) -> None:
    """The measured problem: INTEGER epoch columns, ``upd > :since`` and the default cursor — the
    query matches nothing. The first read (and --full) says so; a later read with rows does not."""
    platform = sqlite_platform
    platform.put(application("W1", "epoch_ms", "2024-09-26 09:00", "2024-09-27 10:00"))
    rt = runtime(tmp_path, platform, "timestamp")
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    first = poll(store, rt, "2024-10-08 10:00")
    assert first.fetched == 0
    assert len(first.notes) == 1 and "未读到任何记录" in first.notes[0]
    assert "source.cursor: epoch_ms" in first.notes[0]
    assert stored(store, rt) is None  # still a first read next time: warned again
    full = poll(store, rt, "2024-10-08 10:10", full=True)
    assert any("全量核对未读到任何记录" in n for n in full.notes)
    fixed = runtime(tmp_path, platform, "epoch_ms")
    assert poll(store, fixed, "2024-10-08 10:20").notes == []
    store.dispose()

    cfg = write_config(
        {
            "store": {"url": f"sqlite:///{tmp_path / 'cli-store.db'}"},
            "rules": {"dir": str(Path(__file__).resolve().parent.parent / "rules")},
            "source": {"kind": "sql", "url": platform.url, "query": query(platform.name)},
        }
    )
    res = run_cli(["poll", "--now", "2024-10-08T10:00"], config=cfg)
    assert res.exit_code == 0, res.stderr
    assert "未读到任何记录" in res.stderr


def cursor_findings(rt: Any) -> list[Any]:
    return [f for f in check_source(rt, local("2024-10-08 10:00")) if f.item == CURSOR]


def test_check_config_names_the_cursor_the_columns_need(platform: Platform, tmp_path: Path) -> None:
    platform.put(application("K1", "epoch_ms", "2024-09-26 09:00", "2024-09-27 10:00"))
    fine = cursor_findings(runtime(tmp_path, platform, "epoch_ms"))
    assert [f.level for f in fine] == [OK]
    findings = list(check_source(runtime(tmp_path, platform, "timestamp"), local("2024-10-08")))
    (warned,) = [f for f in findings if f.item == CURSOR]
    assert warned.level == WARN
    assert "source.cursor: epoch_ms" in warned.message
    assert str(FRIDAY_MS) in warned.message  # the value it judged by
    if platform.url.startswith("postgresql"):  # bigint > timestamp: the server refuses the query
        assert findings[0].level == ERROR and "timestamp" in findings[0].message
        assert "失败" in warned.message
    elif platform.url.startswith("sqlite"):  # integer < text: nothing matches
        assert "返回 0 行" in warned.message


@pytest.mark.parametrize(
    ("kind", "values", "advice"),
    [
        ("timestamp", "epoch_s", "source.cursor: epoch_s"),
        ("epoch_ms", "epoch_s", "source.cursor: epoch_s"),
        ("epoch_s", "epoch_ms", "source.cursor: epoch_ms"),
    ],
)
def test_check_config_warns_when_updated_at_is_another_kind(
    sqlite_platform: Platform, tmp_path: Path, kind: str, values: str, advice: str
) -> None:
    platform = sqlite_platform
    platform.put(application("K1", values, "2024-09-26 09:00", "2024-09-27 10:00"))
    everything = query(platform.name, "")  # no :since: every row, whatever the binding
    (warned,) = cursor_findings(runtime(tmp_path, platform, kind, query=everything))
    assert warned.level == WARN and advice in warned.message


def test_check_config_warns_when_an_epoch_cursor_meets_datetimes(
    sqlite_platform: Platform, tmp_path: Path
) -> None:
    platform = sqlite_platform
    platform.put({"id": "T1", "sub": 0, "upd": 1})
    sql = counter_query(platform.name, updated="'2024-09-27 10:00:00'")
    (warned,) = cursor_findings(runtime(tmp_path, platform, "epoch_ms", query=sql))
    assert warned.level == WARN and "source.cursor: timestamp" in warned.message
    assert "2024-09-27 10:00:00" in warned.message


def test_check_config_warns_when_the_platform_has_no_rows(
    sqlite_platform: Platform, tmp_path: Path
) -> None:
    (warned,) = cursor_findings(runtime(tmp_path, sqlite_platform, "epoch_ms"))
    assert warned.level == WARN
    assert "返回 0 行" in warned.message and "平台尚无申请记录" in warned.message


def test_check_config_on_a_counter_without_full_sync(
    sqlite_platform: Platform, tmp_path: Path
) -> None:
    platform = sqlite_platform
    platform.put({"id": "C1", "sub": 0, "upd": 7})
    sql = counter_query(platform.name)
    kept = cursor_findings(runtime(tmp_path, platform, "integer", query=sql))
    assert [f.level for f in kept] == [OK]
    off = cursor_findings(runtime(tmp_path, platform, "integer", query=sql, full_sync=None))
    assert [f.level for f in off] == [WARN, OK]
    assert "source.full_sync" in off[0].message


def test_an_unknown_cursor_kind_is_refused_naming_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        parse_settings({"source": {"cursor": "epoch_us"}}, None, tmp_path, {})
    assert (info.value.key, info.value.value) == ("source.cursor", "epoch_us")
    assert "epoch_ms" in str(info.value)
    settings = parse_settings({"source": {"cursor": "epoch_s"}}, None, tmp_path, {})
    assert settings.source.cursor == "epoch_s"
    assert parse_settings({}, None, tmp_path, {}).source.cursor == "timestamp"
