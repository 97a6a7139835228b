"""``slamon run``: the daemon. APScheduler 3.11 drives small jobs; a lease row in the store decides
which of several daemons sharing one store runs them.

Jobs (each one unit of work, each its own transaction):
- poll every ``source.poll_minutes`` (and once at start), then deliver what it planned;
- deliver the outbox every minute;
- the monthly report files and the weekly digest, checked every five minutes;
- lease renewal every third of ``daemon.lease_seconds``;
- with ``web.listen`` set, the web dashboard in a uvicorn thread;
- with ``metrics.listen`` set, Prometheus metrics (``/metrics``) in an HTTP thread.
SIGTERM/SIGINT stop the scheduler; the job in flight finishes (or rolls back) before exit.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slamon.adapters.store.lease import release_lease, try_lease
from slamon.outages import OutageLog
from slamon.runtime import Runtime

if TYPE_CHECKING:
    from sqlalchemy import Engine

log = logging.getLogger("slamon.daemon")


class Daemon:
    """Owns the scheduler and the lease. ``clock`` is injectable for tests."""

    def __init__(
        self,
        rt: Runtime,
        engine: Engine,
        *,
        clock: Callable[[], dt.datetime] | None = None,
        holder: str | None = None,
    ) -> None:
        self.rt, self.engine = rt, engine
        self.clock = clock or (lambda: dt.datetime.now(rt.tz))
        if holder is None:
            from slamon.service.delivery import worker_id

            holder = worker_id("daemon")
        self.holder = holder
        self.stop_event = threading.Event()
        self.leader = False
        self.scheduler: Any = None
        self.web: Any = None  # the dashboard's uvicorn thread when web.listen is set
        self.metrics: Any = None  # the Prometheus endpoint when metrics.listen is set
        self.outages = OutageLog(log)

    # -- jobs ---------------------------------------------------------------------------------
    def renew(self) -> bool:
        was = self.leader
        try:
            self.leader = try_lease(
                self.engine, self.holder, self.clock(), self.rt.settings.lease_seconds
            )
        except Exception as exc:
            self.outages.failed("lease", exc, self.clock())
            self.leader = False
        else:
            self.outages.ok("lease", self.clock())
        if self.leader != was:
            log.info("lease.%s holder=%s", "acquired" if self.leader else "lost", self.holder)
        return self.leader

    def _as_leader(self, name: str, fn: Callable[[dt.datetime], Any]) -> Any:
        if not self.renew():
            return None
        now = self.clock()
        try:
            result = fn(now)
        except Exception as exc:
            self.outages.failed(name, exc, self.clock())
            return None
        self.outages.ok(name, self.clock())
        return result

    def poll(self) -> Any:
        from slamon.service.jobs import poll_job

        def cycle(now: dt.datetime) -> Any:
            # A calendar file imported or edited since the last cycle: this cycle (and the web
            # dashboard, which shares the runtime) uses it, and the poll reports what moved.
            self.rt.reload_calendar()
            return poll_job(self.engine, self.rt, now, self.holder)

        return self._as_leader("poll", cycle)

    def deliver(self) -> Any:
        from slamon.service.jobs import deliver_job

        return self._as_leader(
            "deliver", lambda now: deliver_job(self.engine, self.rt, now, self.holder)
        )

    def periodic(self) -> Any:
        from slamon.service.jobs import periodic_job

        return self._as_leader("periodic", lambda now: periodic_job(self.engine, self.rt, now))

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> None:
        from apscheduler.schedulers.background import BackgroundScheduler

        s = self.rt.settings
        sched = BackgroundScheduler(
            timezone=s.timezone,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
        )
        start = dt.datetime.now(self.rt.tz)
        renew_every = max(1, s.lease_seconds // 3)
        sched.add_job(self.renew, "interval", seconds=renew_every, id="lease", next_run_time=start)
        sched.add_job(
            self.poll, "interval", minutes=s.source.poll_minutes, id="poll", next_run_time=start
        )
        sched.add_job(
            self.deliver,
            "interval",
            minutes=1,
            id="deliver",
            next_run_time=start + dt.timedelta(seconds=30),
        )
        sched.add_job(
            self.periodic,
            "interval",
            minutes=5,
            id="periodic",
            next_run_time=start + dt.timedelta(seconds=45),
        )
        sched.start()
        self.scheduler = sched
        if s.web.listen:
            from slamon.web.server import WebThread

            self.web = WebThread(self.rt, self.engine)
            self.web.start()
        if s.metrics.host_port:
            self.start_metrics(*s.metrics.host_port)
        log.info("daemon.started holder=%s poll_minutes=%d", self.holder, s.source.poll_minutes)

    def start_metrics(self, host: str, port: int) -> Any:
        """Serve Prometheus metrics (read from the store at each scrape) on ``host:port``."""
        from slamon.adapters.metrics import MetricsServer
        from slamon.service.health import metric_figures

        self.metrics = MetricsServer(
            host, port, lambda: metric_figures(self.engine), lambda: self.leader
        ).start()
        log.info("metrics.listening address=%s:%d", host, self.metrics.port)
        return self.metrics

    def stop(self) -> None:
        """Stop the dashboard and the scheduling, wait for the job in flight, give the lease up."""
        if self.web is not None:
            self.web.stop()
            self.web = None
        if self.metrics is not None:
            self.metrics.stop()
            self.metrics = None
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=True)
            self.scheduler = None
        if self.leader:
            try:
                release_lease(self.engine, self.holder, self.clock())
            except Exception:
                log.exception("lease.release_failed holder=%s", self.holder)
            self.leader = False
        log.info("daemon.stopped holder=%s", self.holder)

    def run_forever(self) -> None:
        def _handle(signum: int, _frame: Any) -> None:
            log.info("daemon.signal signal=%s", signal.Signals(signum).name)
            self.stop_event.set()

        signal.signal(signal.SIGTERM, _handle)
        signal.signal(signal.SIGINT, _handle)
        self.start()
        try:
            while not self.stop_event.wait(1.0):
                pass
        finally:
            self.stop()
