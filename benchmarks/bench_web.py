"""Web benchmark: the 总览 page on a store of 100,000 applications.

Builds the store with bench_reports' generator (applications over about four years, most answered
within days, a few stuck open, the last days' still open; SLA state as of NOW), adds a viewer to a
users file, then times through Starlette's test client (login cookie, routing, access log,
security headers, template):

1. the overview service alone (open applications evaluated at NOW + the month's answers grouped
   in SQL + source health);
2. GET / as a logged-in viewer (service + Jinja2 rendering + middleware);
3. GET /department?name=… for the busiest department.

Usage: python benchmarks/bench_web.py [--rows N] [--repeat K] [--smoke]. Goal: the overview under 300 ms.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from bench_reports import NOW, REPO, build_store

from slamon.config import parse_settings
from slamon.runtime import Runtime
from slamon.service.overview import overview
from slamon.web.app import create_app
from slamon.web.users import add_user


def timed(fn, repeat: int) -> tuple[float, float, object]:  # noqa: ANN001
    result, times = None, []
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times), result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--smoke", action="store_true", help="a tiny run: the benchmark still works")
    args = ap.parse_args()
    if args.smoke:
        args.rows, args.repeat = 2_000, 1
    from starlette.testclient import TestClient

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = f"sqlite:///{folder / 'bench.db'}"
        rt = Runtime(
            parse_settings(
                {"store": {"url": url}, "rules": {"dir": str(REPO / "rules")}}, None, folder, {}
            )
        )
        t0 = time.perf_counter()
        build_store(url, rt, args.rows)
        print(f"store: {args.rows:,} applications built in {time.perf_counter() - t0:.1f} s")
        add_user(rt.settings.web.users_file, "bench", "viewer", "bench-password")
        engine = rt.engine

        best, median, o = timed(lambda: overview(engine, rt, NOW), args.repeat)
        t = o.totals
        print(
            f"overview service: best {best * 1000:.0f} ms, median {median * 1000:.0f} ms "
            f"({len(o.rows)} departments, {t.open:,} open, {t.overdue:,} overdue, "
            f"{t.answered:,} answered this month)"
        )
        with TestClient(create_app(rt, engine, clock=lambda: NOW)) as client:
            r = client.post("/login", data={"username": "bench", "password": "bench-password"})
            assert r.status_code == 200, r.text[:200]

            def page(path: str) -> int:
                resp = client.get(path)
                assert resp.status_code == 200, resp.text[:300]
                return len(resp.content)

            best, median, size = timed(lambda: page("/"), args.repeat)
            verdict = "OK" if median < 0.300 else "SLOWER THAN GOAL"
            print(
                f"GET / (总览): best {best * 1000:.0f} ms, median {median * 1000:.0f} ms, "
                f"{size:,} bytes — goal 300 ms: {verdict}"
            )
            busiest = max(o.rows, key=lambda r: r.open).department
            best, median, size = timed(lambda: page(f"/department?name={busiest}"), args.repeat)
            print(
                f"GET /department ({busiest}): best {best * 1000:.0f} ms, "
                f"median {median * 1000:.0f} ms, {size:,} bytes"
            )
        engine.dispose()


if __name__ == "__main__":
    main()
