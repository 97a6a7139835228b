"""An exempted (核实排除) late application leaves `late`, the next notices and the ranking, and the
report says so; a revoke brings it back. Warnings when a report cannot be relied on."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from storehelpers import REPO_ROOT, at, ingest_records, make_runtime, record

from slamon.adapters.store.db import open_store
from slamon.adapters.store.models import Outbox

CENTRE = "省公共资源交易中心"
CONTACTS = {CENTRE: ["jy@example.org"], "甲": ["jia@example.org"], "乙": ["yi@example.org"]}


def _answered(aid: str, dept: str, received: str, decided: str):  # noqa: ANN202
    return record(
        aid, received=received, provider_dept=dept, decision="approved", decided_at=at(decided)
    )


@pytest.fixture
def store(tmp_path, write_config):
    cfg = write_config(
        {
            "store": {"url": "sqlite:///store.db"},
            "rules": {"dir": str(REPO_ROOT / "rules")},
            "source": {"kind": "none"},
            "contacts": CONTACTS,
        }
    )
    engine = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    rt = make_runtime(tmp_path, contacts=CONTACTS)
    records = [
        record("L1", received="2024-10-08 10:00", provider_dept=CENTRE),  # due 10-15, unanswered
        record("L2", received="2024-10-08 10:00", provider_dept=CENTRE, resource_name="对照"),
        _answered("R1", "甲", "2024-10-08 10:00", "2024-10-09 10:00"),
        _answered("R2", "甲", "2024-10-08 10:00", "2024-10-10 10:00"),
        _answered("R3", "甲", "2024-10-08 10:00", "2024-10-17 10:00"),  # 2 working days late
        *(_answered(f"Y{i}", "乙", "2024-10-09 10:00", "2024-10-11 10:00") for i in range(3)),
    ]
    ingest_records(engine, rt, records, at("2024-10-16 10:00"), plan=True)
    return cfg, engine, rt


def _report(run_cli, cfg) -> dict:
    res = run_cli(
        [
            "report",
            "monthly",
            "--month",
            "2024-10",
            "--format",
            "json",
            "--now",
            "2024-11-05T09:00",
        ],
        config=cfg,
    )
    assert res.exit_code == 0, res.stderr
    return json.loads(res.stdout)


def _late_ids(report: dict) -> set[str]:
    return {aid for g in report["late"] for aid in g["applications"]}


def _notice_items(engine, day: str) -> set[str]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(Outbox.__table__.c["items"]).where(Outbox.__table__.c.working_day == day)
        ).scalars()
        return {i["application_id"] for items in rows for i in json.loads(items)}


def test_exempt_leaves_late_notices_and_ranking_and_revoke_brings_it_back(run_cli, store):
    cfg, engine, rt = store
    before = _report(run_cli, cfg)
    assert {"L1", "L2", "R3"} <= _late_ids(before)
    assert "甲" in before["timeliness_top"]
    assert before["data_quality"]["exempted"] == 0
    assert {"L1", "L2"} <= _notice_items(engine, "2024-10-16")

    res = run_cli(
        [
            "exempt",
            "L1",
            "R3",
            "--reason",
            "已电话答复，经核实",
            "--by",
            "王五",
            "--now",
            "2024-10-17T09:00",
        ],
        config=cfg,
    )
    assert res.exit_code == 0, res.stderr
    after = _report(run_cli, cfg)
    assert _late_ids(after) == _late_ids(before) - {"L1", "R3"}
    assert "甲" not in after["timeliness_top"]  # two answers left: below the ranking threshold
    dq = after["data_quality"]
    assert set(dq) >= {"last_read", "rejected_rows", "data_issues", "exempted", "withdrawn"}
    assert dq["exempted"] == 2
    assert {(e["application_id"], e["reason"], e["by"]) for e in dq["exemptions"]} == {
        ("L1", "已电话答复，经核实", "王五"),
        ("R3", "已电话答复，经核实", "王五"),
    }
    assert "L1" not in after["problems_text"] and "对照" in after["problems_text"]
    text = run_cli(
        ["report", "monthly", "--month", "2024-10", "--now", "2024-11-05T09:00"], config=cfg
    ).stdout
    assert "经核实排除的申请2件" in text and "附：核实排除的申请" in text
    assert "已电话答复，经核实" in text

    # the next overdue repeat (two working days after 10-16) names L2, not the exempted L1
    ingest_records(engine, rt, [], at("2024-10-18 10:00"), plan=True)
    day18 = _notice_items(engine, "2024-10-18")
    assert "L2" in day18 and "L1" not in day18
    status = json.loads(
        run_cli(["status", "--now", "2024-10-18T11:00", "--json"], config=cfg).stdout
    )
    assert {i["application_id"]: i.get("exempted") for i in status}["L1"] is True

    res = run_cli(["exempt", "--revoke", "L1", "R3", "--now", "2024-10-21T09:00"], config=cfg)
    assert res.exit_code == 0, res.stderr
    back = _report(run_cli, cfg)
    assert _late_ids(back) == _late_ids(before)
    assert back["timeliness_top"] == before["timeliness_top"]
    assert back["data_quality"]["exempted"] == 0
    ingest_records(engine, rt, [], at("2024-10-22 10:00"), plan=True)
    assert {"L1", "L2"} <= _notice_items(engine, "2024-10-22")


def test_report_on_an_empty_store_warns(run_cli, tmp_path, write_config):
    cfg = write_config({"store": {"url": "sqlite:///empty.db"}, "source": {"kind": "none"}})
    res = run_cli(
        ["report", "monthly", "--month", "2024-12", "--now", "2025-01-05T09:00"], config=cfg
    )
    assert res.exit_code == 0, res.stderr
    assert "警告：" in res.stderr and "没有2024年12月的申请记录" in res.stderr
    assert "尚未成功读取过平台数据" in res.stderr
    assert "注意：存储库中没有2024年12月的申请记录" in res.stdout
    data = json.loads(
        run_cli(
            [
                "report",
                "monthly",
                "--month",
                "2024-12",
                "--format",
                "json",
                "--now",
                "2025-01-05T09:00",
            ],
            config=cfg,
        ).stdout
    )
    assert data["dispatch"]["applications"] == 0
    assert data["data_quality"]["last_read"] is None
    assert any("没有2024年12月的申请记录" in w for w in data["data_quality"]["warnings"])


def test_as_of_in_the_future_or_after_the_last_read_warns(run_cli, store):
    cfg, *_ = store  # last successful read: 2024-10-16 10:00
    res = run_cli(
        [
            "report",
            "monthly",
            "--month",
            "2024-10",
            "--as-of",
            "2024-10-25T12:00",
            "--now",
            "2024-10-18T09:00",
        ],
        config=cfg,
    )
    assert res.exit_code == 0, res.stderr
    assert "晚于当前时间" in res.stderr
    assert "晚于最后一次成功读取平台数据（2024年10月16日 10:00）" in res.stderr
    assert "注意：统计截至时刻" in res.stdout
    ok = run_cli(
        [
            "report",
            "monthly",
            "--month",
            "2024-10",
            "--as-of",
            "2024-10-16T09:00",
            "--now",
            "2024-10-18T09:00",
        ],
        config=cfg,
    )
    assert "警告" not in ok.stderr and "注意：" not in ok.stdout


def test_digest_says_what_it_rests_on(run_cli, store, tmp_path, write_config):
    cfg, *_ = store  # last successful read 2024-10-16 10:00; week 42 ends 2024-10-20 24:00
    run_cli(["exempt", "L1", "--reason", "已核实", "--now", "2024-10-17T09:00"], config=cfg)
    res = run_cli(["digest", "--week", "2024-W42", "--now", "2024-10-21T09:00"], config=cfg)
    assert res.exit_code == 0, res.stderr
    assert "注意：统计截至时刻晚于最后一次成功读取平台数据（2024年10月16日 10:00）" in res.stdout
    assert "数据说明：本期数字依据截至2024年10月16日 10:00成功读取的平台数据" in res.stdout
    assert "经核实排除的申请1件" in res.stdout
    assert "L1" not in res.stdout  # exempted: not among the longest overdue
    empty = write_config(
        {"store": {"url": "sqlite:///empty.db"}, "source": {"kind": "none"}},
        folder=tmp_path / "empty",
    )
    res = run_cli(["digest", "--week", "2024-W42", "--now", "2024-10-21T09:00"], config=empty)
    assert "注意：尚未成功读取过平台数据" in res.stdout
    assert "注意：存储库中没有2024年第42周" in res.stdout
    assert "警告：存储库中没有2024年第42周" in res.stderr
