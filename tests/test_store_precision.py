"""Stored datetimes keep their microseconds on every store: a ``now`` written by a poll still
equals that ``now`` when read back (MariaDB and MySQL need DATETIME(6)), and a MariaDB store made
when its columns kept whole seconds is widened when it is opened, losing nothing."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import create_engine, text
from storehelpers import at, make_runtime, record

from slamon.adapters.sources.base import FetchResult, RawRow
from slamon.adapters.store.db import open_store
from slamon.service.poll import apply_batches, default_planner
from slamon.service.store_upgrade import upgrade_store

NOW = at("2024-10-14 10:00") + dt.timedelta(microseconds=123456)  # a clock's now has them


def test_a_dry_run_previews_what_it_planned_and_evaluates_each_once(store_url, tmp_path):
    rt = make_runtime(tmp_path)
    engine = open_store(store_url)
    rows = [RawRow(f"r{i}", record(f"A{i}").as_dict()) for i in range(3)]
    try:
        summary = apply_batches(
            engine,
            rt,
            "src",
            [rows],
            lambda: FetchResult([]),
            NOW,
            dry_run=True,
            planner=default_planner(),
        )
    finally:
        engine.dispose()
    assert summary.planned > 0
    assert len(summary.preview) == summary.planned  # the rows this cycle wrote, found by its now
    assert summary.evaluated == 3  # the batch's evaluation is not repeated at the end


def precision(conn, table: str, column: str) -> tuple[int, str]:
    return conn.execute(
        text(
            "SELECT DATETIME_PRECISION, IS_NULLABLE FROM information_schema.COLUMNS "
            "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = :t AND COLUMN_NAME = :c"
        ),
        {"t": table, "c": column},
    ).one()


def test_a_mariadb_store_of_whole_seconds_is_widened_by_the_upgrade(mysql_url):
    from dbservers import unique_name
    from sqlalchemy.engine import make_url

    name = unique_name("slamon_store")
    admin = create_engine(mysql_url)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE DATABASE {name} CHARACTER SET utf8mb4"))
    url = make_url(mysql_url).set(database=name).render_as_string(hide_password=False)
    try:
        from oldstores import make_old_store

        make_old_store(url, rows=False)  # a store of slamon 0.1.0, made before migrations
        old = create_engine(url)  # as an earlier slamon made it: DATETIME, whole seconds
        with old.begin() as conn:
            conn.execute(text("ALTER TABLE poll_run MODIFY started_at DATETIME NOT NULL"))
            conn.execute(text("ALTER TABLE poll_run MODIFY finished_at DATETIME NULL"))
            conn.execute(
                text(
                    "INSERT INTO poll_run (source, started_at, finished_at, status, fetched, "
                    "inserted, updated, unchanged, rejected) VALUES "
                    "('src', '2024-10-14 02:00:05', NULL, 'ok', 0, 0, 0, 0, 0)"
                )
            )
            assert precision(conn, "poll_run", "started_at") == (0, "NO")
        upgrade_store(url)
        engine = open_store(url)
        with engine.begin() as conn:
            assert precision(conn, "poll_run", "started_at") == (6, "NO")
            assert precision(conn, "poll_run", "finished_at") == (6, "YES")
            kept = conn.execute(text("SELECT started_at FROM poll_run")).scalar_one()
        assert kept == dt.datetime(2024, 10, 14, 2, 0, 5)
        engine.dispose()
        old.dispose()
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        admin.dispose()
