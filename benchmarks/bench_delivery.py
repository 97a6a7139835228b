"""Mail throughput and planning time.

Run: ``.venv/bin/python benchmarks/bench_delivery.py [--messages N] [--applications N]``.

1. Delivery: N (default 2,000) notices are queued in a fresh SQLite store with ``queue_message``,
   then ``deliver_due`` sends them through yagmail to a local aiosmtpd server on 127.0.0.1 (one
   reused connection; claim, send and outcome each in their own transaction, as in production).
   Prints messages/second and checks that the server received every message exactly once.
2. Planning: the pure ``plan()`` over M (default 100,000) open applications spread over 60
   departments, deadlines from two months before to one week after the sending day, once with an
   empty history and once with a history that has already covered half of them. Best of 3.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

TZ = ZoneInfo("Asia/Shanghai")
ROOT = Path(__file__).resolve().parent.parent


def bench_delivery(count: int) -> float:
    from smtpserver import SmtpServer

    from slamon.adapters.store.db import open_store
    from slamon.config import parse_settings
    from slamon.runtime import Runtime
    from slamon.service.delivery import deliver_due
    from slamon.service.notices import queue_message

    server = SmtpServer().start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            settings = parse_settings(
                {
                    "rules": {"dir": str(ROOT / "rules")},
                    "smtp": server.smtp_config(),
                    "supervisors": ["boss@dsj.example.gov.cn"],
                },
                None,
                Path(tmp),
                {},
            )
            rt = Runtime(settings)
            engine = open_store(f"sqlite:///{tmp}/bench.db")
            now = dt.datetime(2024, 10, 8, 9, 0, tzinfo=TZ)
            html = (
                "<table>"
                + "".join(
                    f"<tr><td>SQ2024{i:06d}</td><td>工程类_招标项目</td><td>省税务局</td></tr>"
                    for i in range(10)
                )
                + "</table>"
            )
            text = "\n".join(
                f"{i}. 申请编号 SQ2024{i:06d}｜资源 工程类_招标项目｜申请部门 省税务局"
                for i in range(10)
            )
            t0 = time.perf_counter()
            with engine.begin() as conn:
                for i in range(count):
                    queue_message(
                        conn,
                        rt,
                        now,
                        key=f"部门{i:05d}|notice|2024-10-08",
                        kind="notice",
                        recipients=[f"contact{i}@dept.example.gov.cn"],
                        subject=f"【已超期】部门{i:05d}：10 项数据共享申请超过答复期限",
                        text=text,
                        html=html,
                        department=f"部门{i:05d}",
                    )
            queued = time.perf_counter() - t0
            t0 = time.perf_counter()
            report = deliver_due(engine, rt, now, "bench", limit=count)
            elapsed = time.perf_counter() - t0
            engine.dispose()
    finally:
        server.stop()
    ids = [m.message_id for m in server.messages]
    ok = report.sent == count and len(ids) == count and len(set(ids)) == count
    print(
        f"delivery: queued {count} in {queued:.2f} s; sent {report.sent} in {elapsed:.2f} s "
        f"→ {report.sent / elapsed:,.0f} messages/s (server received {len(ids)}, distinct Message-IDs {len(set(ids))})"
    )
    if not ok:
        print(
            f"delivery: MISMATCH sent={report.sent} failed={report.failed} stopped={report.stopped}",
            file=sys.stderr,
        )
        sys.exit(1)
    return report.sent / elapsed


def bench_planning(count: int) -> float:
    from slamon.core.calendar import build_calendar
    from slamon.core.notice_policy import History, OpenItem, Policy, plan

    cal = build_calendar()
    day = dt.date(2024, 10, 10)
    rng = random.Random(20241010)
    working = [
        d for d in (day + dt.timedelta(days=k) for k in range(-60, 8)) if cal.is_working_day(d)
    ]
    items = []
    for i in range(count):
        d = rng.choice(working)
        items.append(
            OpenItem(
                f"SQ{i:07d}",
                f"部门{i % 60:02d}",
                "工程类_招标项目",
                "省税务局",
                None,
                dt.datetime.combine(d, dt.time(23, 59, 59), tzinfo=TZ),
                d,
            )
        )
    half = History()
    for it in items[::2]:
        half.add("notice", cal.previous_working_day(day), [(it.application_id, "overdue")])
        half.add(
            "notice", it.deadline_date - dt.timedelta(days=1), [(it.application_id, "due_soon")]
        )
    results = {}
    for name, history in (("empty history", None), ("half covered", half)):
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            notices = plan(items, day, cal, Policy(), history)
            best = min(best, time.perf_counter() - t0)
        planned = sum(len(n.items) for n in notices)
        results[name] = best
        print(
            f"planning: {count:,} open applications ({name}) in {best * 1000:.0f} ms "
            f"→ {len(notices)} notices, {planned:,} items ({count / best:,.0f} applications/s)"
        )
    return results["empty history"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--applications", type=int, default=100_000)
    parser.add_argument(
        "--smoke", action="store_true", help="a tiny run: the benchmark still works"
    )
    args = parser.parse_args()
    if args.smoke:
        args.messages, args.applications = 20, 2_000
    rate = bench_delivery(args.messages)
    plan_s = bench_planning(args.applications)
    print(f"messages_per_second={rate:.0f} planning_seconds_{args.applications}={plan_s:.3f}")


if __name__ == "__main__":
    main()
