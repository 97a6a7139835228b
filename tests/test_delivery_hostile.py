"""Delivery that cannot double, against real aiosmtpd relays that misbehave: one that accepts a
message and drops the connection, one that answers after the client's timeout, a slow one with
two delivery processes (separate engines) working the same outbox, a 421 to MAIL FROM."""

from __future__ import annotations

import collections
import datetime as dt
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from storehelpers import at, fresh_pg_database, ingest_records, make_runtime, record

from slamon.adapters.store import outbox
from slamon.adapters.store.db import open_store
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
        smtp_server.data_delay = 2.5
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


def test_two_delivery_processes_and_a_slow_relay_send_no_message_twice(
    tmp_path: Path, smtp_server: Any, store_url: str
) -> None:
    """The second process starts later, when the first one's early claims are older than the
    claim timeout: they must not look abandoned while the first process is still at work."""
    smtp_server.data_delay = 0.25
    rt = make_runtime(tmp_path, **_config(smtp_server))
    setup_engine = open_store(store_url)
    recs = [record(f"C{i}", "2024-09-24 10:00", provider_dept=f"部门{i:02d}") for i in range(8)]
    planned = ingest_records(setup_engine, rt, recs, NOW, plan=True).planned
    setup_engine.dispose()
    assert planned == 16
    timeout = dt.timedelta(seconds=1)
    start = time.monotonic()
    errors: list[BaseException] = []

    def process(delay: float) -> None:
        time.sleep(delay)
        engine = open_store(store_url)  # a process of its own: its own engine and worker id
        try:
            now = NOW + dt.timedelta(seconds=time.monotonic() - start)
            deliver_due(engine, rt, now, worker_id("cli"), claim_timeout=timeout)
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=process, args=(d,)) for d in (0.0, 1.6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    copies = _copies(smtp_server)
    assert len(copies) == planned and set(copies.values()) == {1}, copies
    engine = open_store(store_url)
    rows = _rows(engine)
    engine.dispose()
    assert {r["status"] for r in rows} == {"sent"}
    assert len({r["claimed_by"] for r in rows}) >= 1
    assert all(r["claimed_by"].startswith("cli@") for r in rows)
