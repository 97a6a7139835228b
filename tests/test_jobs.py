"""The daemon's jobs: a failing or silent source is reported once a day; secrets never reach logs."""

from __future__ import annotations

import datetime as dt
import json
import logging

import pytest
from sqlalchemy import text
from storehelpers import at, make_runtime

from slamon.adapters.store.db import open_store
from slamon.core.secrets import mask_secrets
from slamon.logs import JsonFormatter, MaskingFilter
from slamon.service.jobs import poll_job, source_health


@pytest.fixture
def engine(tmp_path):
    return open_store(f"sqlite:///{tmp_path / 'store.db'}")


def _stale_rows(engine):
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT key, recipients FROM outbox WHERE kind = 'stale_source'")
        ).all()


def test_failing_source_reported_after_stale_minutes_once_a_day(engine, tmp_path):
    rt = make_runtime(
        tmp_path,
        source={
            "kind": "sql",
            "url": "postgresql+psycopg://reader:s3cret@127.0.0.1:9/platform",
            "query": "SELECT 1 AS application_id",
            "stale_minutes": 30,
        },
        operators=["ops@xxzx.example.gov.cn"],
    )
    start = at("2024-10-08 10:00")
    for minutes in (0, 10, 20):  # failing, but not yet for longer than 30 minutes
        poll_job(engine, rt, start + dt.timedelta(minutes=minutes), "w")
    assert _stale_rows(engine) == []
    for minutes in (40, 50, 60):
        poll_job(engine, rt, start + dt.timedelta(minutes=minutes), "w")
    rows = _stale_rows(engine)
    assert len(rows) == 1, rows  # once per working day, however often the poll fails
    assert json.loads(rows[0][1]) == ["ops@xxzx.example.gov.cn"]
    assert "s3cret" not in rows[0][0]
    with engine.connect() as conn:
        errors = (
            conn.execute(text("SELECT error FROM poll_run WHERE status = 'failed'")).scalars().all()
        )
    assert errors and not any("s3cret" in e for e in errors)


def test_silent_source_reported_only_in_office_hours(engine, tmp_path):
    rt = make_runtime(tmp_path, source={"kind": "none", "stale_minutes": 60})
    t0 = at("2024-10-08 09:00")
    assert source_health(engine, rt, "s", t0, ok=True, fetched=3) is None
    assert source_health(engine, rt, "s", t0 + dt.timedelta(minutes=50), ok=True, fetched=0) is None
    assert "没有新的" in source_health(
        engine, rt, "s", t0 + dt.timedelta(minutes=70), ok=True, fetched=0
    )
    # at night or on a holiday, silence is normal
    assert source_health(engine, rt, "s", at("2024-10-08 22:00"), ok=True, fetched=0) is None
    assert source_health(engine, rt, "s", at("2024-10-03 10:00"), ok=True, fetched=0) is None
    # new rows end the silence
    assert source_health(engine, rt, "s", at("2024-10-09 10:00"), ok=True, fetched=1) is None


def test_secrets_masked_in_text_and_json_logs(caplog):
    assert (
        mask_secrets("mysql+pymysql://reader:p@ss:w0rd@db:3306/x")
        == "mysql+pymysql://reader:***@db:3306/x"
    )
    assert mask_secrets("sqlite:///slamon.db") == "sqlite:///slamon.db"
    record = logging.LogRecord(
        "t",
        logging.ERROR,
        __file__,
        1,
        "connect %s failed",
        ("postgresql://u:topsecret@h/db",),
        None,
    )
    assert MaskingFilter().filter(record)
    line = JsonFormatter().format(record)
    assert (
        "topsecret" not in line
        and json.loads(line)["message"] == "connect postgresql://u:***@h/db failed"
    )


def test_recovery_resets_the_failure_window(engine, tmp_path):
    rt = make_runtime(tmp_path, source={"kind": "none", "stale_minutes": 30})
    t0 = at("2024-10-08 10:00")
    assert source_health(engine, rt, "s", t0, ok=False, fetched=0) is None
    assert "无法读取" in source_health(
        engine, rt, "s", t0 + dt.timedelta(minutes=31), ok=False, fetched=0
    )
    assert source_health(engine, rt, "s", t0 + dt.timedelta(minutes=32), ok=True, fetched=1) is None
    assert (
        source_health(engine, rt, "s", t0 + dt.timedelta(minutes=40), ok=False, fetched=0) is None
    )
