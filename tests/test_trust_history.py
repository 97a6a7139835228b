"""Four false accusations an auditor found, reproduced through real stores and fixed: slamon
judges with the history it already holds (core/history) and holds rows that contradict
themselves.

December 2024: received Mon 12-02 10:00 → 5 working days (3, 4, 5, 6, 9) → due 12-09 24:00.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from storehelpers import REPO_ROOT, at, ingest_records, make_runtime, record

from slamon.adapters.render.text import render_text
from slamon.adapters.store import applications
from slamon.adapters.store.db import open_store
from slamon.adapters.store.models import Outbox
from slamon.core.records import ApplicationRecord
from slamon.service.delivery import deliver_due
from slamon.service.explain import explain
from slamon.service.reports import monthly_report
from slamon.service.status import build_status

RECEIVED = "2024-12-02 10:00"


def base(aid: str = "A1", **kw: Any) -> ApplicationRecord:
    times = {"submitted_at": at("2024-12-02 09:00"), "reviewed_at": at("2024-12-02 09:30")}
    return record(aid, RECEIVED, **{**times, **kw})


def site_rules(tmp_path: Path, old: str, new: str) -> dict[str, Any]:
    """``rules:`` config with a copy of guizhou-2023 where ``old`` is replaced by ``new``."""
    folder = tmp_path / "site-rules"
    folder.mkdir(exist_ok=True)
    text = (REPO_ROOT / "slamon/data/rules/guizhou-2023.yaml").read_text(encoding="utf-8")
    assert old in text
    (folder / "guizhou-2023.yaml").write_text(text.replace(old, new), encoding="utf-8")
    return {"dir": str(folder), "active": ["guizhou-2023"]}


def answered(r: ApplicationRecord, decision: str, when: str, **kw: Any) -> ApplicationRecord:
    return dataclasses.replace(r, decision=decision, decided_at=at(when), **kw)


def state(engine: Any, rt: Any, aid: str, now: str) -> Any:
    items = {i.record.application_id: i for i in build_status(engine, rt, at(now)).items}
    return items[aid].state


def stored_stage(engine: Any, aid: str) -> str:
    with engine.connect() as conn:
        return applications.stages_of(conn, [aid])[aid]


def problems(engine: Any, rt: Any, month: str = "2024-12", now: str = "2025-01-02 09:00") -> str:
    """The report's 存在问题 section, and its whole text."""
    text = render_text(monthly_report(engine, rt, month, now=at(now)))
    return text.split("存在问题")[1].split("附")[0], text


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Any:
    engine = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    yield engine
    engine.dispose()


# -- 1. the review has not passed: the provider has received nothing ---------------------------
def test_a_receipt_before_the_review_passed_starts_no_clock(
    sqlite_store: Any, tmp_path: Path
) -> None:
    rt = make_runtime(tmp_path)
    waiting = base("W1", review_status="pending", reviewed_at=None)
    ingest_records(sqlite_store, rt, [waiting, base("L1")], at("2024-12-20 10:00"), plan=True)
    assert stored_stage(sqlite_store, "W1") == "awaiting_review"
    assert stored_stage(sqlite_store, "L1") == "overdue"  # the same dates, reviewed: late
    with sqlite_store.connect() as conn:
        planned = list(conn.execute(select(Outbox.__table__.c["items"])).scalars())
    assert planned and all("W1" not in items for items in planned)
    section, _text = problems(sqlite_store, rt)
    assert section.count("工程类_招标项目") == 1  # L1 only
    assert "W1" not in _text.split("附")[-1]


def test_a_receipt_days_before_the_review_is_held_or_counted_from_the_review(
    sqlite_store: Any, tmp_path: Path
) -> None:
    early = base("E1", reviewed_at=at("2024-12-04 09:00"), submitted_at=at("2024-12-01 09:00"))
    rt = make_runtime(tmp_path)
    ingest_records(sqlite_store, rt, [early], at("2024-12-10 10:00"))
    s = state(sqlite_store, rt, "E1", "2024-12-10 10:00")
    assert (s.stage, s.issue) == ("data_issue", "received_before_review")
    section, text = problems(sqlite_store, rt)
    assert "工程类_招标项目" not in section and "暂不作判定" in text
    # A rule that says so counts from the review: 12-04 → 5, 6, 9, 10, 11.
    rules = site_rules(tmp_path, "clock:\n", "clock:\n  received_before_review: review\n")
    rt2 = make_runtime(tmp_path, rules=rules)
    s = state(sqlite_store, rt2, "E1", "2024-12-10 10:00")
    assert (s.stage, s.deadline_date.isoformat()) == ("due_soon", "2024-12-11")


# -- 2. an answer changed after slamon stored it -------------------------------------------------
@pytest.mark.parametrize(
    ("first", "later"),
    [
        (("approved", "2024-12-06 15:00"), ("rejected", "2024-12-12 10:00")),
        (("approved", "2024-12-05 15:00"), ("approved", "2024-12-16 10:00")),
    ],
    ids=["approved-then-rejected", "restamped"],
)
def test_a_later_rewrite_of_an_on_time_answer_does_not_make_it_late(
    store_url: str, tmp_path: Path, first: tuple[str, str], later: tuple[str, str]
) -> None:
    engine = open_store(store_url)
    try:
        rt = make_runtime(tmp_path)
        ingest_records(engine, rt, [answered(base(), *first)], at(first[1]) + dt.timedelta(hours=1))
        assert stored_stage(engine, "A1") == "answered_on_time"
        now = at(later[1]) + dt.timedelta(hours=1)
        ingest_records(engine, rt, [answered(base(), *later)], now)
        assert stored_stage(engine, "A1") == "answered_on_time"
        s = state(engine, rt, "A1", later[1])
        assert s.stage == "answered_on_time" and "answer_changed" in s.flags
        assert s.answer_working_days is not None and s.answer_working_days <= 5
        section, text = problems(engine, rt)
        assert "省公共资源交易中心" not in section
        assert "答复后平台记录被改动，按首次记录的答复判定1件" in text
        with engine.connect() as conn:  # the platform's own values are what the store shows
            assert applications.load_records(conn, ["A1"])["A1"].decision == later[0]
        evidence = explain(engine, rt, "A1", now).as_json()  # the verdict explains itself
        assert evidence["decided_at"] == at(first[1]).isoformat()
        assert evidence["record"]["decided_at"] == at(later[1]).isoformat()
        assert [f["code"] for f in evidence["flags"]] == ["answer_changed"]
        assert "slamon 首次记录的答复" in evidence["history"][0]
    finally:
        engine.dispose()


# -- 3. 退回, then resubmitted with the original 收到时间 --------------------------------------------
def test_a_resubmission_after_a_return_starts_a_new_estimated_clock(
    store_url: str, tmp_path: Path
) -> None:
    sqlite_store = open_store(store_url)  # every store kind slamon runs on
    rt = make_runtime(tmp_path)
    returned = answered(base(), "returned", "2024-12-04 11:00")
    ingest_records(sqlite_store, rt, [returned], at("2024-12-04 12:00"))
    assert stored_stage(sqlite_store, "A1") == "answered_on_time"
    again = dataclasses.replace(base(), updated_at=at("2024-12-10 09:00"))  # pending again
    ingest_records(sqlite_store, rt, [again], at("2024-12-10 12:00"))
    s = state(sqlite_store, rt, "A1", "2024-12-10 12:00")
    # from 12-10 09:00 (the row's updated_at): 11, 12, 13, 16, 17 — not from 12-02 (overdue)
    assert (s.stage, s.deadline_date.isoformat()) == ("pending", "2024-12-17")
    assert "start_estimated" in s.flags
    evidence = explain(sqlite_store, rt, "A1", at("2024-12-10 12:00")).as_json()
    assert evidence["clock_start"] == "2024-12-10T09:00:00+08:00"
    assert evidence["days"][0]["date"] == "2024-12-10"
    assert any("退回后重新提交" in note for note in evidence["history"])
    ingest_records(
        sqlite_store,
        rt,
        [answered(again, "approved", "2024-12-12 15:00", updated_at=at("2024-12-12 15:00"))],
        at("2024-12-12 16:00"),
    )
    assert stored_stage(sqlite_store, "A1") == "answered_on_time"
    section, text = problems(sqlite_store, rt)
    assert "省公共资源交易中心" not in section
    assert "按 slamon 发现时间估计起算1件" in text
    # As of 12-05 the application stood answered by its return.
    early = render_text(monthly_report(sqlite_store, rt, "2024-12", as_of=at("2024-12-05 23:00")))
    assert "省公共资源交易中心" not in early.split("存在问题")[1]
    sqlite_store.dispose()


def test_a_resubmission_with_a_new_receipt_is_judged_from_it(
    sqlite_store: Any, tmp_path: Path
) -> None:
    rt = make_runtime(tmp_path)
    ingest_records(
        sqlite_store, rt, [answered(base(), "returned", "2024-12-04 11:00")], at("2024-12-04 12:00")
    )
    renewed = dataclasses.replace(base(), received_at=at("2024-12-10 10:00"))
    ingest_records(sqlite_store, rt, [renewed], at("2024-12-10 12:00"))
    s = state(sqlite_store, rt, "A1", "2024-12-18 12:00")
    assert (s.stage, s.deadline_date.isoformat(), s.flags) == ("overdue", "2024-12-17", ())


def test_a_transfer_keeping_the_receipt_starts_the_new_providers_clock(
    sqlite_store: Any, tmp_path: Path
) -> None:
    rt = make_runtime(tmp_path)
    ingest_records(sqlite_store, rt, [base()], at("2024-12-05 12:00"))
    moved = dataclasses.replace(base(), provider_dept="省公安厅", updated_at=at("2024-12-10 09:00"))
    ingest_records(sqlite_store, rt, [moved], at("2024-12-10 12:00"))
    s = state(sqlite_store, rt, "A1", "2024-12-10 12:00")
    assert (s.stage, s.deadline_date.isoformat()) == ("pending", "2024-12-17")
    assert "start_estimated" in s.flags


# -- 4. one absurd extension value ----------------------------------------------------------------
def test_an_absurd_extension_is_a_row_problem_not_a_failed_read(
    sqlite_store: Any, tmp_path: Path
) -> None:
    allows = "extension: {max_working_days: 10, approver: 主管部门}"
    rt = make_runtime(tmp_path, rules=site_rules(tmp_path, "extension: null", allows))
    absurd = base("X1", extension_working_days=99999, extension_approved_at=at("2024-12-03 09:00"))
    summary = ingest_records(sqlite_store, rt, [absurd, base("L1")], at("2024-12-30 10:00"))
    assert (summary.inserted, summary.rejected) == (2, 0)
    s = state(sqlite_store, rt, "X1", "2024-12-30 10:00")
    assert (s.stage, s.extended_by, s.flags) == ("overdue", 0, ("extension_over_cap",))
    assert s.deadline_date.isoformat() == "2024-12-09"  # the rule's own 5 working days


# -- 非官方: a deadline on an estimated calendar is marked wherever a person reads it --------------
def test_an_unofficial_deadline_is_marked_in_the_report_and_the_mail(
    sqlite_store: Any, tmp_path: Path, smtp_server: Any
) -> None:
    """2027 has no official calendar in the package: a deadline reckoned on it is an estimate."""
    rt = make_runtime(
        tmp_path,
        smtp=smtp_server.smtp_config(),
        contacts={"省公共资源交易中心": ["lianxiren@ggzy.example.gov.cn"]},
    )
    late = record(
        "U1",
        "2027-01-04 10:00",
        submitted_at=at("2027-01-04 09:00"),
        reviewed_at=at("2027-01-04 09:30"),
    )
    ingest_records(sqlite_store, rt, [late], at("2027-01-14 08:00"), plan=True)
    s = state(sqlite_store, rt, "U1", "2027-01-14 08:00")
    assert (s.stage, s.calendar_official) == ("overdue", False)
    deliver_due(sqlite_store, rt, at("2027-01-14 09:00"), "w")
    (mail,) = smtp_server.messages
    assert "（按非官方日历推算）" in mail.part("plain")
    assert "（按非官方日历推算）" in mail.part("html")
    _section, text = problems(sqlite_store, rt, "2027-01", now="2027-02-01 09:00")
    assert "（期限按非官方日历推算）" in text.split("附")[-1]
    assert "1件申请的答复期限按非官方日历推算" in text


# -- one department written five ways ----------------------------------------------------------
def test_invisible_characters_are_removed_and_variants_suggested(
    sqlite_store: Any, tmp_path: Path
) -> None:
    """A zero-width space, a BOM, an NBSP or an ideographic space makes no new department; a
    traditional character, the 贵州省 prefix or 委员会/委 is suggested as the same one."""
    rt = make_runtime(tmp_path)
    names = [
        "省公共资源交易中心",
        "省公共资源交易中心\u200b",
        "\ufeff省公共资源\u3000交易中心",
        "省公共资源交易中心\u00a0",
        "省公共資源交易中心",
        "贵州省公共资源交易中心",
    ]
    recs = [base(f"N{i}", provider_dept=n) for i, n in enumerate(names)]
    recs.append(base("\ufeffN9\u200d", provider_dept="省发展和改革委员会"))
    recs.append(base("N10", provider_dept="省发展和改革委"))
    recs += [base("NC001"), base("nc001"), base("ＮＣ００１")]  # one id, three ways
    summary = ingest_records(sqlite_store, rt, recs, at("2024-12-20 10:00"))
    assert summary.rejected == 0
    with sqlite_store.connect() as conn:
        stored = applications.load_records(conn, [f"N{i}" for i in (0, 1, 2, 3, 9)])
    assert {r.provider_dept for r in stored.values()} == {
        "省公共资源交易中心",
        "省发展和改革委员会",
    }
    section, text = problems(sqlite_store, rt)
    assert "“省公共資源交易中心”（1件）与“省公共资源交易中心”疑为同一部门的不同写法" in text
    assert "“贵州省公共资源交易中心”（1件）与“省公共资源交易中心”疑为同一部门" in text
    assert "“省发展和改革委员会”（1件）与“省发展和改革委”疑为同一部门" in text  # the shorter
    assert "疑为同一申请重复录入：NC001／nc001／ＮＣ００１" in text
