"""Notices name the rule's limit and cite it, say when a deadline was extended, and never say
"已超期 0 个工作日"."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select
from storehelpers import at, ingest_records, make_runtime, record

from slamon.adapters.mail.messages import notice_context, render
from slamon.adapters.store.db import open_store
from slamon.adapters.store.models import Outbox

CITATION = "根据《贵州省政务数据资源管理办法》规定，数据提供部门收到数据共享申请时，应自收到申请之日起5个工作日内予以答复。"


def test_planned_notice_cites_the_rule_and_its_limit(tmp_path) -> None:
    rt = make_runtime(tmp_path, contacts={"省公共资源交易中心": ["jy@example.org"]})
    engine = open_store(f"sqlite:///{tmp_path / 's.db'}")
    ingest_records(
        engine, rt, [record("C1", received="2024-10-08 10:00")], at("2024-10-16 10:00"), plan=True
    )
    with engine.connect() as conn:
        row = (
            conn.execute(select(Outbox.__table__).where(Outbox.__table__.c.kind == "notice"))
            .mappings()
            .one()
        )
    assert CITATION in row["body_text"] and CITATION in row["body_html"]
    assert "在规定的工作日内" not in row["body_text"]
    assert "答复期限 2024年10月14日（周一）（时限5个工作日）｜已超期2个工作日" in row["body_text"]
    item = json.loads(row["items"])[0]
    assert (item["rule_id"], item["working_days"], item["extended_by"]) == ("guizhou-2023", 5, 0)


def _items(**extra) -> list[dict]:  # noqa: ANN003
    item = {
        "application_id": "A",
        "kind": "overdue",
        "resource_name": "不动产登记信息",
        "applicant_dept": "省税务局",
        "received_at": "2024-10-08T10:00:00+08:00",
        "deadline": None,
        "deadline_date": "2024-10-18",
        "overdue_working_days": 0,
    }
    item.update(extra)
    return [item]


def test_extension_and_overdue_on_the_deadline_day_are_said_plainly() -> None:
    items = _items(working_days=5, extended_by=3, citation=CITATION)
    for kind in ("notice", "escalation"):
        ctx = notice_context(
            kind,
            "省公安厅",
            dt.date(2024, 10, 19),
            items,
            unassigned=False,
            repeat_every=2,
            escalate_after=3,
        )
        mail = render(kind, ctx)
        for part in (mail.text, mail.html):
            assert "另经批准延期3个工作日" in part and "时限5个工作日" in part
            assert "已超过答复期限" in part
            assert "已超期 0 个工作日" not in part
        assert CITATION in mail.text


def test_snapshots_planned_before_citations_still_render() -> None:
    ctx = notice_context(
        "notice",
        "省公安厅",
        dt.date(2024, 10, 19),
        _items(),
        unassigned=False,
        repeat_every=2,
        escalate_after=3,
    )
    mail = render("notice", ctx)
    assert "在规定的工作日内予以答复" in mail.text and "时限5" not in mail.text
