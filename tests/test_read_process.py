"""A read from the beginning runs its fetching and validating in a reader process: the store gets
what a read in one process gives (records, rejected rows, holds, cursor, future rows); a reader
that dies fails the read with a reason and stores nothing; a poll that fails stops its reader."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dbservers import unique_name
from platformhelpers import NOW, ROWS, TZ
from sqlalchemy import create_engine, text
from storehelpers import snapshot

from slamon.adapters.sources.sql import SqlSource
from slamon.adapters.store.db import open_store
from slamon.adapters.store.marks import STATES_KEY  # a random token: differs by design
from slamon.config import parse_settings
from slamon.core.errors import SourceError
from slamon.demo.platform import build_platform_table, platform_query
from slamon.runtime import Runtime
from slamon.service import poll, read_process
from slamon.service.batch_validation import validate_batch
from slamon.service.poll import run_poll_cycle


def readers() -> list[int]:
    """This process's reader processes still alive (or not yet reaped)."""
    me, found = str(os.getpid()), []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if stat.rsplit(")", 1)[1].split()[1] == me and b"slamon.service.read_process" in command:
            found.append(int(entry.name))
    return found


def in_process(
    source: Any,
    since: Any,
    now: Any,
    full: bool,
    checks: Any,
    store_url: Any = None,
    shared: bool = False,
) -> Iterator[Any]:
    """The same read validated in this process (what polls from a cursor do: every row)."""
    for rows in source.batches(since, now=now, full=full):
        yield validate_batch(rows, checks)


def test_a_reader_process_stores_what_one_process_stores(nullable_platform, tmp_path, monkeypatch):
    url, name, _engine = nullable_platform
    rt = Runtime(parse_settings({}, None, tmp_path, {}))
    results = []
    started: list[list[str]] = []  # the reader processes the polls started (their commands)
    real_popen = read_process.subprocess.Popen

    def popen(args: list[str], *a: Any, **kw: Any) -> Any:
        started.append(list(args))
        return real_popen(args, *a, **kw)

    monkeypatch.setattr(read_process.subprocess, "Popen", popen)
    for how in ("reader", "one process"):
        if how == "one process":
            monkeypatch.setattr(poll, "validated_batches", in_process)
        store = open_store(f"sqlite:///{tmp_path / f'{how}.db'}")
        source = SqlSource(url, platform_query(name), tz=TZ, batch_rows=2)
        during: list[int] = []
        summary = run_poll_cycle(store, rt, source, NOW, progress=during.append)
        # Three batches of two rows; read by one reader process, or by none. (Not asked of the
        # scheduler: whether the reader is still alive at a callback depends on the load.)
        assert during == [2, 4, 6]
        assert [cmd[-1] for cmd in started] == ["slamon.service.read_process"]
        assert source.last_read.rows == len(ROWS)
        tables = snapshot(store)
        results.append(
            (
                (summary.fetched, summary.inserted, summary.rejected, summary.data_issues),
                [str(e) for e in summary.errors],
                {t: rows for t, rows in tables.items() if t != "poll_run"}
                | {"slamon_meta": [m for m in tables["slamon_meta"] if m[0] != STATES_KEY]},
                source.last_read.cursor,
                source.last_read.future,
            )
        )
        assert not readers()
        source.dispose()
        store.dispose()
    assert results[0] == results[1]
    assert results[0][0][0] == len(ROWS)


def test_batches_the_poll_validates_itself_equal_the_readers(nullable_platform, monkeypatch):
    """With a store on a database server the poll's process validates one batch in
    SHARED_EVERY itself: the batches, in their order, are those the reader alone sends."""
    url, name, _engine = nullable_platform
    checks = poll.row_checks(Runtime(parse_settings({}, None, Path("."), {})))
    monkeypatch.setattr(read_process, "SHARED_EVERY", 2)
    got = {}
    for shared in (False, True):
        source = SqlSource(url, platform_query(name), tz=TZ, batch_rows=1)
        batches = read_process.validated_batches(source, None, NOW, True, checks, None, shared)
        got[shared] = (list(batches), source.last_read.rows)
        source.dispose()
    assert got[True] == got[False]
    assert len(got[True][0]) == len(ROWS) >= 4  # every second batch crossed as raw rows
    assert not readers()


@pytest.fixture
def big_platform(mysql_url: str) -> Iterator[tuple[str, str]]:
    """A platform table larger than a pipe holds once pickled: the reader waits on the poll."""
    name = unique_name("t_reader")
    query = build_platform_table(mysql_url, 3_000, seed=3, table=name)
    try:
        yield mysql_url, query
    finally:
        engine = create_engine(mysql_url)
        with engine.begin() as conn:
            conn.execute(text(f"DROP TABLE IF EXISTS {name}"))
        engine.dispose()


def test_a_reader_that_dies_fails_the_read_and_nothing_is_stored(big_platform, tmp_path):
    url, query = big_platform
    rt = Runtime(parse_settings({}, None, tmp_path, {}))
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    empty = snapshot(store)
    source = SqlSource(url, query, tz=TZ, batch_rows=10)

    def kill_the_reader(_done: int) -> None:
        for pid in readers():
            os.kill(pid, signal.SIGKILL)

    with pytest.raises(SourceError, match="读取进程意外退出"):
        run_poll_cycle(store, rt, source, NOW, progress=kill_the_reader)
    after = snapshot(store)
    assert {t: r for t, r in after.items() if t != "poll_run"} == {
        t: r for t, r in empty.items() if t != "poll_run"
    }
    with store.connect() as conn:
        status, error = conn.execute(text("SELECT status, error FROM poll_run")).one()
    assert status == "failed" and "读取进程意外退出" in error
    assert not readers()
    store.dispose()


def test_a_poll_that_fails_stops_its_reader(big_platform, tmp_path, monkeypatch):
    url, query = big_platform
    rt = Runtime(parse_settings({}, None, tmp_path, {}))
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    running: list[list[int]] = []

    def store_fails(*_args: object, **_kw: object) -> None:
        running.append(readers())
        raise RuntimeError("the store went away")

    monkeypatch.setattr(poll, "_upsert", store_fails)
    with pytest.raises(RuntimeError, match="the store went away"):
        run_poll_cycle(store, rt, SqlSource(url, query, tz=TZ, batch_rows=10), NOW)
    assert running and running[0]  # the reader was still reading when the poll failed
    assert not readers()  # and was stopped with it
    store.dispose()


def test_a_reader_error_comes_back_masked_and_nothing_is_stored(mysql_url, tmp_path, capfd):
    from sqlalchemy.engine import make_url

    secret = "S3cr3t-读取-Xy"
    bad = (
        make_url(mysql_url)
        .set(username="slamon_nobody", password=secret)
        .render_as_string(hide_password=False)
    )
    rt = Runtime(parse_settings({}, None, tmp_path, {}))
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    source = SqlSource(bad, platform_query("t_share_apply"), tz=TZ)
    with pytest.raises(SourceError, match="无法连接数据源") as info:
        run_poll_cycle(store, rt, source, NOW)
    with store.connect() as conn:
        status, error = conn.execute(text("SELECT status, error FROM poll_run")).one()
        stored = conn.execute(text("SELECT count(*) FROM application")).scalar_one()
    store.dispose()
    out, err = capfd.readouterr()
    assert status == "failed" and stored == 0 and not readers()
    for said in (str(info.value), error, out, err):  # the reader's own output included
        assert secret not in said


def test_a_reader_that_cannot_start_fails_the_read_with_a_reason(tmp_path, monkeypatch):
    from slamon.service import read_process

    rt = Runtime(parse_settings({}, None, tmp_path, {}))
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    source = SqlSource(f"sqlite:///{tmp_path / 'platform.db'}", platform_query("t"), tz=TZ)
    for python, reason in (
        (str(tmp_path / "no-python"), "无法启动读取进程"),
        ("/bin/false", "退出码 1"),
    ):
        monkeypatch.setattr(read_process.sys, "executable", python)
        with pytest.raises(SourceError, match=reason):
            run_poll_cycle(store, rt, source, NOW)
    with store.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM application")).scalar_one() == 0
    store.dispose()
