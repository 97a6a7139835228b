"""Report benchmark: the monthly report and the weekly digest on a store of 1,000,000 applications.

Builds a SQLite store in a temporary folder with the store's own bulk paths
(``applications.insert_applications`` and ``save_sla``): applications spread evenly over about four years, so the
report month (January 2025) holds about 20,000; most answered within a few days, a few stuck
open for years, the last days' still open. Then times, as of the moments the daemon would use:

1. ``monthly_report`` for 2025-01 (indexed loading + figures) plus its text rendering, after
   the daemon's ``keep_closed`` kept the closed months its 环比 and repeats read (timed apart);
2. the weekly digest of 2025-W05 (loading + figures for that week and the one before) plus its
   HTML and plain-text rendering.

Usage: python benchmarks/bench_reports.py [--rows N] [--repeat K] [--smoke]. Goal: each under
2 s. ``--smoke``: 2,000 rows, once (the test suite runs it so, to keep the benchmark working).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, text

from slamon.adapters.render.digest import render_digest
from slamon.adapters.render.text import render_text
from slamon.adapters.store import applications
from slamon.adapters.store.bulk import StampMemo
from slamon.adapters.store.db import open_store
from slamon.config import parse_settings
from slamon.core.periods import IsoWeek
from slamon.core.records import ApplicationRecord
from slamon.core.sla import evaluate
from slamon.runtime import Runtime
from slamon.service.reports import digest, monthly_report
from slamon.service.trends import keep_closed

TZ = ZoneInfo("Asia/Shanghai")
REPO = Path(__file__).resolve().parent.parent
FIRST = dt.datetime(2020, 12, 3, tzinfo=TZ)
NOW = dt.datetime(2025, 2, 3, 10, 0, tzinfo=TZ)
MONTH = "2025-01"
WEEK = IsoWeek(2025, 5)
PROVIDERS = [f"省测试部门{i:02d}" for i in range(60)]
APPLICANTS = [f"申请部门{i:02d}" for i in range(80)]
RESOURCES = [f"资源{i:03d}" for i in range(300)]
CHUNK = 50_000
SLOT = dt.timedelta(minutes=10)


def build_store(url: str, rt: Runtime, rows: int, seed: int = 1) -> None:
    """Bulk-insert ``rows`` applications and their SLA state as of NOW."""
    rng = random.Random(seed)
    span_slots = int((NOW - FIRST) / SLOT)
    # Instants on a 10-minute grid, shared objects: bulk_insert converts each object once.
    slots = [FIRST + i * SLOT for i in range(span_slots + 3 * 24 * 6 * 60)]
    fingerprint = rt.fingerprint()
    rules, cal, tz = rt.rules, rt.calendar, rt.tz
    engine = open_store(url)
    memo = StampMemo()
    for start in range(0, rows, CHUNK):
        records, states = [], []
        for i in range(start, min(rows, start + CHUNK)):
            s = rng.randrange(span_slots)
            submitted = slots[s]
            recent = s > span_slots - 10 * 24 * 6
            if rng.random() < 0.37:
                rec = ApplicationRecord(
                    f"BM{i:08d}",
                    rng.choice(APPLICANTS),
                    rng.choice(PROVIDERS),
                    rng.choice(RESOURCES),
                    "unconditional",
                    submitted,
                    received_at=submitted,
                    decision="approved",
                    decided_at=slots[s + 1],
                )
            else:
                r = rng.random()
                review = "pending" if recent and r < 0.05 else "rejected" if r < 0.08 else "passed"
                reviewed = slots[s + rng.randrange(1, 6 * 24)] if review != "pending" else None
                decision, decided = "pending", None
                if (
                    review == "passed"
                    and not (recent and rng.random() < 0.5)
                    and rng.random() > 0.002
                ):
                    decided = slots[s + 6 * 24 + rng.randrange(0, 6 * 24 * 9)]
                    decision = "rejected" if rng.random() < 0.07 else "approved"
                    if decided > NOW:
                        decision, decided = "pending", None
                rec = ApplicationRecord(
                    f"BM{i:08d}",
                    rng.choice(APPLICANTS),
                    rng.choice(PROVIDERS),
                    rng.choice(RESOURCES),
                    "conditional",
                    submitted,
                    review,
                    reviewed,
                    reviewed,
                    decision,
                    decided,
                )
            records.append(rec)
            states.append(evaluate(rec, NOW, rules, cal, tz))
        with engine.begin() as conn:  # the store's own bulk paths, as a first read uses them
            hashes = {r.application_id: f"{int(r.application_id[2:]):024x}" for r in records}
            applications.insert_applications(conn, records, hashes, "bench", NOW, memo)
            applications.save_sla(conn, states, set(), fingerprint, NOW)
    engine.dispose()


def explain_queries(engine, run, label: str) -> None:  # noqa: ANN001
    """Run ``run`` once, recording its SELECTs; print SQLite's plan for each (index use)."""
    from sqlalchemy import event

    seen: list[tuple[str, object]] = []

    def record(_conn, _cursor, statement, parameters, _context, _many) -> None:  # noqa: ANN001
        if statement.lstrip().upper().startswith("SELECT") and "FROM application" in statement:
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    with engine.connect() as conn:
        for statement, params in seen:
            where = statement.split("WHERE", 1)[-1].split()
            plan = " | ".join(
                r[-1] for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params)
            )
            print(f"plan {label}: {plan}   [WHERE {' '.join(where)[:90]}]")


def timed(fn, repeat: int) -> tuple[float, float, object]:  # noqa: ANN001
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return times[0], min(times), result


def parse_args() -> argparse.Namespace:
    """``--rows``, ``--repeat`` and ``--smoke`` (2,000 rows, once): this benchmark's and
    bench_history's."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--smoke", action="store_true", help="a tiny run: the benchmark still works")
    args = ap.parse_args()
    if args.smoke:
        args.rows, args.repeat = 2_000, 1
    return args


def built_store(folder: Path, rows: int) -> tuple[Runtime, Engine]:
    """A SQLite store of ``rows`` applications in ``folder`` (timed and printed) and its runtime."""
    url = f"sqlite:///{folder / 'slamon.db'}"
    rt = Runtime(parse_settings({"rules": {"dir": str(REPO / "rules")}}, None, folder, {}))
    rt.calendar.deadline_table(5)  # built once per process, not part of a report
    t = time.perf_counter()
    build_store(url, rt, rows)
    print(f"store: {rows:,} applications built in {time.perf_counter() - t:.1f} s")
    return rt, open_store(url)


def main() -> None:
    args = parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rt, engine = built_store(Path(tmp), args.rows)
        with engine.connect() as conn:
            in_month = conn.execute(
                text(
                    "SELECT count(*) FROM application WHERE submitted_at >= '2024-12-31 16:00:00' "
                    "AND submitted_at < '2025-01-31 16:00:00'"
                )
            ).scalar_one()
        # what the daemon's periodic job does before a report is due: the closed months the
        # report's 环比 and repeat lookback read, tallied once and kept (service/trends)
        kept, _b, _ = timed(lambda: keep_closed(engine, rt, NOW), 1)
        print(f"keep_closed (13 closed months, 12 weeks; once, later calls reuse it): {kept:.3f} s")
        explain_queries(engine, lambda: monthly_report(engine, rt, MONTH), "monthly")
        explain_queries(engine, lambda: digest(engine, rt, WEEK, NOW), "digest")
        print(f"applications submitted in {MONTH}: {in_month:,}")

        def monthly() -> str:
            return render_text(monthly_report(engine, rt, MONTH))

        def weekly() -> object:
            return render_digest(digest(engine, rt, WEEK, NOW), rt.tz)

        first, best, report_text = timed(monthly, args.repeat)
        print(
            f"monthly report {MONTH} (load + figures + text): first {first:.3f} s, best {best:.3f} s"
        )
        first_d, best_d, _mail = timed(weekly, args.repeat)
        print(
            f"weekly digest {WEEK.key} (load + figures + HTML/text): first {first_d:.3f} s, best {best_d:.3f} s"
        )
        print(str(report_text).splitlines()[5][:120])
        engine.dispose()
        ok = first < 2 and first_d < 2
        print(f"goal (each under 2 s): {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
