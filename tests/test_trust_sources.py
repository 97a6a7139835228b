"""The source cases of the trust-history issue, on real PostgreSQL and MariaDB platforms: one
absurd extension value (ext_days = 99999) and a pending review with a 收到时间 are row problems,
never a failed read — the first read, an incremental poll and ``poll --full`` all succeed and
judge every other row."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, create_engine
from storehelpers import REPO_ROOT, TZ, at, make_runtime

from slamon.adapters.sources.sql import SqlSource
from slamon.adapters.store import applications
from slamon.adapters.store.db import open_store
from slamon.service.poll import run_poll_cycle
from slamon.service.status import build_status

QUERY = (
    "SELECT no AS application_id, applicant AS applicant_dept, provider AS provider_dept,"
    " res AS resource_name, mode AS share_type, applied AS submitted_at,"
    " audit AS review_status, audited AS reviewed_at, received AS received_at,"
    " result AS decision, decided AS decided_at, ext_days AS extension_working_days,"
    " ext_at AS extension_approved_at, modified AS updated_at FROM {table}"
    " WHERE modified > :since"
)


def _table(name: str) -> Table:
    return Table(
        name,
        MetaData(),
        Column("no", String(32), primary_key=True),
        Column("applicant", String(100)),
        Column("provider", String(100)),
        Column("res", String(200)),
        Column("mode", String(16)),
        Column("applied", DateTime),
        Column("audit", String(16)),
        Column("audited", DateTime),
        Column("received", DateTime),
        Column("result", String(16)),
        Column("decided", DateTime),
        Column("ext_days", Integer),
        Column("ext_at", DateTime),
        Column("modified", DateTime),
    )


def _row(no: str, **kw: Any) -> dict[str, Any]:
    n = dt.datetime.fromisoformat
    data = {
        "no": no,
        "applicant": "省税务局",
        "provider": "省公共资源交易中心",
        "res": "工程类_招标项目",
        "mode": "有条件共享",
        "applied": n("2024-12-02 09:00"),
        "audit": "通过",
        "audited": n("2024-12-02 09:30"),
        "received": n("2024-12-02 10:00"),
        "result": None,
        "decided": None,
        "ext_days": None,
        "ext_at": None,
        "modified": n("2024-12-02 10:00"),
    }
    data.update(kw)
    return data


@pytest.fixture(params=["pg", "mariadb"])
def platform(request: pytest.FixtureRequest) -> Iterator[tuple[str, Table]]:
    url = request.getfixturevalue("pg_url" if request.param == "pg" else "mysql_url")
    table = _table(f"t_trust_{uuid.uuid4().hex[:10]}")
    engine = create_engine(url)
    with engine.begin() as conn:
        table.create(conn)
    try:
        yield url, table
    finally:
        with engine.begin() as conn:
            table.drop(conn, checkfirst=True)
        engine.dispose()


def test_one_absurd_value_holds_its_row_and_blocks_no_read(
    platform: tuple[str, Table], tmp_path: Path
) -> None:
    url, table = platform
    n = dt.datetime.fromisoformat
    rows = [
        _row("X1", ext_days=99999, ext_at=n("2024-12-03 09:00")),
        _row("W1", audit="审核中", audited=None),  # 收到时间 filled, review not passed
        _row("L1"),
        _row("A1", result="同意", decided=n("2024-12-05 10:00"), modified=n("2024-12-05 10:00")),
    ]
    platform_engine = create_engine(url)
    with platform_engine.begin() as conn:
        conn.execute(table.insert(), rows)
    platform_engine.dispose()
    rules = tmp_path / "site-rules"
    rules.mkdir()
    text = (REPO_ROOT / "slamon/data/rules/guizhou-2023.yaml").read_text(encoding="utf-8")
    allows = "extension: {max_working_days: 10, approver: 主管部门}"
    (rules / "guizhou-2023.yaml").write_text(text.replace("extension: null", allows), "utf-8")
    rt = make_runtime(tmp_path, rules={"dir": str(rules), "active": ["guizhou-2023"]})
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    src = SqlSource(url, QUERY.format(table=table.name), tz=TZ)
    try:
        for full, when in ((False, "2024-12-20 10:00"), (True, "2024-12-20 11:00")):
            summary = run_poll_cycle(store, rt, src, at(when), full=full)
            assert summary.rejected == 0
        with store.connect() as conn:
            stages = applications.stages_of(conn, ["X1", "W1", "L1", "A1"])
        assert stages == {
            "X1": "overdue",
            "W1": "awaiting_review",
            "L1": "overdue",
            "A1": "answered_on_time",
        }
        items = {i.record.application_id: i.state for i in build_status(store, rt, at(when)).items}
        assert (items["X1"].deadline_date, items["X1"].flags) == (
            dt.date(2024, 12, 9),
            ("extension_over_cap",),
        )
    finally:
        store.dispose()
