"""The daemon's jobs, each one small unit of work over the service layer."""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from slamon.adapters.store import runs
from slamon.core.formats import table_moment
from slamon.runtime import Runtime
from slamon.service.poll import default_planner, run_poll_cycle

if TYPE_CHECKING:
    from sqlalchemy import Engine

log = logging.getLogger("slamon.jobs")


def source_health(
    engine: Engine, rt: Runtime, source_name: str, now: dt.datetime, ok: bool, fetched: int
) -> str | None:
    """Remember when the source started failing and when it last delivered rows; return a problem
    message when it has failed, or stayed silent in office hours, for longer than stale_minutes."""
    stale = dt.timedelta(minutes=rt.settings.source.stale_minutes)
    keys = {k: f"{k}:{source_name}"[:64] for k in ("last_ok", "last_data", "failing_since")}
    with engine.begin() as conn:
        if ok:
            runs.set_meta(conn, keys["last_ok"], now.isoformat())
            runs.set_meta(conn, keys["failing_since"], "")
            if fetched or not runs.get_meta(
                conn, keys["last_data"]
            ):  # silence counts from first sight
                runs.set_meta(conn, keys["last_data"], now.isoformat())
        elif not runs.get_meta(conn, keys["failing_since"]):
            runs.set_meta(conn, keys["failing_since"], now.isoformat())
        failing_since = runs.get_meta(conn, keys["failing_since"])
        last_data = runs.get_meta(conn, keys["last_data"])
    minutes = rt.settings.source.stale_minutes
    if not ok:
        since = dt.datetime.fromisoformat(failing_since)  # type: ignore[arg-type]
        if now - since > stale:
            return f"数据源 {source_name} 自 {table_moment(since, rt.tz)} 起无法读取，已超过 {minutes} 分钟"
        return None
    if last_data and now - dt.datetime.fromisoformat(last_data) > stale and rt.window.contains(now):
        return f"数据源 {source_name} 已超过 {minutes} 分钟没有新的或变更的申请记录"
    return None


def _notify_stale(engine: Engine, rt: Runtime, now: dt.datetime, message: str, source: str) -> None:
    from slamon.service.notices import notify_stale_source

    log.warning("source.stale source=%s message=%s", source, message)
    notify_stale_source(engine, rt, now, message, source=source)


def poll_job(engine: Engine, rt: Runtime, now: dt.datetime, worker: str) -> Any:
    from slamon.adapters.sources.base import ImportedOnly
    from slamon.adapters.sources.factory import make_source

    source = make_source(rt.settings)
    if source is None:  # kind none: evaluate, plan and deliver on what `slamon import` loaded
        summary = run_poll_cycle(engine, rt, ImportedOnly(), now, planner=default_planner())
        deliver_job(engine, rt, now, worker)
        return summary
    full = _full_sync_due(engine, rt, now)
    if full:
        log.info("poll.full_sync source=%s", source.name)
    try:
        summary = run_poll_cycle(engine, rt, source, now, planner=default_planner(), full=full)
    except Exception as exc:
        log.error("poll.error source=%s error=%s", source.name, exc)
        problem = source_health(engine, rt, source.name, now, ok=False, fetched=0)
        if problem:
            _notify_stale(engine, rt, now, problem, source.name)
        return None
    problem = source_health(
        engine, rt, source.name, now, ok=True, fetched=summary.inserted + summary.updated
    )
    if problem:
        _notify_stale(engine, rt, now, problem, source.name)
    deliver_job(engine, rt, now, worker)
    return summary


def _full_sync_due(engine: Engine, rt: Runtime, now: dt.datetime) -> bool:
    from slamon.service.reconcile import full_sync_due

    if rt.settings.source.kind != "sql":
        return False
    with engine.connect() as conn:
        return full_sync_due(conn, rt.settings.source.full_sync, now, rt.tz)


def deliver_job(
    engine: Engine,
    rt: Runtime,
    now: dt.datetime,
    worker: str,
    *,
    real_now: dt.datetime | None = None,
) -> Any:
    """One delivery pass as of ``now``; ``real_now`` is the real clock when ``now`` is a replayed
    instant (the window, the send times and the health record follow the real clock)."""
    from slamon.service.health import record_delivery_pass
    from slamon.service.notices import deliver_due

    result = deliver_due(engine, rt, now, worker, real_now=real_now)
    record_delivery_pass(engine, real_now or now)
    return result


def periodic_job(engine: Engine, rt: Runtime, now: dt.datetime) -> Any:
    """The closed months' and weeks' figures kept (service/trends.keep_closed); the 核实 round on
    ``report.draft_day``; monthly report files on the first working day of a month (after the
    round's feedback deadline); the weekly digest when due."""
    from slamon.service.feedback_round import queue_round_if_due
    from slamon.service.reports import queue_weekly_digest_if_due, write_monthly_reports_if_due
    from slamon.service.trends import keep_closed

    keep_closed(engine, rt, now)
    queue_round_if_due(engine, rt, now)
    written = write_monthly_reports_if_due(engine, rt, now)
    queued = queue_weekly_digest_if_due(engine, rt, now)
    return written, queued
