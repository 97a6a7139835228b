"""Delivery that cannot double, against real aiosmtpd relays that misbehave: one that accepts a
message and drops the connection, one that answers after the client's timeout, a slow one with
two delivery processes (separate engines) working the same outbox, a 421 to MAIL FROM."""

from __future__ import annotations

import collections
import datetime as dt
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from storehelpers import at, fresh_pg_database, ingest_records, make_runtime, record

from slamon.adapters.mail.mailer import make_mailer
from slamon.adapters.store import outbox
from slamon.adapters.store.db import open_store
from slamon.service import delivery
from slamon.service.delivery import deliver_due, worker_id

OB = outbox.OUTBOX
NOW = at("2024-10-10 10:00")


def _config(server: Any, **smtp: Any) -> dict[str, Any]:
    return {
        "smtp": server.smtp_config(**smtp),
        "contacts": {"省公共资源交易中心": ["lianxiren@ggzy.example.gov.cn"]},
        "supervisors": ["dudao@dsj.example.gov.cn"],
    }


def _rows(engine: Any) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(OB).order_by(OB.c.id)).mappings()]


def _copies(server: Any) -> collections.Counter[str]:
    return collections.Counter(m.message_id for m in server.messages)


def _passes(engine: Any, rt: Any, n: int) -> None:
    for i in range(n):
        deliver_due(engine, rt, NOW + dt.timedelta(minutes=5 * i), "w1")


@pytest.mark.parametrize("fault", ["accept_then_drop", "reply_after_timeout"])
def test_unknown_outcome_sends_at_most_twice_then_waits_for_an_operator(
    tmp_path: Path, smtp_server: Any, write_config: Any, run_cli: Any, fault: str
) -> None:
    if fault == "accept_then_drop":
        smtp_server.accept_then_drop = True
        cfg = _config(smtp_server)
    else:
        smtp_server.data_delay = 3600  # answers long after the client has given up
        cfg = _config(smtp_server, timeout_seconds=1)
    rt = make_runtime(tmp_path, **cfg)
    engine = open_store(f"sqlite:///{tmp_path / 'slamon.db'}")
    ingest_records(engine, rt, [record("C", "2024-09-24 10:00")], NOW, plan=True)
    planned = len(_rows(engine))
    assert planned == 2  # the notice and the 督办
    _passes(engine, rt, 5)
    copies = _copies(smtp_server)
    assert set(copies.values()) == {2}, copies  # each was accepted, so each arrived twice: no more
    assert len(copies) == planned
    for row in _rows(engine):
        assert (row["status"], row["attempts"], row["unknown_outcomes"]) == ("held", 2, 2)
        assert "无法确定是否已投递" in row["last_error"]
        assert row["message_id"] in copies
    # the operator sees them ...
    config = write_config(
        {
            "store": {"url": "sqlite:///slamon.db"},
            "rules": {"dir": str(rt.settings.rules_dir)},
            **cfg,
        }
    )
    shown = run_cli(["outbox"], config=config)
    assert shown.exit_code == 0, shown.stderr
    assert "待人工处理 2" in shown.stdout and "待人工处理" in shown.stdout.split("邮件队列", 2)[-1]
    # ... and requeues one after checking with the recipients
    held_id = _rows(engine)[0]["id"]
    res = run_cli(["outbox", "retry", str(held_id), "--now", "2024-10-10T11:00"], config=config)
    assert res.exit_code == 0, res.stderr
    assert "待人工处理" in res.stdout
    assert _rows(engine)[0]["status"] == "queued"


def test_a_message_the_relay_accepts_normally_counts_no_unknown(
    tmp_path: Path, smtp_server: Any
) -> None:
    rt = make_runtime(tmp_path, **_config(smtp_server))
    engine = open_store(f"sqlite:///{tmp_path / 'slamon.db'}")
    ingest_records(engine, rt, [record("C", "2024-09-24 10:00")], NOW, plan=True)
    _passes(engine, rt, 3)
    assert set(_copies(smtp_server).values()) == {1}
    assert {(r["status"], r["unknown_outcomes"]) for r in _rows(engine)} == {("sent", 0)}


def test_421_to_mail_from_blames_the_server_not_the_sender(
    tmp_path: Path, smtp_server: Any
) -> None:
    smtp_server.mail_from_reply = "421 4.3.2 Service shutting down"
    rt = make_runtime(tmp_path, **_config(smtp_server))
    engine = open_store(f"sqlite:///{tmp_path / 'slamon.db'}")
    ingest_records(engine, rt, [record("C", "2024-09-24 10:00")], NOW, plan=True)
    report = deliver_due(engine, rt, NOW, "w1")
    assert report.stopped and "421" in report.stopped
    assert "smtp.sender" not in report.stopped and "邮件服务器" in report.stopped
    assert sorted(r["status"] for r in _rows(engine)) == ["queued", "retry"]  # the pass stopped
    assert {r["attempts"] for r in _rows(engine)} == {0}  # the server's trouble: not counted


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: Any, tmp_path: Path) -> Any:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'slamon.db'}"
        return
    with fresh_pg_database(request.getfixturevalue("pg_url")) as url:
        yield url


class _ShiftedClock:
    """``time`` as the delivery pass sees it: the real clock, ``ahead`` seconds later."""

    def __init__(self) -> None:
        self.ahead = 0.0

    def monotonic(self) -> float:
        return time.monotonic() + self.ahead

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


class _SlowRelay:
    """The real mailer, on a relay that takes ``seconds`` per message as the pass's clock sees it;
    ``during_send(i)`` runs while the i-th message (from 0) is being sent: claimed, not recorded."""

    def __init__(self, mailer: Any, clock: _ShiftedClock, seconds: float, during_send: Any) -> None:
        self.mailer, self.clock, self.seconds, self.during_send = (
            mailer,
            clock,
            seconds,
            during_send,
        )
        self.sends = 0

    def send(self, message: Any) -> Any:
        self.clock.ahead += self.seconds
        self.during_send(self.sends)
        self.sends += 1
        return self.mailer.send(message)

    def close(self) -> None:
        self.mailer.close()


def test_two_delivery_processes_and_a_slow_relay_send_no_message_twice(
    tmp_path: Path, smtp_server: Any, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second process starts while the first one's pass has run longer than the claim
    timeout (3 s a message, a 10 s timeout, the second starts during the 5th message): the first
    one's early claims are old by then, but the row it is sending was claimed 3 s ago and must
    not look abandoned. The second takes only the rows nobody has claimed; no row is claimed
    twice. Each process has its own engine and worker id."""
    rt = make_runtime(tmp_path, **_config(smtp_server))
    setup_engine = open_store(store_url)
    recs = [record(f"C{i}", "2024-09-24 10:00", provider_dept=f"部门{i:02d}") for i in range(8)]
    planned = ingest_records(setup_engine, rt, recs, NOW, plan=True).planned
    setup_engine.dispose()
    assert planned == 16
    timeout = dt.timedelta(seconds=10)
    clock = _ShiftedClock()
    monkeypatch.setattr(delivery, "time", clock)
    first, second = worker_id("cli"), worker_id("cli")
    reports: dict[str, Any] = {}
    start = clock.monotonic()

    def second_process(sending: int) -> None:
        if sending != 4:  # the first pass has run 15 s: its first claims are 15 s old
            return
        engine = open_store(store_url)
        try:
            now = NOW + dt.timedelta(seconds=clock.monotonic() - start)
            reports[second] = deliver_due(engine, rt, now, second, claim_timeout=timeout)
        finally:
            engine.dispose()

    def slow_relay() -> _SlowRelay:
        return _SlowRelay(make_mailer(rt.settings.smtp), clock, 3.0, second_process)

    engine = open_store(store_url)
    reports[first] = deliver_due(
        engine, rt, NOW, first, claim_timeout=timeout, mailer_factory=slow_relay
    )
    rows = _rows(engine)
    engine.dispose()
    copies = _copies(smtp_server)
    assert len(copies) == planned and set(copies.values()) == {1}, copies
    assert {(r["status"], r["attempts"], r["unknown_outcomes"]) for r in rows} == {("sent", 1, 0)}
    # the first sent the 5 it claimed before the second started, the second the 11 left
    assert collections.Counter(r["claimed_by"] for r in rows) == {first: 5, second: 11}
    assert (reports[first].sent, reports[first].lost_claims) == (5, 11)
    assert (reports[second].sent, reports[second].lost_claims) == (11, 0)
