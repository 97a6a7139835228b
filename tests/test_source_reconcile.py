"""Incremental polling that cannot be fooled, and the full reconciliation, on both servers: a long
transaction's late commit and a deleted row found by ``poll --full``, a NULL updated_at read by the
scheduled full sync, a future updated_at that does not move the cursor."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from platformhelpers import NOW, ROWS, TZ, n, row

from slamon.adapters.sources.sql import SqlSource
from slamon.adapters.store import data_issues, runs
from slamon.adapters.store.db import open_store
from slamon.config import parse_settings
from slamon.demo.platform import platform_query, platform_table
from slamon.runtime import Runtime
from slamon.service.jobs import poll_job
from slamon.service.poll import run_poll_cycle
from slamon.service.reconcile import cursor_key
from slamon.service.status import build_status


def settings(tmp_path: Path, url: str, name: str, **source: Any) -> dict[str, Any]:
    return {
        "store": {"url": f"sqlite:///{tmp_path / 'store.db'}"},
        "source": {"kind": "sql", "url": url, "query": platform_query(name), **source},
        "smtp": {"host": "127.0.0.1", "port": 9, "timeout_seconds": 1},
    }


def test_long_transaction_miss_and_deleted_row_found_by_poll_full(
    nullable_platform: tuple[str, str, Any],
    tmp_path: Path,
    run_cli: Callable[..., Any],
    write_config: Callable[..., Path],
) -> None:
    url, name, engine = nullable_platform
    config = write_config(settings(tmp_path, url, name))
    first = run_cli(["poll", "--now", NOW.isoformat(), "--json"], config=config)
    assert first.exit_code == 0, first.stderr
    assert json.loads(first.stdout)["inserted"] == len(ROWS)
    t = platform_table(name)
    with engine.begin() as conn:
        # A long transaction commits now a row stamped long before the cursor (12-06 16:30).
        conn.execute(t.insert(), [row("A008", modify_time=n("2024-12-05 09:00:00"))])
        conn.execute(t.delete().where(t.c.apply_no == "A002"))
    later = NOW + dt.timedelta(hours=1)
    incremental = json.loads(
        run_cli(["poll", "--now", later.isoformat(), "--json"], config=config).stdout
    )
    assert incremental["inserted"] == 0 and incremental["deleted"] == 0  # both missed
    full = run_cli(["poll", "--full", "--now", later.isoformat(), "--json"], config=config)
    assert full.exit_code == 0, full.stderr
    data = json.loads(full.stdout)
    assert (data["full"], data["inserted"], data["missed"], data["deleted"]) == (True, 1, 1, 1)
    assert "增量读取遗漏 1 条，已在全量核对中补齐" in data["notes"]
    assert any("A002" in note and "已从平台删除" in note for note in data["notes"])
    status = json.loads(
        run_cli(["status", "--now", later.isoformat(), "--json"], config=config).stdout
    )
    stages = {s["application_id"]: s["stage"] for s in status}
    assert stages["A002"] == "data_issue" and stages["A008"] != "data_issue"
    text_out = run_cli(["poll", "--full", "--now", later.isoformat()], config=config)
    assert "已从平台删除" in text_out.stdout + text_out.stderr
    # The row comes back on the platform: the next read settles it.
    with engine.begin() as conn:
        conn.execute(t.insert(), [ROWS[1] | {"modify_time": n("2024-12-10 11:30:00")}])
    run_cli(["poll", "--now", (later + dt.timedelta(hours=1)).isoformat()], config=config)
    status = json.loads(
        run_cli(["status", "--now", later.isoformat(), "--json"], config=config).stdout
    )
    assert {s["application_id"]: s["stage"] for s in status}["A002"] != "data_issue"


def test_null_updated_at_read_by_the_scheduled_full_sync(
    nullable_platform: tuple[str, str, Any], tmp_path: Path
) -> None:
    url, name, engine = nullable_platform
    full_query = platform_query(name).replace("WHERE modify_time > :since", "")
    rt = Runtime(
        parse_settings(
            settings(tmp_path, url, name, full_query=full_query, full_sync="02:30"),
            None,
            tmp_path,
            {},
        )
    )
    with engine.begin() as conn:
        conn.execute(platform_table(name).insert(), [row("A009", modify_time=None)])
    store = rt.engine
    night = dt.datetime(2024, 12, 11, 3, 0, tzinfo=TZ)
    first = poll_job(store, rt, night, "test")  # no full sync yet: due
    assert first.full and first.inserted == len(ROWS) + 1
    again = poll_job(store, rt, night + dt.timedelta(minutes=10), "test")
    assert not again.full  # done for tonight: incremental
    with store.connect() as conn:
        assert runs.get_meta(conn, "full_sync_last") == night.isoformat()
    next_night = poll_job(store, rt, night + dt.timedelta(days=1), "test")
    assert next_night.full and next_night.missed == 0 and next_night.deleted == 0


def test_future_updated_at_does_not_move_the_cursor(
    nullable_platform: tuple[str, str, Any], tmp_path: Path
) -> None:
    url, name, engine = nullable_platform
    t = platform_table(name)
    with engine.begin() as conn:
        conn.execute(t.insert(), [row("A042", modify_time=n("2042-01-01 00:00:00"))])
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    rt = Runtime(parse_settings({}, None, tmp_path, {}))
    src = SqlSource(url, platform_query(name), tz=TZ, overlap=dt.timedelta(minutes=5))
    summary = run_poll_cycle(store, rt, src, NOW)
    assert summary.future == 1 and any("A042" in note for note in summary.notes)
    with store.connect() as conn:
        cursor = dt.datetime.fromisoformat(runs.get_meta(conn, cursor_key(src)) or "")
    assert cursor == dt.datetime(2024, 12, 6, 16, 30, tzinfo=TZ)  # the latest real change
    report = build_status(store, rt, NOW)
    assert [r["row"] for r in report.future_rows] == ["A042"]
    # A change made afterwards with a normal stamp is still read (the cursor was not pinned).
    with engine.begin() as conn:
        conn.execute(
            t.update()
            .where(t.c.apply_no == "A006")
            .values(approve_result="通过", approve_time=n("2024-12-10 10:30:00"))
            .values(modify_time=n("2024-12-10 10:30:00"))
        )
    second = run_poll_cycle(store, rt, src, NOW + dt.timedelta(hours=1))
    assert second.updated == 1
    with store.connect() as conn:
        assert data_issues.open_issues(conn) == {}
    src.dispose()
    store.dispose()


def test_cursor_key_is_a_hash_of_the_whole_url_and_query() -> None:
    url = "mysql+pymysql://reader:S3cret@db/platform?charset=utf8mb4"
    long_query = "SELECT apply_no AS application_id FROM t WHERE modify_time > :since"
    a = SqlSource(url, long_query)
    b = SqlSource(url.replace("db/", "db2/"), long_query)
    c = SqlSource(url, long_query + " AND 1=1")
    keys = {cursor_key(a), cursor_key(b), cursor_key(c)}
    assert len(keys) == 3
    assert all("S3cret" not in k and "reader" not in k and len(k) <= 64 for k in keys)


def test_a_read_in_small_batches_stores_what_one_batch_does(
    nullable_platform: tuple[str, str, Any], tmp_path: Path
) -> None:
    """Rows streamed two at a time: the same applications, states and cursor as one batch."""
    url, name, _engine = nullable_platform
    rt = Runtime(parse_settings({}, None, tmp_path, {}))
    results = []
    for size in (2, 10_000):
        store = open_store(f"sqlite:///{tmp_path / f'store{size}.db'}")
        src = SqlSource(url, platform_query(name), tz=TZ, batch_rows=size)
        seen: list[int] = []
        summary = run_poll_cycle(store, rt, src, NOW, progress=seen.append)
        status = build_status(store, rt, NOW)
        results.append(
            (
                summary.inserted,
                summary.evaluated,
                sorted((i.record.application_id, i.state.stage) for i in status.items),
                src.last_read.cursor,
            )
        )
        assert seen[-1] == len(ROWS) and len(seen) == (3 if size == 2 else 1)
        src.dispose()
        store.dispose()
    assert results[0] == results[1] and results[0][0] == len(ROWS)
