"""Deadline throughput: slamon's batch API against ``holidays``' own ``get_nth_working_day``.

Run: ``.venv/bin/python benchmarks/bench_deadlines.py``. 200,000 random receipt instants
(Asia/Shanghai, fixed seed) between 2019-01-01 and 2026-12-20, 5 working days each. Both sides
start from the same aware datetimes and take the local date inside the timed region. Each is
timed 3 times and the best run counts. Exits 1 if the two disagree on any record.

``holidays``' ``get_nth_working_day(key, n)`` for n > 0 steps to the day after ``key`` n times,
skipping non-working days, i.e. the n-th working day strictly after ``key`` — the same
convention as slamon (receipt day excluded); the run checks this on every record.

The last line is ``ratio_vs_holidays=<slamon records/s ÷ holidays records/s>``.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import time
from zoneinfo import ZoneInfo

import holidays

from slamon.core.calendar import build_calendar
from slamon.core.deadline import deadline_dates

RECORDS = 200_000
WORKING_DAYS = 5
REPEATS = 3
SEED = 20241001
TZ = ZoneInfo("Asia/Shanghai")


def receipts(count: int, seed: int) -> list[dt.datetime]:
    rng = random.Random(seed)
    lo = dt.datetime(2019, 1, 1, tzinfo=TZ).timestamp()
    hi = dt.datetime(2026, 12, 20, tzinfo=TZ).timestamp()
    return [dt.datetime.fromtimestamp(rng.uniform(lo, hi), TZ) for _ in range(count)]


def best_of(repeats: int, run) -> tuple[float, list[dt.date]]:
    best, result = float("inf"), []
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> int:
    smoke = "--smoke" in sys.argv[1:]  # a tiny run: the benchmark still works
    n, repeats = (2_000, 1) if smoke else (RECORDS, REPEATS)
    records = receipts(n, SEED)

    start = time.perf_counter()
    calendar = build_calendar()
    built = time.perf_counter()
    calendar.deadline_table(WORKING_DAYS)
    tabled = time.perf_counter()
    china = holidays.China(years=range(2019, 2028))
    china_built = time.perf_counter()
    print(f"records={n} working_days={WORKING_DAYS} best_of={repeats}")
    print(f"slamon build_calendar: {built - start:.3f} s")
    print(f"slamon deadline_table({WORKING_DAYS}): {tabled - built:.3f} s")
    print(f"holidays.China(2019–2027) build: {china_built - tabled:.3f} s")

    ours_s, ours = best_of(repeats, lambda: deadline_dates(records, WORKING_DAYS, calendar, TZ))

    def with_holidays() -> list[dt.date]:
        nth = china.get_nth_working_day
        return [nth(r.astimezone(TZ).date(), WORKING_DAYS) for r in records]

    theirs_s, theirs = best_of(repeats, with_holidays)

    mismatches = [(r, a, b) for r, a, b in zip(records, ours, theirs, strict=True) if a != b]
    if len(ours) != n or mismatches:
        print(f"MISMATCH: {len(mismatches)} records differ, e.g. {mismatches[:5]}")
        return 1
    print(f"agreement: all {n} deadline dates identical")

    ours_rate, theirs_rate = n / ours_s, n / theirs_s
    print(f"slamon deadline_dates: {ours_s:.4f} s, {ours_rate:,.0f} records/s")
    print(f"holidays get_nth_working_day: {theirs_s:.4f} s, {theirs_rate:,.0f} records/s")
    print(f"ratio_vs_holidays={ours_rate / theirs_rate:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
