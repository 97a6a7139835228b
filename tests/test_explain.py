"""``slamon explain``: the record, its history, the rule, the day-by-day count, the mail about it."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from storehelpers import REPO_ROOT, at, ingest_records, make_runtime, record

from slamon.adapters.store.db import open_store
from slamon.core.evidence import walk


@pytest.fixture
def store(tmp_path, write_config):
    cfg = write_config(
        {
            "store": {"url": "sqlite:///store.db"},
            "rules": {"dir": str(REPO_ROOT / "rules")},
            "source": {"kind": "none"},
            "contacts": {"省公共资源交易中心": ["jy@example.org"]},
            "supervisors": ["boss@example.org"],
        }
    )
    engine = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    rt = make_runtime(
        tmp_path,
        contacts={"省公共资源交易中心": ["jy@example.org"]},
        supervisors=["boss@example.org"],
    )
    # received the working day before 国庆节 2024: counts 10-08 … 10-12 (a makeup Saturday)
    ingest_records(engine, rt, [record("G1", received="2024-09-30 10:00")], at("2024-09-30 12:00"))
    return cfg, engine, rt


def test_walk_skips_national_day_and_counts_the_makeup_saturday(calendar):
    days = walk(dt.date(2024, 9, 30), dt.date(2024, 10, 12), calendar, until=dt.date(2024, 10, 15))
    by_day = {d.day: d for d in days}
    assert by_day[dt.date(2024, 9, 30)].kind == "start"
    for n in range(1, 8):
        d = by_day[dt.date(2024, 10, n)]
        assert d.kind == "skipped" and "国庆节" in d.reason, d
    assert "周末" in by_day[dt.date(2024, 10, 5)].reason
    counted = [d for d in days if d.kind == "counted"]
    assert [d.day.day for d in counted] == [8, 9, 10, 11, 12]
    assert counted[-1].number == 5 and counted[-1].reason == "调休上班"
    assert [(d.day.day, d.kind) for d in days if d.day.day in (13, 14, 15)] == [
        (13, "late_off"),
        (14, "late"),
        (15, "late"),
    ]


def test_explain_json_lists_every_day_with_its_reason(run_cli, store):
    cfg, engine, rt = store
    res = run_cli(["explain", "G1", "--now", "2024-10-15T10:00", "--json"], config=cfg)
    assert res.exit_code == 0, res.stderr
    [ev] = json.loads(res.stdout)
    assert ev["rule"]["id"] == "guizhou-2023"
    assert "5个工作日内予以答复" in ev["rule"]["citation"]
    assert ev["rule"]["working_days"] == 5
    assert ev["clock_field"] == "received_at"
    assert ev["clock_start"].startswith("2024-09-30T10:00")
    assert ev["deadline_date"] == "2024-10-12"
    assert ev["stage"] == "overdue" and ev["overdue_working_days"] == 2
    days = {d["date"]: d for d in ev["days"]}
    assert [days[f"2024-10-0{n}"]["kind"] for n in range(1, 8)] == ["skipped"] * 7
    assert all("国庆节" in days[f"2024-10-0{n}"]["reason"] for n in range(1, 8))
    assert days["2024-10-12"] == {
        "date": "2024-10-12",
        "weekday": 6,
        "kind": "counted",
        "number": 5,
        "reason": "调休上班",
    }
    assert [e["kind"] for e in ev["events"]] == ["created"]
    assert ev["exempted"] is False and ev["notices"] == []


def test_explain_shows_the_answer_change_and_working_days_late(run_cli, store):
    cfg, engine, rt = store
    answered = record(
        "G1",
        received="2024-09-30 10:00",
        decision="approved",
        decided_at=at("2024-10-14 09:30"),
    )
    ingest_records(engine, rt, [answered], at("2024-10-14 12:00"))
    res = run_cli(["explain", "G1", "--now", "2024-10-20T10:00", "--json"], config=cfg)
    [ev] = json.loads(res.stdout)
    assert ev["stage"] == "answered_late" and ev["overdue_working_days"] == 1
    assert [e["kind"] for e in ev["events"]] == ["created", "changed"]
    assert set(ev["events"][1]["changes"]) >= {"decision", "decided_at"}
    assert ev["days"][-1] == {
        "date": "2024-10-14",
        "weekday": 1,
        "kind": "late",
        "number": 1,
        "reason": "",
    }
    text = run_cli(["explain", "G1", "--now", "2024-10-20T10:00"], config=cfg)
    assert text.exit_code == 0, text.stderr
    out = text.stdout
    for words in (
        "《贵州省政务数据资源管理办法》",
        "提供方收到时间 2024-09-30 10:00",
        "国庆节",
        "第5个工作日",
        "调休上班",
        "答复期限",
        "超期第1个工作日",
        "超期答复",
        "超期1个工作日",
        "审批结果：待审批 → 通过",
    ):
        assert words in out, words


def test_explain_lists_the_notices_about_it(run_cli, store):
    cfg, engine, rt = store
    ingest_records(engine, rt, [], at("2024-10-14 10:00"), plan=True)
    res = run_cli(["explain", "G1", "--now", "2024-10-14T11:00", "--json"], config=cfg)
    [ev] = json.loads(res.stdout)
    assert ev["notices"], "the overdue notice planned at 10-14 names G1"
    assert {n["kind"] for n in ev["notices"]} >= {"notice"}
    assert ev["notices"][0]["working_day"] == "2024-10-14"
    assert ev["notices"][0]["recipients"] == ["jy@example.org"]


def test_explain_unknown_id_is_a_one_line_error(run_cli, store):
    cfg, *_ = store
    res = run_cli(["explain", "NOPE"], config=cfg)
    assert res.exit_code == 1
    assert res.stderr.startswith("错误：") and "NOPE" in res.stderr


def test_explain_a_doubtful_application_holds_the_verdict(run_cli, store):
    from slamon.adapters.store import data_issues

    cfg, engine, rt = store
    with engine.begin() as conn:
        data_issues.mark(
            conn, [("G1", "conflicting_rows", "同一次读取中两行内容不同")], at("2024-10-14 09:00")
        )
    [ev] = json.loads(
        run_cli(["explain", "G1", "--now", "2024-10-15T10:00", "--json"], config=cfg).stdout
    )
    assert ev["stage"] == "data_issue" and ev["computed_stage"] == "overdue"
    assert ev["data_issue"]["reason_code"] == "conflicting_rows"
    text = run_cli(["explain", "G1", "--now", "2024-10-15T10:00"], config=cfg).stdout
    assert "结论：数据存疑，暂不作判定" in text and "同一编号内容冲突" in text
