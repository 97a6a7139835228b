"""Stores made by the previous release (slamon 0.1.0, before migrations), for the upgrade tests:
its tables from the DDL its models produced (tests/data/store-0.1.0/<kind>.sql), a few rows, and
optionally the state of an even older store (columns, tables and an index added later missing;
DATETIME of whole seconds on MariaDB)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, create_engine, inspect, select, text
from sqlmodel import SQLModel

from slamon.adapters.store import models

OLD_DDL = Path(__file__).resolve().parent / "data" / "store-0.1.0"
UTC = dt.UTC
T0 = dt.datetime(2024, 10, 8, 2, 0, 5, 123456, tzinfo=UTC)

# Columns, tables and an index slamon added during 0.1.0's development: a store made before lacks them.
LATER_COLUMNS = {"sla_state": ("started_at", "start_event", "extended_by", "flags")}
LATER_TABLES = ("web_session", "exemption", "application_history")
LATER_INDEX = ("outbox", "ix_outbox_kind_working_day")


def kind(url: str) -> str:
    return (
        "sqlite" if url.startswith("sqlite") else "postgresql" if "postgres" in url else "mariadb"
    )


def statements(url: str) -> list[str]:
    sql = (OLD_DDL / f"{kind(url)}.sql").read_text(encoding="utf-8")
    lines = [line for line in sql.splitlines() if not line.startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


ROWS: dict[str, list[dict[str, Any]]] = {
    "slamon_meta": [{"key": "schema_version", "value": "1"}],
    "application": [
        {
            "application_id": aid,
            "applicant_dept": "省税务局",
            "provider_dept": "省公共资源交易中心",
            "resource_name": "工程类_招标项目",
            "share_type": "conditional",
            "submitted_at": T0 - dt.timedelta(days=3),
            "review_status": "passed",
            "received_at": T0 - dt.timedelta(days=2),
            "decision": "pending",
            "content_hash": f"h{aid}",
            "source": "test",
            "first_seen_at": T0,
            "last_changed_at": T0,
        }
        for aid in ("A1", "A2")
    ],
    "sla_state": [
        {
            "application_id": "A1",
            "stage": "pending",
            "rule_id": "guizhou-2023",
            "deadline": T0 + dt.timedelta(days=5),
            "deadline_date": dt.date(2024, 10, 15),
            "overdue_working_days": 0,
            "calendar_official": True,
            "fingerprint": "f" * 16,
            "evaluated_at": T0,
        }
    ],
    "poll_run": [
        {
            "source": "test",
            "started_at": T0.replace(microsecond=0),
            "finished_at": T0.replace(microsecond=0),
            "status": "ok",
            **dict.fromkeys(("fetched", "inserted", "updated", "unchanged", "rejected"), 2),
        }
    ],
    "outbox": [
        {
            "key": "省公共资源交易中心|notice|2024-10-08",
            "kind": "notice",
            "department": "省公共资源交易中心",
            "working_day": dt.date(2024, 10, 8),
            "recipients": '["a@example.gov.cn"]',
            "subject": "催办",
            "body_text": "正文",
            "body_html": "<p>正文</p>",
            "items": "[]",
            "unassigned": False,
            "message_id": "<m1@slamon>",
            "status": "sent",
            "attempts": 1,
            "unknown_outcomes": 0,
            "not_before": T0,
            "sent_at": T0,
            "created_at": T0,
        }
    ],
    "exemption": [
        {"application_id": "A2", "action": "exempt", "reason": "核实", "by": "张三", "at": T0}
    ],
}


def make_old_store(url: str, *, older: bool = False, rows: bool = True) -> None:
    """The tables of slamon 0.1.0 with ROWS in them (``rows=False``: only its schema_version
    row); ``older``: as a store made before the later columns, tables and index (and, on
    MariaDB, microseconds) existed."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            for statement in statements(url):
                conn.exec_driver_sql(statement)
            for table, content in ROWS.items():
                if rows or table == models.Meta.__tablename__:
                    conn.execute(SQLModel.metadata.tables[table].insert(), content)
            if older:
                _make_older(conn)
    finally:
        engine.dispose()


def _make_older(conn: Connection) -> None:
    for table, columns in LATER_COLUMNS.items():
        for column in columns:
            conn.execute(text(f"ALTER TABLE {table} DROP COLUMN {column}"))
    for table in LATER_TABLES:
        conn.execute(text(f"DROP TABLE {table}"))
    table, index = LATER_INDEX
    on = f" ON {table}" if conn.dialect.name in ("mysql", "mariadb") else ""
    conn.execute(text(f"DROP INDEX {index}{on}"))
    if conn.dialect.name in ("mysql", "mariadb"):
        conn.execute(text("ALTER TABLE poll_run MODIFY started_at DATETIME NOT NULL"))
        conn.execute(text("ALTER TABLE poll_run MODIFY finished_at DATETIME NULL"))


def old_rows(url: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of the tables ROWS filled (but slamon_meta), in the columns the store has, read
    through the models' types (aware datetimes)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            inspector = inspect(conn)
            found = {}
            for name in ROWS:
                if name == models.Meta.__tablename__ or not inspector.has_table(name):
                    continue
                have = {c["name"] for c in inspector.get_columns(name)}
                table = SQLModel.metadata.tables[name]
                columns = [c for c in table.columns if c.name in have]
                order = list(table.primary_key.columns)
                rows = conn.execute(select(*columns).order_by(*order)).mappings()
                found[name] = [dict(r) for r in rows]
            return found
    finally:
        engine.dispose()


def meta_value(url: str) -> str | None:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            meta = models.Meta.__table__
            return conn.execute(
                select(meta.c.value).where(meta.c.key == "schema_version")
            ).scalar_one_or_none()
    finally:
        engine.dispose()
