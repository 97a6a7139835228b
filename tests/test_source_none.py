"""Import-only sites (``source.kind: none``): ``poll`` and the daemon still evaluate, plan and
deliver on what ``slamon import`` loaded — the same notices a sql source queues for the same rows.
And names that are GBK read as Latin-1 reject their row naming the fix (MariaDB)."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from dbservers import unique_name
from platformhelpers import ROWS
from sqlalchemy import create_engine, text
from storehelpers import make_runtime

from slamon.adapters.sources.sql import SqlSource
from slamon.adapters.store.db import open_store
from slamon.config import load_settings
from slamon.demo.platform import platform_query, platform_table
from slamon.runtime import Runtime
from slamon.service.delivery import deliver_due
from slamon.service.jobs import poll_job
from slamon.service.poll import run_poll_cycle

TZ = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2024, 12, 10, 10, 0, tzinfo=TZ)


def site(tmp_path: Path, smtp: Any, source: dict[str, Any]) -> dict[str, Any]:
    return {
        "store": {"url": f"sqlite:///{tmp_path / 'store.db'}"},
        "source": source,
        "smtp": smtp.smtp_config(),
        "contacts": {
            "省公安厅": ["ga@gat.example.gov.cn"],
            "省公共资源交易中心": ["jy@ggzy.example.gov.cn"],
        },
        "supervisors": ["boss@dsj.example.gov.cn"],
    }


def notices(out: str) -> list[tuple[Any, ...]]:
    data = json.loads(out)
    return sorted(
        (p["kind"], p["department"], tuple(p["recipients"]), p["subject"])
        for p in data["planned_notices"]
    )


def test_import_then_poll_with_kind_none_queues_what_sql_would(
    tmp_path: Path,
    run_cli: Callable[..., Any],
    write_config: Callable[..., Path],
    smtp_server: Any,
) -> None:
    platform_db = tmp_path / "platform.db"
    engine = create_engine(f"sqlite:///{platform_db}")
    with engine.begin() as conn:
        platform_table().create(conn)
        conn.execute(platform_table().insert(), ROWS)
        result = conn.execute(text(platform_query().replace(":since", "'1970-01-01'")))
        header, rows = list(result.keys()), [list(r) for r in result]
    engine.dispose()
    export = tmp_path / "export.csv"
    with export.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows([["" if v is None else str(v)[:19] for v in r] for r in rows])

    sql_dir, none_dir = tmp_path / "sql", tmp_path / "none"
    sql_dir.mkdir()
    none_dir.mkdir()
    sql_cfg = write_config(
        site(
            sql_dir,
            smtp_server,
            {"kind": "sql", "url": f"sqlite:///{platform_db}", "query": platform_query()},
        ),
        folder=sql_dir,
    )
    none_cfg = write_config(site(none_dir, smtp_server, {"kind": "none"}), folder=none_dir)

    imported = run_cli(["import", str(export), "--now", NOW.isoformat()], config=none_cfg)
    assert imported.exit_code == 0, imported.stderr
    assert "source.kind 为 none" in imported.stdout and "slamon poll" in imported.stdout
    by_import = run_cli(["poll", "--now", NOW.isoformat(), "--json"], config=none_cfg)
    assert by_import.exit_code == 0, by_import.stderr
    by_sql = run_cli(["poll", "--now", NOW.isoformat(), "--json"], config=sql_cfg)
    assert by_sql.exit_code == 0, by_sql.stderr
    expected = notices(by_sql.stdout)
    assert expected, "the rows must call for notices, or the comparison proves nothing"
    assert notices(by_import.stdout) == expected
    assert json.loads(by_import.stdout)["delivery"]["replay_not_sent"] is True  # --now: no mail
    rt = Runtime(load_settings(none_cfg, env={}))
    assert deliver_due(rt.engine, rt, NOW, "test").sent >= 1  # what the daemon sends at NOW
    # The daemon's poll job does the same on an import-only site (the next day: a repeat due).
    summary = poll_job(rt.engine, rt, NOW + dt.timedelta(days=2), "test")
    assert summary is not None and summary.evaluated > 0


def test_gbk_read_as_latin1_rejects_the_row_naming_the_fix(mysql_url: str, tmp_path: Path) -> None:
    name = unique_name("t_gbk")
    engine = create_engine(mysql_url)
    gbk = "省公共资源交易中心".encode("gbk").hex()
    with engine.begin() as conn:
        conn.execute(
            text(f"CREATE TABLE {name} (id varchar(8), dept varchar(100) CHARACTER SET latin1)")
        )
        conn.execute(
            text(f"INSERT INTO {name} VALUES ('M1', UNHEX('{gbk}')), ('M2', 'Provincial Bureau')")
        )
    base = (
        "SELECT id AS application_id, '省大数据局' AS applicant_dept, {dept} AS provider_dept,"
        " '居民身份证信息' AS resource_name, '无条件共享' AS share_type,"
        f" '2024-12-02 09:00' AS submitted_at FROM {name}"
    )
    try:
        rt = make_runtime(tmp_path)
        store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
        src = SqlSource(mysql_url, base.format(dept="dept"), tz=TZ)
        summary = run_poll_cycle(store, rt, src, NOW)
        assert summary.inserted == 1 and summary.rejected == 1
        err = summary.errors[0]
        assert (err.row, err.field) == ("M1", "provider_dept")
        assert "CONVERT(CAST(" in err.message and "省公共资源交易中心" in err.message
        fixed = SqlSource(
            mysql_url, base.format(dept="CONVERT(CAST(dept AS BINARY) USING gbk)"), tz=TZ
        )
        again = run_poll_cycle(store, rt, fixed, NOW)
        assert again.rejected == 0 and again.inserted == 1
        with store.connect() as conn:
            depts = set(conn.execute(text("SELECT provider_dept FROM application")).scalars())
        assert "省公共资源交易中心" in depts
        store.dispose()
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"DROP TABLE {name}"))
        engine.dispose()
