"""Doubtful data is held, not guessed: data_issue through ``import`` / poll on a real store."""

from __future__ import annotations

import dataclasses
import json

import pytest
from sqlalchemy import text
from storehelpers import at, fresh_pg_database, ingest_records, make_runtime, record

from slamon.adapters.sources.base import FetchResult, RawRow
from slamon.adapters.store import applications, data_issues
from slamon.adapters.store.db import open_store
from slamon.service.poll import apply_fetch, default_planner

HEADER = "申请编号,申请部门,提供部门,资源名称,共享类型,申请时间,审核状态,审核时间,收到时间,审批结果,审批时间\n"
PENDING = "GZ101,省税务局,省公共资源交易中心,工程类_招标项目,有条件共享,2024-12-02 09:00,通过,2024-12-02 10:00,2024-12-02 10:00,,\n"
# 驳回 without its date: the platform moved it, the row fails validation.
BAD_UPDATE = "GZ101,省税务局,省公共资源交易中心,工程类_招标项目,有条件共享,2024-12-02 09:00,通过,2024-12-02 10:00,2024-12-02 10:00,驳回,\n"
GOOD_UPDATE = "GZ101,省税务局,省公共资源交易中心,工程类_招标项目,有条件共享,2024-12-02 09:00,通过,2024-12-02 10:00,2024-12-02 10:00,驳回,2024-12-05 16:00\n"
OTHER = "GZ102,省税务局,省公安厅,户籍信息,有条件共享,2024-12-02 09:00,通过,2024-12-02 10:00,2024-12-02 10:00,,\n"


@pytest.fixture
def cfg(write_config):
    return write_config({"store": {"url": "sqlite:///store.db"}, "source": {"kind": "none"}})


def _import(run_cli, cfg, tmp_path, name, *rows, now="2024-12-31T10:00"):
    f = tmp_path / name
    f.write_text(HEADER + "".join(rows), encoding="utf-8")
    res = run_cli(["import", str(f), "--now", now, "--json"], config=cfg)
    assert res.exit_code == 0, res.stderr
    return json.loads(res.stdout)


def _status(run_cli, cfg, now="2024-12-31T10:00"):
    res = run_cli(["status", "--now", now, "--json"], config=cfg)
    assert res.exit_code == 0, res.stderr
    return {s["application_id"]: s for s in json.loads(res.stdout)}


def _late_ids(run_cli, cfg, month="2024-12"):
    res = run_cli(["report", "monthly", "--month", month, "--format", "json"], config=cfg)
    assert res.exit_code == 0, res.stderr
    return {a for g in json.loads(res.stdout)["late"] for a in g["applications"]}


def test_rejected_update_holds_then_good_row_settles(run_cli, cfg, tmp_path):
    _import(run_cli, cfg, tmp_path, "a.csv", PENDING, OTHER)
    assert _status(run_cli, cfg)["GZ101"]["stage"] == "overdue"
    assert _late_ids(run_cli, cfg) == {"GZ101", "GZ102"}

    out = _import(run_cli, cfg, tmp_path, "b.csv", BAD_UPDATE)
    assert out["rejected"] == 1 and out["errors"][0]["field"] == "decided_at"
    item = _status(run_cli, cfg)["GZ101"]
    assert item["stage"] == "data_issue"
    assert item["data_issue"]["reason"] == "rejected_update"
    assert "审批时间" in item["data_issue"]["detail"]
    assert _late_ids(run_cli, cfg) == {"GZ102"}  # held back from the accusation
    table = run_cli(["status", "--now", "2024-12-31T10:00"], config=cfg)
    assert "数据存疑：最新记录被拒绝" in table.stdout

    _import(run_cli, cfg, tmp_path, "c.csv", GOOD_UPDATE)
    item = _status(run_cli, cfg)["GZ101"]
    assert item["stage"] == "answered_on_time" and item["data_issue"] is None
    assert _late_ids(run_cli, cfg) == {"GZ102"}


def test_same_good_row_again_settles_a_rejected_update(run_cli, cfg, tmp_path):
    """The good copy re-read unchanged still settles the doubt (nothing to update, issue cleared)."""
    _import(run_cli, cfg, tmp_path, "a.csv", PENDING)
    _import(run_cli, cfg, tmp_path, "b.csv", BAD_UPDATE)
    assert _status(run_cli, cfg)["GZ101"]["stage"] == "data_issue"
    out = _import(run_cli, cfg, tmp_path, "c.csv", PENDING)
    assert out["unchanged"] == 1
    assert _status(run_cli, cfg)["GZ101"]["stage"] == "overdue"


def test_rejected_row_of_an_unknown_id_is_just_a_rejected_row(run_cli, cfg, tmp_path):
    out = _import(run_cli, cfg, tmp_path, "a.csv", BAD_UPDATE, OTHER)
    assert (out["inserted"], out["rejected"]) == (1, 1)
    status = _status(run_cli, cfg)
    assert "GZ101" not in status
    assert status["GZ102"]["stage"] == "overdue"


def test_conflicting_rows_in_one_read_are_held(run_cli, cfg, tmp_path):
    answered = PENDING.replace(",,\n", ",签发,2024-12-04 10:00\n")
    _import(run_cli, cfg, tmp_path, "a.csv", PENDING, answered, OTHER, OTHER)
    status = _status(run_cli, cfg)
    assert status["GZ101"]["stage"] == "data_issue"
    assert status["GZ101"]["data_issue"]["reason"] == "conflicting_rows"
    assert "a.csv:2" in status["GZ101"]["data_issue"]["detail"]
    assert status["GZ102"]["stage"] == "overdue"  # identical duplicates are no conflict
    assert _late_ids(run_cli, cfg) == {"GZ102"}
    _import(run_cli, cfg, tmp_path, "b.csv", answered)
    assert _status(run_cli, cfg)["GZ101"]["stage"] == "answered_on_time"


def _held_flow(engine, tmp_path):
    rt = make_runtime(tmp_path)
    ingest_records(engine, rt, [record("A1"), record("A2")], at("2024-10-08 10:00"))
    bad = dict(record("A1").as_dict(), decision="驳回", decided_at=None)
    summary = apply_fetch(
        engine,
        rt,
        "test",
        FetchResult(rows=[RawRow("r1", bad)]),
        at("2024-10-14 10:00"),
        planner=default_planner(),
    )
    assert (summary.rejected, summary.data_issues) == (1, 1)
    with engine.connect() as conn:
        stages = applications.stages_of(conn, ["A1", "A2"])
        issues = data_issues.open_issues(conn)
        items = [
            i["application_id"]
            for (raw,) in conn.execute(text("SELECT items FROM outbox"))
            for i in json.loads(raw)
        ]
    assert stages == {"A1": "data_issue", "A2": "overdue"}
    assert issues["A1"][0] == "rejected_update"
    assert "A2" in items and "A1" not in items  # the held application is in no notice
    answered = dataclasses.replace(
        record("A1"), decision="approved", decided_at=at("2024-10-09 09:00")
    )
    summary = ingest_records(engine, rt, [answered], at("2024-10-15 10:00"))
    assert summary.issues_cleared == 1
    with engine.connect() as conn:
        assert applications.stages_of(conn, ["A1"]) == {"A1": "answered_on_time"}
        assert data_issues.open_issues(conn) == {}


def test_held_and_settled_on_sqlite(tmp_path):
    _held_flow(open_store(f"sqlite:///{tmp_path / 'store.db'}"), tmp_path)


def test_held_and_settled_on_postgresql(pg_url, tmp_path):
    with fresh_pg_database(pg_url) as url:
        engine = open_store(url)
        try:
            _held_flow(engine, tmp_path)
        finally:
            engine.dispose()


def test_doubts_span_the_batches_of_one_read(tmp_path):
    """A read in batches: the same id with other content in a later batch is a conflict, and a
    later batch's good row does not release what an earlier batch held."""
    from slamon.service.poll import apply_batches

    engine = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    rt = make_runtime(tmp_path)
    ingest_records(engine, rt, [record("A1"), record("A2")], at("2024-10-08 10:00"))
    answered = dataclasses.replace(record("A1"), decision="approved", decided_at=at("2024-10-09"))
    bad = dict(record("A2").as_dict(), decision="驳回", decided_at=None)
    batches = [
        [RawRow("r1", record("A1").as_dict()), RawRow("r2", bad)],
        [RawRow("r3", answered.as_dict()), RawRow("r4", record("A2").as_dict())],
    ]
    apply_batches(engine, rt, "test", batches, lambda: FetchResult(rows=[]), at("2024-10-14 10:00"))
    with engine.connect() as conn:
        issues = data_issues.open_issues(conn)
        stages = applications.stages_of(conn, ["A1", "A2"])
    assert {a: i[0] for a, i in issues.items()} == {
        "A1": "conflicting_rows",
        "A2": "rejected_update",
    }
    assert stages == {"A1": "data_issue", "A2": "data_issue"}
