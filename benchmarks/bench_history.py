"""History benchmark: 12 months of per-department figures (and 12 weeks of backlog) on a store
of 1,000,000 applications.

Builds the store of ``bench_reports`` (applications spread evenly over about four years, about
20,000 a month), then times ``service.trends.history`` for the 12 months up to 2025-01 (one
query over the window + one pure pass), the same with the 12-week backlog the dashboard draws,
and, for comparison, one month's report. Prints where the time goes (loading, tallying).

Usage: python benchmarks/bench_history.py [--rows N] [--repeat K] [--smoke]. Goal: 12 months for
all departments under 2 s. ``--smoke``: 2,000 rows, once.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bench_reports import NOW, built_store, parse_args, timed

from slamon.adapters.store.trend_queries import window_records
from slamon.core.periods import Month
from slamon.core.trends import monthly_history
from slamon.service.reports import monthly_report
from slamon.service.trends import history, months_ending

LAST = Month(2025, 1)


def main() -> None:
    args = parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rt, engine = built_store(Path(tmp), args.rows)
        months = months_ending(LAST, 12)
        t = time.perf_counter()
        records = window_records(engine, months[0], LAST, NOW, rt.tz, rt.rules.bound_share_types())
        load = time.perf_counter() - t
        t = time.perf_counter()
        trend = monthly_history(records, months, NOW, rt.rules, rt.calendar, rt.tz)
        tally = time.perf_counter() - t
        print(f"window {months[0].key}–{LAST.key}: {len(records):,} records loaded in {load:.3f} s")
        print(f"one pure pass over them (12 months): {tally:.3f} s")
        first, best, h = timed(lambda: history(engine, rt, NOW, 12, last=LAST), args.repeat)
        print(f"history, 12 months, all departments: first {first:.3f} s, best {best:.3f} s")
        first_w, best_w, _ = timed(lambda: history(engine, rt, NOW, 12, weeks=12), args.repeat)
        print(
            f"history + 12-week backlog (the dashboard): first {first_w:.3f} s, best {best_w:.3f} s"
        )
        first_m, _best_m, _ = timed(lambda: monthly_report(engine, rt, LAST), 1)
        print(f"one monthly report {LAST.key} (with its 环比 and repeats): {first_m:.3f} s")
        p = trend[-1].province
        print(f"{LAST.key}: {p.received:,} received, {p.answered:,} answered, {p.late:,} late")
        assert [m.province for m in h.months] == [m.province for m in trend]  # type: ignore[attr-defined]
        engine.dispose()
        print(f"goal (12 months under 2 s): {'met' if first < 2 else 'NOT met'}")


if __name__ == "__main__":
    main()
