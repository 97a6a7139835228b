"""The daemon: the lease elects one runner among daemons sharing a PostgreSQL store; graceful exit."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml
from processhelpers import Slamon
from sqlalchemy import select, text
from storehelpers import REPO_ROOT, at, fresh_pg_database, make_runtime

from slamon.adapters.store.db import open_store
from slamon.adapters.store.lease import LEASE, release_lease, try_lease
from slamon.daemon import Daemon


class Clock:
    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def pg_store(pg_url):
    with fresh_pg_database(pg_url) as url:
        engine = open_store(url)
        yield engine
        engine.dispose()


def test_lease_is_exclusive_and_lapses(pg_store):
    t0 = at("2024-10-08 10:00")
    assert try_lease(pg_store, "a", t0, 60)
    assert not try_lease(pg_store, "b", t0 + dt.timedelta(seconds=30), 60)
    assert try_lease(pg_store, "a", t0 + dt.timedelta(seconds=30), 60)  # renewal
    assert not try_lease(pg_store, "b", t0 + dt.timedelta(seconds=89), 60)
    assert try_lease(pg_store, "b", t0 + dt.timedelta(seconds=91), 60)  # a lapsed
    assert not try_lease(pg_store, "a", t0 + dt.timedelta(seconds=92), 60)
    release_lease(pg_store, "b", t0 + dt.timedelta(seconds=93))
    assert try_lease(pg_store, "a", t0 + dt.timedelta(seconds=94), 60)


def test_two_daemons_only_one_runs_jobs_and_stopping_hands_over(pg_store, tmp_path):
    rt = make_runtime(tmp_path, source={"kind": "none"}, daemon={"lease_seconds": 60})
    clock = Clock(at("2024-10-08 10:00"))
    first = Daemon(rt, pg_store, clock=clock, holder="first")
    second = Daemon(rt, pg_store, clock=clock, holder="second")
    ran: list[str] = []
    for _ in range(3):
        for d in (first, second):
            d._as_leader("probe", lambda _now, d=d: ran.append(d.holder))
        clock.now += dt.timedelta(seconds=20)
    assert ran == ["first"] * 3
    first.stop()  # gives the lease up at once
    second._as_leader("probe", lambda _now: ran.append("second"))
    assert ran[-1] == "second"
    # a crashed leader (no stop) is replaced once its lease lapses
    clock.now += dt.timedelta(seconds=30)
    first._as_leader("probe", lambda _now: ran.append("first-again"))
    assert ran[-1] == "second"
    clock.now += dt.timedelta(seconds=61)
    first._as_leader("probe", lambda _now: ran.append("first-again"))
    assert ran[-1] == "first-again"


def test_concurrent_lease_attempts_have_one_winner(pg_store):
    from concurrent.futures import ThreadPoolExecutor

    t0 = at("2024-10-08 10:00")
    with ThreadPoolExecutor(8) as pool:
        wins = list(pool.map(lambda i: try_lease(pg_store, f"d{i}", t0, 60), range(8)))
    assert wins.count(True) == 1
    with pg_store.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM lease")).scalar_one() == 1


def test_run_exits_gracefully_on_sigterm(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "store": {"url": "sqlite:///store.db"},
                "rules": {"dir": str(REPO_ROOT / "rules")},
                "source": {"kind": "none"},
                "daemon": {"log_format": "json"},
            }
        ),
        encoding="utf-8",
    )
    engine = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    with Slamon(config, tmp_path, "run") as daemon:
        daemon.wait_for_log("lease.acquired")
        held = _lease(engine)
        code, _out, err = daemon.stop()
    assert code == 0, err
    lines = [line for line in err.splitlines() if line.startswith("{")]
    assert any('"daemon.stopped' in line for line in lines), err
    # the lease was given up: shortened to the moment of the stop, when another daemon takes it,
    # without waiting for it to lapse
    released = _lease(engine)
    assert released.holder == held.holder and released.expires_at < held.expires_at
    assert try_lease(engine, "next", released.expires_at, 60)
    engine.dispose()


def _lease(engine):
    with engine.connect() as conn:
        return conn.execute(select(LEASE.c.holder, LEASE.c.expires_at)).one()
