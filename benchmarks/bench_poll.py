"""Poll benchmark: the first full poll of a platform table against the driver's plain fetch.

1. builds a platform table of ``--rows`` applications (default 100,000) on MariaDB (the local test
   server, a uniquely named table dropped afterwards) or on ``--platform-url``;
2. in a child process: the plain fetch of the same rows by the driver (PyMySQL / psycopg /
   sqlite3 ``cursor.execute`` + ``fetchall``) — time and peak RSS;
3. in another: slamon's read alone (its read-only session, server-side cursor and date
   decoders; nothing stored) — how much of the poll is reading;
4. in another: slamon's first full poll of that table (read-only session, server-side cursor,
   validate, store, history, SLA) into a fresh store (a SQLite file, or with ``--store
   postgresql`` a new database on ``--store-server``) — time, CPU time and peak RSS, its reader
   process's included (a read from the beginning fetches and validates in a reader process).

Each child measures its own peak RSS (``/proc`` VmHWM), so the figures are separate; the poll's
peak is its own plus its reader's (both at their peaks: an upper bound).
Usage: python benchmarks/bench_poll.py [--rows N] [--platform-url URL] [--store postgresql]
The poll's serial parts are printed too: how long it waits for its first batch, and the index
builds and ANALYZE that end a first read. The last line is ``full_poll_ratio_vs_fetch=<poll s ÷
fetch s> peak_rss_mb=<poll + reader peak RSS> cpu_ratio_vs_fetch=<CPU s of the poll's two
processes ÷ the fetch's>`` (goals: ratio ≤ 3, peak RSS < 500 MB). The wall-clock ratio moves
with the machine (±10% between runs on a shared VM); the CPU ratio moves less.

The plain fetch runs again after the poll, and the ratios divide by the mean of the two: a
shared machine's speed drifts over the minutes a poll takes, so the baseline brackets it.

``--incremental`` (default 1,000,000 rows): steady state on a store the first poll filled, each
poll as the daemon runs it (mail planner included) in a child: an idle poll (goal < 0.5 s), a
poll of 1,000 changed rows (900 answered or re-answered, 100 new; goal < 2 s) and the nightly
``poll --full`` of the unchanged platform (goal ≤ 2× the plain fetch measured just before it).
Each line says what the poll wrote (history events, SLA states); the last line is
``idle_poll_s=… changed_poll_s=… full_repoll_ratio_vs_fetch=…``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")
REPO = Path(__file__).resolve().parent.parent
DEFAULT_URL = "mysql+pymysql://root@127.0.0.1:3306/test?charset=utf8mb4"
DEFAULT_PG_STORE = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
STORE_NAMES = {"sqlite": "a SQLite store", "postgresql": "a PostgreSQL store"}
NOW = dt.datetime(2025, 1, 6, 10, 0, tzinfo=TZ)


def peak_rss_mb() -> float:
    """This process's own peak RSS. /proc's VmHWM belongs to the process's memory map, which
    exec replaces; ``ru_maxrss`` does not: Linux carries the parent's high-water mark across
    fork and exec, so a child of the parent that built a million-row table would report the
    parent's peak, not its own."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def plain_fetch(url: str, query: str) -> dict[str, float]:
    """The driver alone: execute the query and fetch every row (what any program must do)."""
    from sqlalchemy.engine import make_url

    sql = query.replace(":since", "'1970-01-01 00:00:00'")
    u = make_url(url)
    backend = u.get_backend_name()
    started, cpu = time.perf_counter(), time.process_time()
    if backend in ("mysql", "mariadb"):
        import pymysql

        conn = pymysql.connect(
            host=u.host,
            port=u.port or 3306,
            user=u.username,
            password=u.password or "",
            database=u.database,
            charset="utf8mb4",
        )
    elif backend == "postgresql":
        import psycopg

        conn = psycopg.connect(
            host=u.host,
            port=u.port or 5432,
            user=u.username,
            password=u.password,
            dbname=u.database,
        )
    else:
        import sqlite3

        conn = sqlite3.connect(u.database)
    cur = conn.cursor()
    cur.execute(sql)
    rows = cur.fetchall()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    conn.close()
    return {"seconds": elapsed, "cpu_seconds": cpu, "rows": len(rows), "peak_rss_mb": peak_rss_mb()}


def slamon_read(url: str, query: str) -> dict[str, float]:
    """slamon's own read alone (read-only session, server-side cursor, its date decoders,
    batches of raw rows), nothing stored: what of the poll is reading, and what is the rest."""
    from slamon.adapters.sources.sql import SqlSource

    source = SqlSource(url, query, tz=TZ)
    started, cpu = time.perf_counter(), time.process_time()
    rows = sum(len(batch) for batch in source.batches(None, now=NOW, full=True))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    source.dispose()
    return {"seconds": elapsed, "cpu_seconds": cpu, "rows": rows, "peak_rss_mb": peak_rss_mb()}


def full_poll(url: str, query: str, folder: str, store_url: str | None) -> dict[str, float]:
    from slamon.adapters.sources.sql import SqlSource
    from slamon.adapters.store.db import open_store
    from slamon.config import parse_settings
    from slamon.runtime import Runtime
    from slamon.service.poll import run_poll_cycle

    rt = Runtime(parse_settings({"rules": {"dir": str(REPO / "rules")}}, None, Path(folder), {}))
    rt.calendar, rt.rules  # noqa: B018 — load outside the timed region, as the daemon does
    store = open_store(store_url or f"sqlite:///{Path(folder) / 'store.db'}")
    source = SqlSource(url, query, tz=TZ)
    phases = _timed_phases()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started, cpu = time.perf_counter(), time.process_time()
    summary = run_poll_cycle(store, rt, source, NOW)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    reader = resource.getrusage(resource.RUSAGE_CHILDREN)  # the reader process, once ended
    source.dispose()
    store.dispose()
    return {
        "seconds": elapsed,
        "cpu_seconds": cpu,
        "reader_cpu_seconds": reader.ru_utime + reader.ru_stime - before.ru_utime - before.ru_stime,
        "rows": summary.fetched,
        "inserted": summary.inserted,
        "rejected": summary.rejected,
        "evaluated": summary.evaluated,
        "peak_rss_mb": peak_rss_mb(),
        # ru_maxrss of children: the largest of them, here the reader (this process has no other)
        "reader_peak_rss_mb": reader.ru_maxrss / 1024 if reader.ru_maxrss > before.ru_maxrss else 0,
        "first_batch_s": phases["first_batch"] - started,
        "tail_s": phases["tail"],
    }


def _timed_phases() -> dict[str, float]:
    """When the poll's process gets its first batch (the reader's start-up and first fetch and
    validation, during which this process waits) and how long the end of a first read takes
    (the deferred index builds and ANALYZE, which nothing overlaps): the serial parts of a
    poll. Measured by wrapping the two steps, nothing else changed."""
    from slamon.adapters.store import bulk_load
    from slamon.service import poll

    phases = {"first_batch": 0.0, "tail": 0.0}
    store_batch, restore = poll._Read.store_batch, bulk_load.restore_indexes

    def first_batch(read: Any, batch: Any) -> None:
        phases["first_batch"] = phases["first_batch"] or time.perf_counter()
        store_batch(read, batch)

    def tail(conn: Any, dropped: Any) -> None:
        t = time.perf_counter()
        restore(conn, dropped)
        phases["tail"] += time.perf_counter() - t

    poll._Read.store_batch, bulk_load.restore_indexes = first_batch, tail
    return phases


STEADY_NOW = {  # the steady-state polls, minutes after the first one (the daemon's rhythm)
    "idle": NOW + dt.timedelta(minutes=5),
    "changed": NOW + dt.timedelta(minutes=10),
    "full": NOW + dt.timedelta(minutes=15),
}
CHANGED_AT = NOW + dt.timedelta(minutes=7)  # when the platform records the 1,000 changes


def steady_poll(url: str, query: str, folder: str, store_url: str | None, mode: str) -> dict:
    """One poll of a store that already holds the platform, as the daemon runs it (the mail
    planner included): ``idle`` (nothing changed since the last poll), ``changed`` (incremental,
    after :func:`change_platform`), ``full`` (``poll --full``, a re-read of everything) or
    ``first`` (the read that fills the store). What it wrote: history events and SLA rows
    evaluated at its moment."""
    from sqlalchemy import func, select

    from slamon.adapters.sources.sql import SqlSource
    from slamon.adapters.store.db import open_store
    from slamon.adapters.store.models import ApplicationEvent, SlaStateRow
    from slamon.config import parse_settings
    from slamon.runtime import Runtime
    from slamon.service.poll import default_planner, run_poll_cycle

    rt = Runtime(parse_settings({"rules": {"dir": str(REPO / "rules")}}, None, Path(folder), {}))
    rt.calendar, rt.rules  # noqa: B018 — loaded outside the timed region, as the daemon does
    store = open_store(store_url or f"sqlite:///{Path(folder) / 'store.db'}")
    source = SqlSource(url, query, tz=TZ)
    now = STEADY_NOW.get(mode, NOW)
    events = select(func.count()).select_from(ApplicationEvent.__table__)
    with store.connect() as conn:
        events_before = conn.execute(events).scalar_one()
    planner = default_planner()
    started, cpu = time.perf_counter(), time.process_time()
    summary = run_poll_cycle(
        store, rt, source, now, planner=planner, full=mode in ("full", "first")
    )
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    sla = SlaStateRow.__table__
    with store.connect() as conn:
        events_written = conn.execute(events).scalar_one() - events_before
        sla_written = conn.execute(
            select(func.count()).select_from(sla).where(sla.c.evaluated_at == now)
        ).scalar_one()
    source.dispose()
    store.dispose()
    return {
        "seconds": elapsed,
        "cpu_seconds": cpu,
        "rows": summary.fetched,
        "inserted": summary.inserted,
        "updated": summary.updated,
        "unchanged": summary.unchanged,
        "evaluated": summary.evaluated,
        "events_written": events_written,
        "sla_written": sla_written,
    }


def change_platform(url: str, table: str, updated: int, new: int) -> None:
    """``updated`` applications answered (or their answer changed) and ``new`` ones submitted on
    the platform at :data:`CHANGED_AT`: what a poll interval brings."""
    from sqlalchemy import create_engine, select

    from slamon.demo.platform import mutate_demo_platform, platform_table

    changed = mutate_demo_platform(url, CHANGED_AT, updated, seed=11, table=table, tz=TZ)
    if len(changed) != updated:
        raise SystemExit(f"the platform could change {len(changed)} rows, not {updated}")
    stamp = CHANGED_AT.replace(tzinfo=None)
    t = platform_table(table)
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            models = conn.execute(select(t).order_by(t.c.apply_no).limit(new)).mappings().all()
            fresh = {"share_mode": "有条件共享", "apply_time": stamp, "modify_time": stamp}
            fresh |= dict.fromkeys(("audit_state", "audit_time", "receive_time"))
            fresh |= dict.fromkeys(("approve_result", "approve_time"))
            rows = [{**m, **fresh, "apply_no": f"NW{i:08d}"} for i, m in enumerate(models, start=1)]
            conn.execute(t.insert(), rows)
    finally:
        engine.dispose()


@contextmanager
def store_database(kind: str, server: str) -> Iterator[str | None]:
    """None for a SQLite file in the run's folder; else a new PostgreSQL database on ``server``,
    dropped afterwards."""
    if kind == "sqlite":
        yield None
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"slamon_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def child(
    kind: str, url: str, query: str, folder: str, store_url: str | None = None, mode: str = ""
) -> dict[str, float]:
    store = ["--store-url", store_url] if store_url else []
    store += ["--mode", mode] if mode else []
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            kind,
            "--platform-url",
            url,
            "--query",
            query,
            "--folder",
            folder,
            *store,
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _arguments() -> argparse.Namespace:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--platform-url", default=None)
    ap.add_argument("--child", choices=("fetch", "read", "poll", "steady"), default=None)
    ap.add_argument("--mode", choices=(*STEADY_NOW, "first"), default=None, help=argparse.SUPPRESS)
    ap.add_argument(
        "--incremental",
        action="store_true",
        help="steady state on a filled store: an idle poll, 1,000 changed rows, poll --full",
    )
    ap.add_argument("--query", default=None)
    ap.add_argument("--folder", default=None)
    ap.add_argument(
        "--store",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="the store the poll writes to: a SQLite file, or a new database on --store-server",
    )
    ap.add_argument("--store-server", default=DEFAULT_PG_STORE)
    ap.add_argument("--store-url", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--smoke", action="store_true", help="a tiny run: the benchmark still works")
    args = ap.parse_args()
    if args.smoke:
        args.rows = 2_000
    elif args.incremental and "--rows" not in sys.argv:
        args.rows = 1_000_000
    return args


def first_read(args: argparse.Namespace, url: str, query: str, tmp: str) -> None:
    """The first full poll into a fresh store against the plain fetch (and slamon's read)."""
    fetch = child("fetch", url, query, tmp)
    print(
        f"plain driver fetch: {fetch['seconds']:.2f} s (CPU {fetch['cpu_seconds']:.2f} s) for "
        f"{fetch['rows']:,} rows, peak RSS {fetch['peak_rss_mb']:.0f} MB"
    )
    read = child("read", url, query, tmp)
    print(
        f"slamon's read alone (nothing stored): {read['seconds']:.2f} s "
        f"(CPU {read['cpu_seconds']:.2f} s), peak RSS {read['peak_rss_mb']:.0f} MB"
    )
    with store_database(args.store, args.store_server) as store_url:
        poll = child("poll", url, query, tmp, store_url)
    # the poll's memory: its own process and its reader process together (both at peak)
    peak = poll["peak_rss_mb"] + poll["reader_peak_rss_mb"]
    print(
        f"first full poll into {STORE_NAMES[args.store]}: {poll['seconds']:.2f} s "
        f"(CPU {poll['cpu_seconds']:.2f} s, its reader process "
        f"{poll['reader_cpu_seconds']:.2f} s) — "
        f"fetched {poll['rows']:,}, inserted {poll['inserted']:,}, rejected "
        f"{poll['rejected']:,}, evaluated {poll['evaluated']:,} "
        f"({poll['rows'] / poll['seconds']:,.0f} rows/s), peak RSS "
        f"{poll['peak_rss_mb']:.0f} MB + reader {poll['reader_peak_rss_mb']:.0f} MB"
    )
    serial = poll["first_batch_s"] + poll["tail_s"]
    print(
        f"serial parts: first batch after {poll['first_batch_s']:.2f} s, index builds and "
        f"ANALYZE at the end {poll['tail_s']:.2f} s ({serial / poll['seconds']:.0%} of the poll)"
    )
    # The baseline again after the poll: a shared machine's speed drifts over the minutes a poll
    # takes, so the poll is measured against the mean of a fetch on either side of it.
    after = child("fetch", url, query, tmp)
    print(
        f"plain driver fetch after the poll: {after['seconds']:.2f} s "
        f"(CPU {after['cpu_seconds']:.2f} s); the ratios use the mean of both fetches"
    )
    fetch = {
        **fetch,
        "seconds": (fetch["seconds"] + after["seconds"]) / 2,
        "cpu_seconds": (fetch["cpu_seconds"] + after["cpu_seconds"]) / 2,
    }
    if poll["rows"] != fetch["rows"]:
        raise SystemExit(f"the poll read {poll['rows']} rows, the driver {fetch['rows']}")
    ratio = poll["seconds"] / fetch["seconds"]
    # CPU seconds move less with a busy or throttled machine than wall-clock ones (not the
    # database servers' CPU, on either side): the poll's two processes against the fetch
    cpu_ratio = (poll["cpu_seconds"] + poll["reader_cpu_seconds"]) / fetch["cpu_seconds"]
    print(
        f"goals: ratio ≤ 3 ({'met' if ratio <= 3 else 'NOT met'}), "
        f"peak RSS < 500 MB ({'met' if peak < 500 else 'NOT met'})"
    )
    print(
        f"full_poll_ratio_vs_fetch={ratio:.2f} peak_rss_mb={peak:.0f} "
        f"cpu_ratio_vs_fetch={cpu_ratio:.2f}"
    )


def _steady_line(what: str, poll: dict, goal: str, met: bool) -> None:
    print(
        f"{what}: {poll['seconds']:.2f} s (CPU {poll['cpu_seconds']:.2f} s) — fetched "
        f"{poll['rows']:,}, inserted {poll['inserted']:,}, updated {poll['updated']:,}, "
        f"unchanged {poll['unchanged']:,}; wrote {poll['events_written']:,} history events, "
        f"{poll['sla_written']:,} SLA states — goal {goal} ({'met' if met else 'NOT met'})"
    )


def steady_state(args: argparse.Namespace, url: str, query: str, table: str, tmp: str) -> None:
    """``--incremental``: a store holding the platform, then an idle poll, a poll of 1,000
    changed rows (900 answered or re-answered, 100 new) and the nightly ``poll --full`` of the
    unchanged platform, against the plain fetch measured in the same run."""
    updated, new = (900, 100) if args.rows >= 20_000 else (45, 5)
    with store_database(args.store, args.store_server) as store_url:
        first = child("steady", url, query, tmp, store_url, "first")
        print(
            f"store filled ({STORE_NAMES[args.store]}, {first['inserted']:,} applications) by "
            f"a first poll in {first['seconds']:.1f} s"
        )
        idle = child("steady", url, query, tmp, store_url, "idle")
        _steady_line("idle poll", idle, "< 0.5 s", idle["seconds"] < 0.5)
        change_platform(url, table, updated, new)
        changed = child("steady", url, query, tmp, store_url, "changed")
        _steady_line(
            f"poll of {updated + new:,} changed rows", changed, "< 2 s", changed["seconds"] < 2
        )
        fetch = child("fetch", url, query, tmp)
        print(f"plain driver fetch: {fetch['seconds']:.2f} s for {fetch['rows']:,} rows")
        full = child("steady", url, query, tmp, store_url, "full")
    ratio = full["seconds"] / fetch["seconds"]
    _steady_line("poll --full of the unchanged platform", full, "≤ 2× the fetch", ratio <= 2)
    if (changed["inserted"], changed["updated"]) != (new, updated) or full["updated"]:
        raise SystemExit(f"the polls saw other changes than made: {changed}, {full}")
    print(
        f"idle_poll_s={idle['seconds']:.3f} changed_poll_s={changed['seconds']:.3f} "
        f"full_repoll_ratio_vs_fetch={ratio:.2f}"
    )


def main() -> None:
    args = _arguments()
    if args.child == "fetch":
        print(json.dumps(plain_fetch(args.platform_url, args.query)))
        return
    if args.child == "read":
        print(json.dumps(slamon_read(args.platform_url, args.query)))
        return
    if args.child == "poll":
        print(json.dumps(full_poll(args.platform_url, args.query, args.folder, args.store_url)))
        return
    if args.child == "steady":
        folder, store_url = args.folder, args.store_url
        print(json.dumps(steady_poll(args.platform_url, args.query, folder, store_url, args.mode)))
        return

    from sqlalchemy import create_engine, text

    from slamon.demo.platform import build_platform_table

    url = args.platform_url or DEFAULT_URL
    table = f"t_bench_{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory() as tmp:
        if url.startswith("sqlite") and args.platform_url is None:
            url = f"sqlite:///{Path(tmp) / 'platform.db'}"
        t = time.perf_counter()
        query = build_platform_table(url, args.rows, seed=7, table=table)
        print(
            f"platform table {table}: {args.rows:,} rows built in {time.perf_counter() - t:.1f} s"
        )
        try:
            if args.incremental:
                steady_state(args, url, query, table, tmp)
            else:
                first_read(args, url, query, tmp)
        finally:
            if not url.startswith("sqlite"):
                engine = create_engine(url)
                with engine.begin() as conn:
                    conn.execute(text(f"DROP TABLE IF EXISTS {table}"))
                engine.dispose()


if __name__ == "__main__":
    main()
