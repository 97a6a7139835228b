"""Prometheus metrics over HTTP (prometheus-client), served by the daemon when ``metrics.listen``
is set. Every figure is read from the store at scrape time (:func:`slamon.service.health.
metric_figures`), so counters survive restarts and two daemons sharing a store agree."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from slamon.core.vocabulary import RUN_FAILED, RUN_OK


class _StoreCollector(Collector):
    def __init__(self, figures: Callable[[], Any], leader: Callable[[], bool]) -> None:
        self.figures, self.leader = figures, leader

    def collect(self) -> Iterator[Any]:
        f = self.figures()
        polls = CounterMetricFamily("slamon_polls", "Poll cycles by outcome", labels=["status"])
        for status in sorted({RUN_OK, RUN_FAILED, *f.polls}):
            polls.add_metric([status], f.polls.get(status, 0))
        yield polls
        for name, value, text in (
            ("slamon_rows_fetched", f.rows_fetched, "Rows read from the source"),
            ("slamon_rows_inserted", f.rows_inserted, "Applications inserted"),
            ("slamon_rows_updated", f.rows_updated, "Applications updated"),
            ("slamon_rows_rejected", f.rows_rejected, "Rows rejected by validation"),
        ):
            yield CounterMetricFamily(name, text, value=value)
        yield GaugeMetricFamily(
            "slamon_rejected_rows",
            "Rejected rows still open (not settled by a later good row)",
            value=f.rejected_rows_listed,
        )
        stages = GaugeMetricFamily(
            "slamon_applications", "Applications by SLA stage (last evaluation)", labels=["stage"]
        )
        for stage, n in sorted(f.stages.items()):
            stages.add_metric([stage], n)
        yield stages
        yield GaugeMetricFamily(
            "slamon_open_applications", "Applications still open", value=f.open_applications
        )
        yield GaugeMetricFamily(
            "slamon_overdue_applications",
            "Open applications past their deadline",
            value=f.overdue_applications,
        )
        yield GaugeMetricFamily(
            "slamon_data_issues", "Applications held back as doubtful", value=f.data_issues
        )
        box = GaugeMetricFamily("slamon_outbox_messages", "Outbox by status", labels=["status"])
        for status, n in sorted(f.outbox.items()):
            box.add_metric([status], n)
        yield box
        last = GaugeMetricFamily(
            "slamon_last_success_timestamp_seconds",
            "Unix time of the last success (poll: a poll cycle; delivery: a delivery pass; "
            "sent: a message accepted by the relay)",
            labels=["job"],
        )
        for job, moment in (
            ("poll", f.last_successful_poll),
            ("delivery", f.last_delivery),
            ("sent", f.last_sent),
        ):
            if moment is not None:
                last.add_metric([job], moment.timestamp())
        yield last
        yield GaugeMetricFamily(
            "slamon_lease_held",
            "1 when this daemon holds the lease and runs the jobs",
            value=1 if self.leader() else 0,
        )


class MetricsServer:
    """``/metrics`` on ``host:port`` in a daemon thread; ``port`` 0 picks a free one."""

    def __init__(
        self, host: str, port: int, figures: Callable[[], Any], leader: Callable[[], bool]
    ) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(_StoreCollector(figures, leader))
        self.host, self.port = host, port
        self._server: Any = None

    def start(self) -> MetricsServer:
        self._server, _thread = start_http_server(self.port, self.host, registry=self.registry)
        self.port = self._server.server_address[1]
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
