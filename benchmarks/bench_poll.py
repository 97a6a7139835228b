"""Poll benchmark: a platform table of 100,000 applications.

1. first full poll (fetch through the real sql source, validate, store, history, SLA) into a fresh
   SQLite store, against a baseline measured in the same run: a plain sqlite3 ``executemany``
   INSERT of the same fetched rows into a table with the same columns;
2. an incremental poll after 1,000 rows changed on the platform;
3. re-evaluating the SLA state of every stored application (what a calendar or rule change costs).

Usage: python benchmarks/bench_poll.py [--rows N] [--platform-url URL]
(default platform: a SQLite file; pass a PostgreSQL URL to read from a real server).
Prints each time; the last line is ``full_poll_ratio_vs_executemany=<number>`` (goal: ≤ 4).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sqlite3
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, text

from slamon.adapters.sources.sql import SqlSource
from slamon.adapters.store.db import open_store
from slamon.config import parse_settings
from slamon.demo.platform import build_platform_table, mutate_demo_platform
from slamon.runtime import Runtime
from slamon.service.evaluation import reevaluate_all
from slamon.service.poll import run_poll_cycle

TZ = ZoneInfo("Asia/Shanghai")
REPO = Path(__file__).resolve().parent.parent


def baseline_executemany(rows: list[tuple], folder: Path) -> float:
    """Plain sqlite3 executemany of the same rows into a same-shaped table (WAL, one commit)."""
    conn = sqlite3.connect(folder / "baseline.db")
    conn.execute("PRAGMA journal_mode=WAL")
    cols = len(rows[0])
    conn.execute(f"CREATE TABLE t ({', '.join(f'c{i}' for i in range(cols))}, PRIMARY KEY (c0))")
    started = time.perf_counter()
    conn.executemany(f"INSERT INTO t VALUES ({', '.join('?' * cols)})", rows)
    conn.commit()
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--changed", type=int, default=1_000)
    ap.add_argument("--platform-url", default=None)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        platform = args.platform_url or f"sqlite:///{folder / 'platform.db'}"
        t = time.perf_counter()
        query = build_platform_table(platform, args.rows, seed=7)
        print(
            f"platform table: {args.rows:,} rows built in {time.perf_counter() - t:.1f} s ({platform.split(':')[0]})"
        )

        # The same rows the poll will fetch, for the baseline.
        eng = create_engine(platform)
        with eng.connect() as conn:
            fetched = [
                tuple(r) for r in conn.execute(text(query), {"since": dt.datetime(1970, 1, 1)})
            ]
        eng.dispose()
        runs = []
        for i in range(3):
            (folder / f"base{i}").mkdir()
            runs.append(baseline_executemany(fetched, folder / f"base{i}"))
        base = min(runs)
        print(f"baseline sqlite3 executemany INSERT of {len(fetched):,} rows: {base:.3f} s")

        rt = Runtime(parse_settings({"rules": {"dir": str(REPO / "rules")}}, None, folder, {}))
        rt.calendar, rt.rules  # noqa: B018 — load outside the timed region, as the daemon does
        store = open_store(f"sqlite:///{folder / 'store.db'}")
        source = SqlSource(platform, query, tz=TZ)
        now = dt.datetime(2025, 1, 6, 10, 0, tzinfo=TZ)

        t = time.perf_counter()
        first = run_poll_cycle(store, rt, source, now)
        full = time.perf_counter() - t
        print(
            f"full poll: {full:.3f} s — fetched {first.fetched:,}, inserted {first.inserted:,}, "
            f"rejected {first.rejected}, evaluated {first.evaluated:,} "
            f"({first.fetched / full:,.0f} records/s)"
        )

        later = now + dt.timedelta(minutes=10)
        changed = mutate_demo_platform(platform, later, args.changed, seed=3)
        t = time.perf_counter()
        inc = run_poll_cycle(store, rt, source, later)
        incremental = time.perf_counter() - t
        print(
            f"incremental poll after {len(changed):,} changes: {incremental:.3f} s — "
            f"fetched {inc.fetched:,}, updated {inc.updated:,}, evaluated {inc.evaluated:,}"
        )
        if inc.updated < len(changed):
            raise SystemExit(f"incremental poll missed changes: {inc.updated} < {len(changed)}")

        t = time.perf_counter()
        with store.begin() as conn:
            evaluated, _moved = reevaluate_all(conn, rt, later)
        reeval = time.perf_counter() - t
        print(f"re-evaluate SLA of all {evaluated:,} stored applications: {reeval:.3f} s")
        source.dispose()
        store.dispose()
        print(
            f"goals: full poll within 4x of the baseline; incremental under 2 s ({'met' if incremental < 2 else 'NOT met'})"
        )
        print(f"full_poll_ratio_vs_executemany={full / base:.2f}")


if __name__ == "__main__":
    main()
