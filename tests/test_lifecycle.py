"""The record's lifecycle on real platforms: every platform word, withdrawn, returned, site words."""

from __future__ import annotations

import dataclasses
import json

import pytest
from sqlalchemy import text
from storehelpers import REPO_ROOT, at, ingest_records, make_runtime, record

from slamon.adapters.store import applications
from slamon.adapters.store.db import open_store
from slamon.config import parse_settings
from slamon.core.errors import ConfigError
from slamon.service.reports import digest, monthly_report

HEADER = "申请编号,申请部门,提供部门,资源名称,共享类型,申请时间,审核状态,审核时间,收到时间,审批结果,审批时间\n"
ROW = "{id},省税务局,省公安厅,户籍信息,有条件共享,2024-12-02 09:00,通过,2024-12-02 10:00,2024-12-02 10:00,{word},{when}\n"

# CONTRACT §1 and DOMAIN "The record's lifecycle on real platforms": word → canonical decision.
WORDS = {
    "通过": "approved",
    "签发": "approved",
    "已签发": "approved",
    "同意": "approved",
    "已同意": "approved",
    "已通过": "approved",
    "审批通过": "approved",
    "驳回": "rejected",
    "已驳回": "rejected",
    "审批不通过": "rejected",
    "不同意": "rejected",
    "退回": "returned",
    "已退回": "returned",
    "退回补正": "returned",
    "已撤回": "withdrawn",
    "撤回": "withdrawn",
    "已撤销": "withdrawn",
    "撤销": "withdrawn",
    "作废": "withdrawn",
    "已作废": "withdrawn",
    "待审批": "pending",
}
STAGE_OF = {
    "approved": "answered_on_time",
    "rejected": "answered_on_time",
    "returned": "answered_on_time",  # returned stops the clock as the answer (default rule)
    "withdrawn": "withdrawn",
    "pending": "overdue",
}


@pytest.fixture
def cfg(write_config):
    return write_config({"store": {"url": "sqlite:///store.db"}, "source": {"kind": "none"}})


def _csv(tmp_path, rows, name="export.csv"):
    f = tmp_path / name
    f.write_text(HEADER + "".join(rows), encoding="utf-8")
    return f


def test_every_platform_word_through_import(run_cli, cfg, tmp_path):
    rows = [
        ROW.format(id=f"W{i:02d}", word=w, when="" if c == "pending" else "2024-12-04 15:00")
        for i, (w, c) in enumerate(WORDS.items())
    ]
    res = run_cli(["import", str(_csv(tmp_path, rows)), "--json"], config=cfg)
    out = json.loads(res.stdout)
    assert (out["inserted"], out["rejected"]) == (len(WORDS), 0), out["errors"]
    engine = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    ids = [f"W{i:02d}" for i in range(len(WORDS))]
    with engine.connect() as conn:
        stored = applications.load_records(conn, ids)
    assert [stored[i].decision for i in ids] == list(WORDS.values())
    status = json.loads(
        run_cli(["status", "--now", "2024-12-31T10:00", "--json"], config=cfg).stdout
    )
    stages = {s["application_id"]: s["stage"] for s in status}
    assert [stages[i] for i in ids] == [STAGE_OF[c] for c in WORDS.values()]


def test_withdrawn_without_a_date_is_valid_returned_without_one_is_not(run_cli, cfg, tmp_path):
    rows = [ROW.format(id="X1", word="已撤回", when=""), ROW.format(id="X2", word="退回", when="")]
    out = json.loads(run_cli(["import", str(_csv(tmp_path, rows)), "--json"], config=cfg).stdout)
    assert out["inserted"] == 1
    assert [(e["row"], e["field"]) for e in out["errors"]] == [("export.csv:3", "decided_at")]


def test_site_vocabulary_maps_its_own_words(run_cli, write_config, tmp_path):
    cfg = write_config(
        {
            "store": {"url": "sqlite:///store.db"},
            "source": {"kind": "none"},
            "vocabulary": {
                "decision": {"办结": "approved", "申请人取消": "withdrawn"},
                "share_type": {"受限共享": "conditional"},
                "review_status": {"初审通过": "passed"},
            },
        }
    )
    rows = [
        ROW.format(id="S1", word="办结", when="2024-12-04 15:00"),
        ROW.format(id="S2", word="申请人取消", when="").replace("有条件共享", "受限共享"),
        ROW.format(id="S3", word="", when="").replace(",通过,", ",初审通过,"),
    ]
    out = json.loads(run_cli(["import", str(_csv(tmp_path, rows)), "--json"], config=cfg).stdout)
    assert (out["inserted"], out["rejected"]) == (3, 0), out["errors"]
    status = json.loads(
        run_cli(["status", "--now", "2024-12-31T10:00", "--json"], config=cfg).stdout
    )
    stages = {s["application_id"]: s["stage"] for s in status}
    assert stages == {"S1": "answered_on_time", "S2": "withdrawn", "S3": "overdue"}


@pytest.mark.parametrize(
    ("vocabulary", "key"),
    [
        ({"decision": {"办结": "done"}}, "vocabulary.decision.办结"),
        ({"review_status": {"初审": "approved"}}, "vocabulary.review_status.初审"),
        ({"share_type": {"受限": "restricted"}}, "vocabulary.share_type.受限"),
        ({"decisions": {"办结": "approved"}}, "vocabulary.decisions"),
        ({"decision": ["办结"]}, "vocabulary.decision"),
    ],
)
def test_bad_site_vocabulary_names_the_key(vocabulary, key, tmp_path, run_cli, write_config):
    with pytest.raises(ConfigError) as err:
        parse_settings({"vocabulary": vocabulary}, None, tmp_path, {})
    assert err.value.key == key
    cfg = write_config({"vocabulary": vocabulary, "source": {"kind": "none"}})
    res = run_cli(["status"], config=cfg)
    assert res.exit_code == 1 and key in res.stderr


@pytest.fixture
def engine(tmp_path):
    return open_store(f"sqlite:///{tmp_path / 'store.db'}")


def _late(engine, rt, month):
    report = monthly_report(engine, rt, month)
    return {a for g in report.figures.late for a in g.applications}


def _notice_items(engine):
    with engine.connect() as conn:
        return {
            i["application_id"]
            for (raw,) in conn.execute(text("SELECT items FROM outbox"))
            for i in json.loads(raw)
        }


@pytest.mark.parametrize("withdrawn_on", ["2024-10-09 09:00", "2024-10-14 09:00"])
def test_withdrawn_before_or_after_the_deadline_is_never_late(engine, tmp_path, withdrawn_on):
    """Received 2024-09-27, due 2024-10-10: withdrawn before it, or after it (already overdue)."""
    rt = make_runtime(tmp_path)
    ingest_records(engine, rt, [record("A1"), record("A2")], at("2024-10-08 10:00"), plan=True)
    gone = dataclasses.replace(record("A1"), decision="withdrawn", decided_at=at(withdrawn_on))
    ingest_records(engine, rt, [gone], at("2024-10-14 10:00"))
    ingest_records(engine, rt, [], at("2024-10-15 10:00"), plan=True)
    with engine.connect() as conn:
        assert applications.stages_of(conn, ["A1", "A2"]) == {"A1": "withdrawn", "A2": "overdue"}
    assert "A1" not in _notice_items(engine) and "A2" in _notice_items(engine)
    assert _late(engine, rt, "2024-10") == {"A2"}
    assert _late(engine, rt, "2024-09") == set()
    assert monthly_report(engine, rt, "2024-09").figures.dispatch.withdrawn == 0  # not yet then
    report = monthly_report(engine, rt, "2024-09", at("2024-10-20 10:00"))
    assert report.figures.dispatch.withdrawn == 1
    assert "申请方撤回或作废1次" in report.dispatch_text


def test_returned_is_the_answer_unless_the_rule_says_open(engine, tmp_path):
    returned = dataclasses.replace(
        record("A1"), decision="returned", decided_at=at("2024-10-12 09:00")
    )
    rt = make_runtime(tmp_path)
    ingest_records(engine, rt, [returned, record("A2")], at("2024-10-15 10:00"))
    with engine.connect() as conn:
        assert applications.stages_of(conn, ["A1"]) == {"A1": "answered_late"}
    assert _late(engine, rt, "2024-10") == {"A1", "A2"}
    assert (
        monthly_report(engine, rt, "2024-09", at("2024-10-20 10:00")).figures.dispatch.returned == 1
    )

    site = tmp_path / "site-rules"
    site.mkdir()
    text_ = (REPO_ROOT / "slamon/data/rules/guizhou-2023.yaml").read_text(encoding="utf-8")
    text_ = text_.replace("  stop: decided_at ", "  returned: open\n  stop: decided_at ", 1)
    (site / "guizhou-2023.yaml").write_text(text_, encoding="utf-8")
    rt_open = make_runtime(tmp_path, rules={"dir": str(site), "active": ["guizhou-2023"]})
    assert not rt_open.rules.get("guizhou-2023").returned_is_answer
    ingest_records(engine, rt_open, [], at("2024-10-16 10:00"))  # rules changed: re-evaluated
    with engine.connect() as conn:
        assert applications.stages_of(conn, ["A1"]) == {"A1": "overdue"}


def test_digest_counts_returned_and_withdrawn_on_their_own_lines(engine, tmp_path):
    rt = make_runtime(tmp_path)
    recs = [
        dataclasses.replace(record("R1"), decision="returned", decided_at=at("2024-10-08 09:00")),
        dataclasses.replace(record("W1"), decision="withdrawn", decided_at=at("2024-10-09 09:00")),
        record("P1"),
    ]
    ingest_records(engine, rt, recs, at("2024-10-14 10:00"))
    d = digest(engine, rt, "2024-W41", at("2024-10-14 10:00"))
    total = d.total.current
    assert (total.returned, total.withdrawn, total.answered) == (1, 1, 1)
    d = digest(engine, rt, "2024-W41", at("2024-10-14 10:00"))
    from slamon.adapters.render.digest import render_digest

    body = render_digest(d, rt.tz).text
    assert "本周退回补正1次" in body


def test_date_only_answer_on_the_receipt_day_is_valid(run_cli, cfg, tmp_path):
    """A DATE-only answer or receipt compares by day: on the same day it is not "before"."""
    base = "{id},省税务局,省公安厅,户籍信息,有条件共享,{sub},通过,{rev},{rec},{word},{dec}\n"
    rows = [
        # answered (DATE only) on the receipt day, received at 10:00
        base.format(
            id="D1",
            sub="2024-12-02 09:00",
            rev="2024-12-02 10:00",
            rec="2024-12-02 10:00",
            word="通过",
            dec="2024-12-02",
        ),
        # received (DATE only) on the submission day, submitted at 09:00
        base.format(
            id="D2", sub="2024-12-02 09:00", rev="2024/12/02", rec="2024/12/02", word="", dec=""
        ),
        # a real contradiction is still one: answered (DATE only) the day before receipt
        base.format(
            id="D3",
            sub="2024-12-02 09:00",
            rev="2024-12-03 10:00",
            rec="2024-12-03 10:00",
            word="通过",
            dec="2024-12-02",
        ),
        # both with a time: 09:00 before 10:00 is still rejected
        base.format(
            id="D4",
            sub="2024-12-02 09:00",
            rev="2024-12-02 10:00",
            rec="2024-12-02 10:00",
            word="通过",
            dec="2024-12-02 09:00",
        ),
    ]
    out = json.loads(run_cli(["import", str(_csv(tmp_path, rows)), "--json"], config=cfg).stdout)
    assert out["inserted"] == 2
    assert [(e["row"], e["field"]) for e in out["errors"]] == [
        ("export.csv:4", "decided_at"),
        ("export.csv:5", "decided_at"),
    ]
    status = json.loads(
        run_cli(["status", "--now", "2024-12-10T10:00", "--json"], config=cfg).stdout
    )
    stages = {s["application_id"]: (s["stage"], s["deadline"]) for s in status}
    assert stages["D1"] == ("answered_on_time", "2024-12-09T23:59:59+08:00")
    assert stages["D2"] == ("overdue", "2024-12-09T23:59:59+08:00")


def test_a_date_column_value_is_date_only(tz):
    import datetime as dt

    from slamon.core.records import validate_row

    raw = dict(record("A1", received="2024-09-27 10:00").as_dict(), decision="通过")
    raw["decided_at"] = dt.date(2024, 9, 27)  # a DATE column of the platform database
    rec = validate_row(raw, 1, tz)
    assert rec.date_only == {"decided_at"}
    assert rec.decided_at == at("2024-09-27 00:00")
