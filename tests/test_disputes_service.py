"""情况说明 through the service over a real SQLite store: submitting, deciding once, the
exemption an accepted one makes, and the counts the 核实 round's report reads."""

from __future__ import annotations

from pathlib import Path

import pytest
from storehelpers import at, ingest_records, make_runtime, record

from slamon.adapters.store.db import open_store
from slamon.core.disputes import ACCEPTED, PENDING, REJECTED, check_attachment
from slamon.core.errors import InputError
from slamon.service import disputes
from slamon.service.disputes import DisputeCounts, DisputeNotFound
from slamon.service.exemptions import active_exemptions

NOW = at("2024-10-15 10:00")
PUB, NAT = "省公共资源交易中心", "省自然资源厅"


@pytest.fixture
def store(tmp_path: Path):  # noqa: ANN201
    rt = make_runtime(tmp_path)
    engine = open_store(f"sqlite:///{tmp_path / 'slamon.db'}")
    recs = [record(f"PUB-{i}", "2024-09-27 10:00") for i in range(3)]
    recs.append(record("NAT-1", "2024-09-27 10:00", provider_dept=NAT))
    ingest_records(engine, rt, recs, NOW)
    yield rt, engine
    engine.dispose()


def test_counts_and_citations_follow_the_decisions(store) -> None:
    rt, engine = store
    ids = ["PUB-0", "PUB-1", "PUB-2", "NAT-1"]
    assert disputes.dispute_counts(engine, ids) == DisputeCounts(0, 0, 0, 0)
    made = [disputes.submit(engine, rt, a, f"说明{a}", "李四", NOW) for a in ids]
    assert [d.status for d in made] == [PENDING] * 4
    later = at("2024-10-16 09:00")
    disputes.decide(engine, rt, made[0].id, ACCEPTED, "经核实属实", "王五", later)
    disputes.decide(engine, rt, made[1].id, REJECTED, "理由不成立", "王五", later)
    assert disputes.dispute_counts(engine, ids) == DisputeCounts(4, 1, 1, 2)
    assert disputes.dispute_counts(engine, ["PUB-0", "NAT-1"]) == DisputeCounts(2, 1, 0, 1)
    assert disputes.dispute_counts(engine, []) == DisputeCounts(0, 0, 0, 0)
    cited = disputes.accepted_disputes(engine, ids)
    assert cited == {"PUB-0": f"情况说明 #{made[0].id}：经核实属实"}
    with engine.connect() as conn:
        exempted = active_exemptions(conn)
    assert set(exempted) == {"PUB-0"}
    fact = exempted["PUB-0"]
    assert fact.reason == f"依据情况说明 #{made[0].id}：经核实属实" and fact.by == "王五"
    assert cited["PUB-0"] in fact.reason  # the appendix repeats nothing


def test_a_dispute_is_decided_once(store) -> None:
    rt, engine = store
    d = disputes.submit(engine, rt, "PUB-0", "说明", "李四", NOW)
    disputes.decide(engine, rt, d.id, REJECTED, "理由不成立", "王五", NOW)
    for decision in (ACCEPTED, REJECTED):
        with pytest.raises(InputError, match=r"已有核实结果（未采纳），不能再次决定"):
            disputes.decide(engine, rt, d.id, decision, "再议", "王五", NOW)
    with pytest.raises(DisputeNotFound, match="没有情况说明 #999"):
        disputes.decide(engine, rt, 999, ACCEPTED, "x", "王五", NOW)
    shown = disputes.get(engine, rt, d.id)
    assert (shown.status, shown.decision_reason, shown.decided_by) == (
        REJECTED,
        "理由不成立",
        "王五",
    )


def test_one_waiting_dispute_per_application_and_none_once_exempted(store) -> None:
    rt, engine = store
    first = disputes.submit(engine, rt, "PUB-0", "说明", "李四", NOW)
    with pytest.raises(InputError, match=f"已有待核实的情况说明 #{first.id}"):
        disputes.submit(engine, rt, "PUB-0", "再次说明", "李四", NOW)
    disputes.decide(engine, rt, first.id, REJECTED, "理由不成立", "王五", NOW)
    second = disputes.submit(engine, rt, "PUB-0", "补充证据", "李四", NOW)  # after a rejection
    disputes.decide(engine, rt, second.id, ACCEPTED, "补充证据属实", "王五", NOW)
    with pytest.raises(InputError, match="已核实排除，无需再提交"):
        disputes.submit(engine, rt, "PUB-0", "第三次", "李四", NOW)


@pytest.mark.parametrize("text", ["", "   \n", "字" * 4001])
def test_the_text_is_required_and_bounded(store, text: str) -> None:
    rt, engine = store
    with pytest.raises(InputError, match="情况说明"):
        disputes.submit(engine, rt, "PUB-0", text, "李四", NOW)
    assert disputes.list_disputes(engine, rt) == []


def test_a_department_sees_and_submits_for_its_own_applications_only(store) -> None:
    rt, engine = store
    with pytest.raises(DisputeNotFound) as foreign:
        disputes.submit(engine, rt, "NAT-1", "说明", "ggzy", NOW, departments=[PUB])
    with pytest.raises(DisputeNotFound) as unknown:
        disputes.submit(engine, rt, "NO-SUCH", "说明", "ggzy", NOW, departments=[PUB])
    assert str(foreign.value) == "存储库中没有申请 NAT-1"  # the same answer as an unknown id
    assert str(unknown.value) == "存储库中没有申请 NO-SUCH"
    d = disputes.submit(engine, rt, "NAT-1", "说明", "张三", NOW, departments=[NAT])
    assert disputes.get(engine, rt, d.id, [NAT]).department == NAT
    with pytest.raises(DisputeNotFound):
        disputes.get(engine, rt, d.id, [PUB])


def test_the_attachment_is_kept_with_its_checked_type(store) -> None:
    rt, engine = store
    pdf = b"%PDF-1.7\n" + bytes(range(256)) * 40
    a = check_attachment("C:\\扫描件\\复函.pdf", pdf, 10 * 1024 * 1024)
    d = disputes.submit(engine, rt, "PUB-1", "附复函", "李四", NOW, attachment=a)
    assert (d.attachment_name, d.attachment_type, d.attachment_size) == (
        "复函.pdf",
        "application/pdf",
        len(pdf),
    )
    view, data = disputes.attachment_of(engine, rt, d.id, [PUB])
    assert data == pdf and view.id == d.id
    plain = disputes.submit(engine, rt, "PUB-2", "无附件", "李四", NOW)
    with pytest.raises(DisputeNotFound, match="没有附件"):
        disputes.attachment_of(engine, rt, plain.id)


def test_disputes_in_each_store(store_url: str, tmp_path: Path) -> None:
    """A 10 MB attachment (the default limit: larger than MySQL's plain BLOB) comes back whole,
    and the second decision is refused by the store's unique key, on every store."""
    rt = make_runtime(tmp_path)
    engine = open_store(store_url)
    try:
        ingest_records(engine, rt, [record("PUB-0", "2024-09-27 10:00")], NOW)
        data = b"%PDF-1.7\n" + bytes(range(256)) * (10 * 4096 - 1)
        a = check_attachment("复函.pdf", data, 10 * 1024 * 1024)
        d = disputes.submit(engine, rt, "PUB-0", "附复函", "李四", NOW, attachment=a)
        assert disputes.attachment_of(engine, rt, d.id)[1] == data
        assert d.at == NOW
        disputes.decide(engine, rt, d.id, ACCEPTED, "属实", "王五", NOW)
        from slamon.adapters.store import disputes as store

        with pytest.raises(store.AlreadyDecided), engine.begin() as conn:
            store.decide(conn, d.id, REJECTED, "抢先", "赵六", NOW)
        assert disputes.get(engine, rt, d.id).status == ACCEPTED
        assert disputes.dispute_counts(engine, ["PUB-0"]) == DisputeCounts(1, 1, 0, 0)
    finally:
        engine.dispose()
