"""``--now`` replays never deliver mail unless ``--send``; with it the real clock's sending window
applies and the real send time is recorded (outbox, health, the Date header)."""

from __future__ import annotations

import datetime as dt
import json
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from storehelpers import REPO_ROOT, at, ingest_records, record

from slamon.adapters.sources.base import ImportedOnly
from slamon.adapters.store import outbox
from slamon.adapters.store.db import open_store
from slamon.config import load_settings
from slamon.runtime import Runtime
from slamon.service.jobs import deliver_job
from slamon.service.poll import default_planner, run_poll_cycle

DEPT = "省公共资源交易中心"
REPLAY = at("2024-10-10 10:00")  # Thursday, inside the window: the replayed instant


def _setup(tmp_path: Path, write_config: Any, server: Any) -> tuple[Path, Runtime, Any]:
    config = write_config(
        {
            "store": {"url": "sqlite:///slamon.db"},
            "rules": {"dir": str(REPO_ROOT / "rules")},
            "source": {"kind": "none"},
            "smtp": server.smtp_config(),
            "contacts": {DEPT: ["a@ggzy.example.gov.cn"]},
            "supervisors": ["boss@dsj.example.gov.cn"],
        }
    )
    rt = Runtime(load_settings(config, env={}))
    return config, rt, open_store(rt.settings.store_url)


def _rows(engine: Any) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(outbox.OUTBOX)).mappings()]


def test_poll_with_now_plans_but_sends_nothing_and_says_how_to_send(
    tmp_path: Path, write_config: Any, run_cli: Any, smtp_server: Any
) -> None:
    config, rt, engine = _setup(tmp_path, write_config, smtp_server)
    ingest_records(engine, rt, [record("C", "2024-09-24 10:00")], REPLAY)  # overdue by then
    res = run_cli(["poll", "--now", REPLAY.isoformat()], config=config)
    assert res.exit_code == 0, res.stderr
    assert smtp_server.messages == []
    rows = _rows(engine)
    assert rows and {r["status"] for r in rows} == {"queued"}
    assert all(r["sent_at"] is None for r in rows)
    assert "未发送邮件" in res.stdout and "--send" in res.stdout
    data = json.loads(
        run_cli(["poll", "--now", REPLAY.isoformat(), "--json"], config=config).stdout
    )
    assert data["delivery"]["replay_not_sent"] is True and data["delivery"]["sent"] == 0
    assert smtp_server.messages == []
    health = json.loads(
        run_cli(["health", "--now", REPLAY.isoformat(), "--json"], config=config).stdout
    )
    assert health["daemon"]["last_sent_at"] is None and health["daemon"]["last_delivery_at"] is None
    both = run_cli(["poll", "--now", REPLAY.isoformat(), "--send", "--dry-run"], config=config)
    assert both.exit_code == 2 and "--dry-run" in both.stderr


def _plan(engine: Any, rt: Runtime) -> None:
    ingest_records(engine, rt, [record("C", "2024-09-24 10:00")], REPLAY)
    run_poll_cycle(engine, rt, ImportedOnly(), REPLAY, planner=default_planner())


def test_send_follows_the_real_clocks_window(
    tmp_path: Path, write_config: Any, smtp_server: Any
) -> None:
    """The replayed instant is inside the window, the real clock (Saturday) is not: nothing
    leaves, the rows wait; a real clock inside the window sends, however far the replay is."""
    _config, rt, engine = _setup(tmp_path, write_config, smtp_server)
    _plan(engine, rt)
    saturday = at("2024-10-05 10:00")
    report = deliver_job(engine, rt, REPLAY, "cli", real_now=saturday)
    assert report.outside_window and smtp_server.messages == []
    assert {r["status"] for r in _rows(engine)} == {"queued"}
    evening = at("2024-10-08 20:00")  # a working day, after the window
    assert deliver_job(engine, rt, REPLAY, "cli", real_now=evening).outside_window
    assert smtp_server.messages == []


def test_send_records_the_real_send_time_and_dates_the_mail_in_the_configured_zone(
    tmp_path: Path, write_config: Any, smtp_server: Any
) -> None:
    """Replaying Thursday with the real clock on Tuesday: the rows due by Thursday go out, stamped
    Tuesday in outbox and health (never the replayed future), the Date header in +08:00."""
    _config, rt, engine = _setup(tmp_path, write_config, smtp_server)
    _plan(engine, rt)
    real = at("2024-10-08 10:00")
    report = deliver_job(engine, rt, REPLAY, "cli", real_now=real)
    assert report.sent >= 1 and len(smtp_server.messages) == report.sent
    rows = [r for r in _rows(engine) if r["status"] == "sent"]
    assert len(rows) == report.sent
    for r in rows:
        sent_at = r["sent_at"].replace(tzinfo=r["sent_at"].tzinfo or dt.UTC)
        assert abs(sent_at - real) < dt.timedelta(minutes=1)
    from slamon.service.health import daemon_health

    d = daemon_health(engine, rt, REPLAY)["daemon"]
    assert abs(d["last_sent_at"] - real) < dt.timedelta(minutes=1)
    assert abs(d["last_delivery_at"] - real) < dt.timedelta(minutes=1)
    for m in smtp_server.messages:
        date = parsedate_to_datetime(m.message["Date"])
        assert date.utcoffset() == dt.timedelta(hours=8), m.message["Date"]
        assert abs(date - real) < dt.timedelta(minutes=1)


def test_daemon_pass_without_a_replay_is_unchanged(
    tmp_path: Path, write_config: Any, smtp_server: Any
) -> None:
    """No ``real_now``: ``now`` is both the due time and the send time (the daemon's case)."""
    _config, rt, engine = _setup(tmp_path, write_config, smtp_server)
    _plan(engine, rt)
    assert deliver_job(engine, rt, at("2024-10-08 10:00"), "d").sent == 0  # not due yet
    report = deliver_job(engine, rt, REPLAY + dt.timedelta(minutes=1), "d")
    assert report.sent >= 1 and len(smtp_server.messages) == report.sent
    date = parsedate_to_datetime(smtp_server.messages[0].message["Date"])
    assert date.utcoffset() == dt.timedelta(hours=8)
