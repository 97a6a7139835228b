"""Delivery re-checks held (data_issue) and withdrawn applications: a notice planned before the
doubt or the withdrawal arrives leaves without them (real SMTP server, real store)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from storehelpers import at, fresh_pg_database, ingest_records, make_runtime, record

from slamon.adapters.sources.base import FetchResult, RawRow
from slamon.adapters.store import applications
from slamon.adapters.store.db import open_store
from slamon.service.delivery import deliver_due
from slamon.service.poll import apply_fetch, default_planner

DEPT = "省公共资源交易中心"
CONTACT, SUPERVISOR = "lianxiren@ggzy.example.gov.cn", "dudao@dsj.example.gov.cn"


def test_planned_notice_leaves_without_held_and_withdrawn(tmp_path: Path, smtp_server: Any) -> None:
    rt = make_runtime(
        tmp_path,
        smtp=smtp_server.smtp_config(),
        contacts={DEPT: [CONTACT]},
        supervisors=[SUPERVISOR],
    )
    engine = open_store(f"sqlite:///{tmp_path / 'slamon.db'}")
    recs = [
        record("C", "2024-09-24 10:00"),
        record("H", "2024-09-24 11:00"),
        record("W", "2024-09-24 12:00"),
    ]
    ingest_records(engine, rt, recs, at("2024-10-03 10:00"), plan=True)  # for 8 October
    bad = dict(recs[1].as_dict(), decision="审批不通过", decided_at=None)  # fails validation
    gone = dataclasses.replace(recs[2], decision="withdrawn", decided_at=at("2024-10-07 16:00"))
    rows = [RawRow("r1", recs[0].as_dict()), RawRow("r2", bad), RawRow("r3", gone.as_dict())]
    apply_fetch(engine, rt, "test", FetchResult(rows=rows), at("2024-10-08 08:30"))
    with engine.connect() as conn:
        assert applications.stages_of(conn, ["C", "H", "W"]) == {
            "C": "overdue",
            "H": "data_issue",
            "W": "withdrawn",
        }
    deliver_due(engine, rt, at("2024-10-08 09:00"), "w")
    assert smtp_server.messages
    for m in smtp_server.messages:
        body = m.part("plain")
        assert "申请编号 C" in body
        assert "申请编号 H" not in body and "申请编号 W" not in body


def test_new_record_fields_round_trip_on_postgresql(pg_url: str, tmp_path: Path) -> None:
    with fresh_pg_database(pg_url) as url:
        engine = open_store(url)
        try:
            rt = make_runtime(tmp_path)
            ext = dataclasses.replace(
                record("E1", "2024-09-23 10:00"),
                extension_working_days=3,
                extension_approved_at=at("2024-09-27 09:00"),
                rejection_reason="字段不全，已一次性告知",
            )
            gone = dataclasses.replace(
                record("W1"), decision="withdrawn", decided_at=at("2024-10-14 09:00")
            )
            ingest_records(engine, rt, [ext, gone], at("2024-10-10 10:00"))
            with engine.connect() as conn:
                loaded = applications.load_records(conn, ["E1"])["E1"]
                sla = applications.load_sla(conn, ["E1", "W1"])
            assert loaded == ext
            # guizhou-2023 allows no extension: the rule's own deadline (not 9-29 + 3 = 10-09)
            assert sla["E1"]["deadline_date"].isoformat() == "2024-09-29"
            assert sla["W1"]["stage"] == "withdrawn"
            apply_fetch(
                engine,
                rt,
                "test",
                FetchResult(
                    rows=[
                        RawRow("x", ext.as_dict()),
                        RawRow("y", ext.as_dict() | {"resource_name": "别的"}),
                    ]
                ),
                at("2024-10-11 10:00"),
                planner=default_planner(),
            )
            with engine.connect() as conn:
                assert applications.stages_of(conn, ["E1"]) == {"E1": "data_issue"}
        finally:
            engine.dispose()
