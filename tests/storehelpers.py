"""Helpers for tests that need a store: runtimes, records, table snapshots, PostgreSQL databases."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, text

from slamon.adapters.sources.base import FetchResult, RawRow
from slamon.adapters.store.db import open_store
from slamon.config import parse_settings
from slamon.core.records import ApplicationRecord
from slamon.runtime import Runtime
from slamon.service.poll import apply_fetch, default_planner
from slamon.service.poll_summary import PollSummary

TZ = ZoneInfo("Asia/Shanghai")
REPO_ROOT = Path(__file__).resolve().parent.parent


def make_runtime(tmp_path: Path, **overrides: Any) -> Runtime:
    data = {"rules": {"dir": str(REPO_ROOT / "rules"), "active": ["guizhou-2023"]}, **overrides}
    return Runtime(parse_settings(data, None, tmp_path, {}))


def at(text_: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text_).replace(tzinfo=TZ)


def record(aid: str, received: str | None = "2024-09-27 10:00", **kw: Any) -> ApplicationRecord:
    # Submitted and reviewed before the receipt, as a platform would record them.
    submitted, reviewed = at("2024-09-26 09:00"), at("2024-09-27 09:00")
    if received:
        reviewed = min(reviewed, at(received))
        submitted = min(submitted, reviewed - dt.timedelta(hours=1))
    base: dict[str, Any] = dict(
        application_id=aid,
        applicant_dept="省税务局",
        provider_dept="省公共资源交易中心",
        resource_name="工程类_招标项目",
        share_type="conditional",
        submitted_at=submitted,
        review_status="passed",
        reviewed_at=reviewed,
        received_at=at(received) if received else None,
    )
    base.update(kw)
    return ApplicationRecord(**base)


def snapshot(engine: Any) -> dict[str, list[tuple]]:
    """Every row of every data table (not the poll-run log), for before/after comparisons."""
    tables = [
        "application",
        "application_event",
        "sla_state",
        "rejected_row",
        "deadline_change",
        "imported_file",
        "outbox",
        "slamon_meta",
    ]
    with engine.connect() as conn:
        return {t: sorted(map(tuple, conn.execute(text(f"SELECT * FROM {t}")))) for t in tables}


@contextmanager
def fresh_pg_database(server_url: str) -> Iterator[str]:
    """A new empty PostgreSQL database on the server of ``server_url``, dropped afterwards."""
    name = f"slamon_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = server_url.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def ingest_records(
    engine: Any,
    rt: Runtime,
    records: Sequence[ApplicationRecord],
    now: dt.datetime,
    source_name: str = "test",
    *,
    plan: bool = False,
) -> PollSummary:
    """Apply records as one poll cycle, through the real validation (as a source would)."""
    rows = [RawRow(r.application_id, r.as_dict()) for r in records]
    return apply_fetch(
        engine,
        rt,
        source_name,
        FetchResult(rows=rows),
        now,
        planner=default_planner() if plan else None,
    )


def store_config_with(
    tmp_path: Path, write_config: Any, records: Sequence[ApplicationRecord], seen: dt.datetime
) -> Path:
    """A config for a SQLite store in ``tmp_path`` (no source, the repository's rules) that
    already holds ``records``, stored as read at ``seen``."""
    cfg = write_config(
        {
            "store": {"url": "sqlite:///store.db"},
            "rules": {"dir": str(REPO_ROOT / "rules")},
            "source": {"kind": "none"},
        }
    )
    engine = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    ingest_records(engine, make_runtime(tmp_path), records, seen)
    engine.dispose()
    return cfg
