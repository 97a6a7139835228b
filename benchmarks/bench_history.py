"""History benchmark: 12 months of per-department figures (and 12 weeks of backlog) on a store
of 1,000,000 applications.

Builds the store of ``bench_reports`` (applications spread evenly over about four years, about
20,000 a month), then times ``service.trends.history`` for the 12 months up to 2025-01:

1. cold: nothing kept yet (one query over the window + one pure pass; where the time goes:
   loading, tallying);
2. kept: the same again, the closed months read from what the first call kept
   (adapters/store/trend_cache);
3. the dashboard's call (12 months up to the month running at NOW, 12 weeks of backlog);
4. after a poll that changed 1,000 applications submitted in January 2025 (answered them):
   January is tallied again, the months before it are still served as kept;
5. the daemon's ``keep_closed`` (the 13 months and 12 weeks before NOW's), then one month's
   report (its 环比 and repeat lookback read the kept months).

Usage: python benchmarks/bench_history.py [--rows N] [--repeat K] [--smoke]. Goal: 12 months for
all departments under 2 s, kept and after the changes. ``--smoke``: 2,000 rows, once.
"""

from __future__ import annotations

import dataclasses
import tempfile
import time
from pathlib import Path

from bench_reports import NOW, built_store, parse_args, timed
from sqlalchemy import delete, select

from slamon.adapters.sources.base import FetchResult, RawRow
from slamon.adapters.store.applications import APP, load_records
from slamon.adapters.store.models import Meta
from slamon.adapters.store.trend_queries import window_records
from slamon.core.periods import Month, ending
from slamon.core.trends import monthly_history
from slamon.service.poll import apply_fetch
from slamon.service.reports import monthly_report
from slamon.service.trends import history, keep_closed

LAST = Month(2025, 1)
CHANGED = 1_000


def forget_kept(engine) -> None:  # noqa: ANN001
    with engine.begin() as conn:
        conn.execute(delete(Meta.__table__).where(Meta.__table__.c.key.like("trend:%")))


def answer_some(engine, rt, count: int) -> int:  # noqa: ANN001
    """Answer up to ``count`` of January's open applications through a real poll."""
    app = APP
    with engine.connect() as conn:
        ids = conn.execute(
            select(app.c.application_id)
            .where(
                app.c.decided_at.is_(None),
                app.c.review_status == "passed",
                app.c.submitted_at >= LAST.start(rt.tz),
                app.c.submitted_at <= LAST.end(rt.tz),
            )
            .limit(count)
        ).scalars()
        records = load_records(conn, list(ids))
    rows = [
        RawRow(
            r.application_id,
            dataclasses.replace(r, decision="approved", decided_at=NOW).as_dict(),
        )
        for r in records.values()
    ]
    apply_fetch(engine, rt, "bench", FetchResult(rows=rows), NOW)
    return len(rows)


def main() -> None:
    args = parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rt, engine = built_store(Path(tmp), args.rows)
        months = ending(LAST, 12)
        t = time.perf_counter()
        records = window_records(engine, months[0], LAST, NOW, rt.tz, rt.rules.bound_share_types())
        load = time.perf_counter() - t
        t = time.perf_counter()
        trend = monthly_history(records, months, NOW, rt.rules, rt.calendar, rt.tz)
        tally = time.perf_counter() - t
        print(f"window {months[0].key}–{LAST.key}: {len(records):,} records loaded in {load:.3f} s")
        print(f"one pure pass over them (12 months): {tally:.3f} s")

        def months12():  # noqa: ANN202
            return history(engine, rt, NOW, 12, last=LAST)

        cold, _best, h = timed(months12, 1)
        print(f"history, 12 months, all departments, nothing kept: {cold:.3f} s")
        assert [m.province for m in h.months] == [m.province for m in trend]  # type: ignore[attr-defined]
        first_k, best_k, kept = timed(months12, args.repeat)
        assert kept == h
        print(f"history, 12 months, closed months kept: first {first_k:.3f} s, best {best_k:.3f} s")
        dash = timed(lambda: history(engine, rt, NOW, 12, weeks=12), 1 + args.repeat)
        print(f"the dashboard's (11 kept + the month running, 12 weeks): best {dash[1]:.3f} s")
        changed = answer_some(engine, rt, CHANGED)
        after, _b, h2 = timed(months12, 1)
        forget_kept(engine)
        assert h2 == months12(), "the kept history after the changes equals a cold one"
        print(f"history after a poll that answered {changed:,} January applications: {after:.3f} s")
        kept_k, _b, _ = timed(lambda: keep_closed(engine, rt, NOW), 1)
        print(
            f"the daemon's keep_closed (13 months, 12 weeks; 2024-01 not kept yet): {kept_k:.3f} s"
        )
        first_m, _best_m, _ = timed(lambda: monthly_report(engine, rt, LAST), 1)
        print(
            f"one monthly report {LAST.key} (its 环比 and repeats from kept months): {first_m:.3f} s"
        )
        p = trend[-1].province
        print(f"{LAST.key}: {p.received:,} received, {p.answered:,} answered, {p.late:,} late")
        engine.dispose()
        ok = first_k < 2 and after < 2
        print(f"goal (12 months under 2 s, kept and after changes): {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
