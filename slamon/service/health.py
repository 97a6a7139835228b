"""The health signal for operators' monitoring: ``slamon health`` and the Prometheus metrics.

Read from the store only, so any process (a second daemon, a cron check, the metrics endpoint)
sees the same truth: who holds the lease, when the last poll and delivery pass happened, the
outbox by state, applications by stage.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from slamon.adapters.store import health_queries as q
from slamon.adapters.store import outbox, runs
from slamon.core.refusals import REFUSAL_WINDOW, refusals_phrase
from slamon.core.vocabulary import (
    OPEN_STAGES,
    OVERDUE,
    RUN_FAILED,
    RUN_OK,
)
from slamon.runtime import Runtime
from slamon.service.outbox_admin import refused_recipients

if TYPE_CHECKING:
    from sqlalchemy import Engine


def _run_json(run: dict[str, Any] | None) -> dict[str, Any] | None:
    if run is None:
        return None
    keys = ("source", "status", "started_at", "finished_at", "fetched", "inserted", "updated")
    out = {k: run.get(k) for k in keys}
    out["rejected"] = run.get("rejected")
    out["error"] = run.get("error")
    return out


def record_delivery_pass(engine: Engine, now: dt.datetime) -> None:
    """Remember when the outbox was last worked through (by the daemon or a command)."""
    with engine.begin() as conn:
        runs.set_meta(conn, q.LAST_DELIVERY_KEY, now.isoformat())


def daemon_health(engine: Engine, rt: Runtime, now: dt.datetime) -> dict[str, Any]:
    """``{"daemon": {...}, "outbox": {status: n}, "refused_recipients": [{"address",
    "department", "last_refused_at", "count", "reason"}], "ok": bool, "problems": [Chinese]}``.

    The daemon is healthy when a daemon holds the lease and the last successful poll is younger
    than ``source.stale_minutes`` (or the source is ``none``)."""
    with engine.connect() as conn:
        lease = q.lease_state(conn)
        last_ok, last_failed = runs.last_run(conn, RUN_OK), runs.last_run(conn, RUN_FAILED)
        delivery = runs.get_meta(conn, q.LAST_DELIVERY_KEY)
        sent = q.last_sent_at(conn)
        counts = outbox.counts(conn)
    alive = lease is not None and lease["expires_at"] > now
    last_poll = max(
        (r for r in (last_ok, last_failed) if r is not None),
        key=lambda r: r["id"],
        default=None,
    )
    problems = []
    if not alive:
        problems.append("没有守护进程持有租约（slamon run 未运行或已停止）")
    if rt.settings.source.kind != "none":
        stale = dt.timedelta(minutes=rt.settings.source.stale_minutes)
        if last_ok is None:
            problems.append("还没有成功读取过数据源")
        elif now - last_ok["finished_at"] > stale:
            problems.append(f"上次成功读取数据源已超过 {rt.settings.source.stale_minutes} 分钟")
    if counts.get("failed"):
        problems.append(f"有 {counts['failed']} 封邮件发送失败（slamon outbox 查看）")
    refused = refused_recipients(engine, rt, now)
    if refused:
        days = REFUSAL_WINDOW.days
        problems.append(f"最近 {days} 天有 {refusals_phrase(refused)}（slamon outbox 查看）")
    return {
        "ok": not problems,
        "problems": problems,
        "daemon": {
            "lease_holder": lease["holder"] if alive and lease else None,
            "lease_expires_at": lease["expires_at"] if lease else None,
            "last_poll": _run_json(last_poll),
            "last_successful_poll_at": last_ok["finished_at"] if last_ok else None,
            "last_delivery_at": dt.datetime.fromisoformat(delivery) if delivery else None,
            "last_sent_at": sent,
        },
        "outbox": counts,
        "refused_recipients": [r.as_json() for r in refused],
    }


@dataclass(frozen=True)
class MetricFigures:
    """What the Prometheus endpoint exposes, read from the store at scrape time."""

    polls: dict[str, int]
    rows_fetched: int
    rows_inserted: int
    rows_updated: int
    rows_rejected: int
    rejected_rows_listed: int
    stages: dict[str, int]
    open_applications: int
    overdue_applications: int
    data_issues: int
    outbox: dict[str, int]
    last_successful_poll: dt.datetime | None
    last_delivery: dt.datetime | None
    last_sent: dt.datetime | None


def metric_figures(engine: Engine) -> MetricFigures:
    with engine.connect() as conn:
        totals = q.poll_totals(conn)
        stages = q.stage_counts(conn)
        last_ok = runs.last_run(conn, RUN_OK)
        delivery = runs.get_meta(conn, q.LAST_DELIVERY_KEY)
        return MetricFigures(
            polls=totals["runs"],
            rows_fetched=totals["fetched"],
            rows_inserted=totals["inserted"],
            rows_updated=totals["updated"],
            rows_rejected=totals["rejected"],
            rejected_rows_listed=q.rejected_row_count(conn),
            stages=stages,
            open_applications=sum(n for s, n in stages.items() if s in OPEN_STAGES),
            overdue_applications=stages.get(OVERDUE, 0),
            data_issues=q.open_data_issue_count(conn),
            outbox=outbox.counts(conn),
            last_successful_poll=last_ok["finished_at"] if last_ok else None,
            last_delivery=dt.datetime.fromisoformat(delivery) if delivery else None,
            last_sent=q.last_sent_at(conn),
        )
