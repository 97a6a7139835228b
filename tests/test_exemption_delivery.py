"""An application exempted after its notice was planned is dropped from the mail at delivery
(real SMTP); when every application of a notice is exempted the notice is cancelled."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select
from storehelpers import at, ingest_records, make_runtime, record

from slamon.adapters.store import outbox
from slamon.adapters.store.db import open_store
from slamon.service.delivery import deliver_due
from slamon.service.exemptions import exempt

DEPT = "省公共资源交易中心"
CONTACT = "lianxiren@ggzy.example.gov.cn"


def _store(tmp_path: Path, server: Any) -> tuple[Any, Any]:
    rt = make_runtime(tmp_path, smtp=server.smtp_config(), contacts={DEPT: [CONTACT]})
    engine = open_store(f"sqlite:///{tmp_path / 's.db'}")
    return rt, engine


def test_exempted_after_planning_is_not_named_in_the_mail(tmp_path: Path, smtp_server: Any) -> None:
    now = at("2024-10-08 10:00")
    rt, engine = _store(tmp_path, smtp_server)
    recs = [
        record("E1", "2024-09-24 10:00"),
        record("E2", "2024-09-24 10:00", resource_name="对照资源"),
    ]
    ingest_records(engine, rt, recs, now, plan=True)
    exempt(engine, rt, ["E1"], "已电话答复，经核实", "张三", now)
    report = deliver_due(engine, rt, now, "w")
    assert report.sent == 1
    (m,) = smtp_server.messages
    body = m.part("plain")
    assert "E2" in body and "E1" not in body


def test_notice_cancelled_when_everything_it_lists_is_exempted(
    tmp_path: Path, smtp_server: Any
) -> None:
    now = at("2024-10-08 10:00")
    rt, engine = _store(tmp_path, smtp_server)
    ingest_records(engine, rt, [record("E1", "2024-09-24 10:00")], now, plan=True)
    exempt(engine, rt, ["E1"], "已核实", "张三", now)
    report = deliver_due(engine, rt, now, "w")
    assert report.sent == 0 and report.cancelled == 1 and smtp_server.messages == []
    with engine.connect() as conn:
        status = conn.execute(select(outbox.OUTBOX.c.status)).scalars().all()
    assert status == ["cancelled"]
