"""Monthly figures and wording (CONTRACT §3) on data mirroring the December 2024 report."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from reporthelpers import (
    CITATION,
    DECEMBER_PROBLEMS,
    PUB,
    PUB_RESOURCES,
    TZ,
    Maker,
    at,
    december_records,
    figures,
)

from slamon.core.calendar import WorkCalendar
from slamon.core.periods import Month
from slamon.core.records import ApplicationRecord
from slamon.core.report_wording import build_report, provider_sentence
from slamon.core.rules import RuleSet


@pytest.fixture(scope="module")
def december(calendar: WorkCalendar) -> list[ApplicationRecord]:
    return december_records(calendar)


def test_december_dispatch_counts(december, ruleset, calendar) -> None:
    f = figures(december, ruleset, calendar)
    assert f.dispatch.as_dict() == {
        "applications": 627,
        "conditional": 397,
        "unconditional": 230,
        "reviewed": 397,
        "unreviewed": 0,
        "provider_decisions": 363,
        "approved": 336,
        "rejected": 27,
        "undecided": 34,
        "returned": 0,
        "withdrawn": 0,
    }
    r = build_report(f, ruleset, TZ)
    assert r.dispatch_text == (
        "各部门通过省数据共享交换平台发起数据共享申请627次（有条件共享397次，无条件共享230次）；"
        "规范性审核397次，未审核0次；数据提供方审批363次（审批通过336次，驳回27次），未审批34次。"
    )


def test_december_timeliness_top(december, ruleset, calendar) -> None:
    r = build_report(figures(december, ruleset, calendar), ruleset, TZ)
    assert r.figures.timeliness_top == ["省水利厅", "省残联", "省中医药管理局"]
    assert (
        r.timeliness_text
        == "在数据申请审批工作中，申请响应及时度排名前三的部门为省水利厅、省残联、省中医药管理局。"
    )


def test_december_problems_names_only_the_late_provider(december, ruleset, calendar) -> None:
    r = build_report(figures(december, ruleset, calendar), ruleset, TZ)
    assert [g.provider_dept for g in r.figures.late] == [PUB]
    g = r.figures.late[0]
    assert g.resources == list(PUB_RESOURCES)
    assert (len(g.unanswered), len(g.answered_late)) == (4, 0)
    assert r.problems_text == DECEMBER_PROBLEMS
    json_late = r.as_json()["late"]
    assert json_late[0]["unanswered_overdue"] == 4 and json_late[0]["answered_late"] == 0
    assert len(json_late[0]["applications"]) == 4


def test_nobody_late_says_so(calendar, ruleset) -> None:
    mk = Maker(calendar)
    recs = [mk.conditional("省公安厅", "户籍", dt.date(2024, 11, d), 2) for d in (4, 5, 6, 7)]
    r = build_report(figures(recs, ruleset, calendar, Month(2024, 11)), ruleset, TZ)
    assert r.figures.late == ()
    assert r.problems_text == CITATION + "本月各数据提供部门均在规定时限内完成审批。"


def test_applications_submitted_outside_the_month_are_not_counted(
    december, ruleset, calendar
) -> None:
    mk = Maker(calendar)
    extra = [
        mk.conditional("省公安厅", "户籍", dt.date(2024, 11, 28), 1, prefix="NOV"),
        mk.conditional("省公安厅", "户籍", dt.date(2025, 1, 2), 1, prefix="JAN"),
        mk.unconditional("省税务局", "纳税", dt.date(2025, 1, 3)),
    ]
    f = figures([*december, *extra], ruleset, calendar)
    assert f.dispatch.applications == 627 and f.dispatch.conditional == 397


def test_answered_late_in_an_earlier_month_is_not_repeated(ruleset, calendar) -> None:
    mk = Maker(calendar)
    answered_late_in_nov = mk.conditional("省民政厅", "婚姻登记", dt.date(2024, 11, 1), 9)
    answered_late_in_dec = mk.conditional("省教育厅", "学籍", dt.date(2024, 11, 25), 8)
    still_open = mk.conditional("省卫生健康委", "出生医学证明", dt.date(2024, 11, 20))
    f = figures([answered_late_in_nov, answered_late_in_dec, still_open], ruleset, calendar)
    assert {g.provider_dept for g in f.late} == {"省教育厅", "省卫生健康委"}
    nov = figures([answered_late_in_nov], ruleset, calendar, Month(2024, 11))
    assert [g.provider_dept for g in nov.late] == ["省民政厅"]
    # submitted in November, so not in December's counts, yet late in December
    assert f.dispatch.applications == 0


def test_as_of_decides_what_is_unanswered(ruleset, calendar) -> None:
    mk = Maker(calendar)
    # received 3 Dec, deadline 10 Dec 24:00; answered 3 Jan (late)
    r = mk.conditional(PUB, PUB_RESOURCES[0], dt.date(2024, 12, 3), 22)
    assert r.decided_at is not None and r.decided_at.date() == dt.date(2025, 1, 3)
    month_end = figures([r], ruleset, calendar)
    assert [len(g.unanswered) for g in month_end.late] == [1]
    assert month_end.dispatch.undecided == 1 and month_end.dispatch.provider_decisions == 0
    before_deadline = figures([r], ruleset, calendar, as_of=at(dt.date(2024, 12, 10), 23))
    assert before_deadline.late == ()
    just_after = figures([r], ruleset, calendar, as_of=at(dt.date(2024, 12, 11), 0, 1))
    assert [g.applications for g in just_after.late] == [[r.application_id]]
    after_answer = figures([r], ruleset, calendar, as_of=at(dt.date(2025, 1, 6)))
    assert after_answer.late == ()  # answered late in January: January's report names it
    assert after_answer.dispatch.provider_decisions == 1


def test_later_review_is_not_seen_before_it_happens(ruleset, calendar) -> None:
    mk = Maker(calendar)
    r = mk.conditional("省公安厅", "户籍", dt.date(2024, 12, 31), 2)
    f = figures([r], ruleset, calendar)
    assert f.dispatch.reviewed == 1  # reviewed 31 Dec 10:00
    early = dataclasses.replace(
        r, reviewed_at=at(dt.date(2025, 1, 2)), received_at=at(dt.date(2025, 1, 2))
    )
    f2 = figures([early], ruleset, calendar)
    assert (f2.dispatch.reviewed, f2.dispatch.unreviewed, f2.dispatch.undecided) == (0, 1, 0)


def test_answered_late_wording_and_mixed(ruleset, calendar) -> None:
    mk = Maker(calendar)
    recs = [
        mk.conditional("省住房城乡建设厅", "建筑业企业资质信息", dt.date(2024, 12, 3), 7),
        mk.conditional("省自然资源厅", "采矿许可证信息", dt.date(2024, 12, 2), 7),
        mk.conditional("省自然资源厅", "采矿许可证信息", dt.date(2024, 12, 4), 9),
        mk.conditional("省市场监管局", "企业年报信息", dt.date(2024, 12, 2)),
        mk.conditional("省市场监管局", "行政处罚信息", dt.date(2024, 12, 3), 8),
        mk.conditional("省市场监管局", "企业年报信息", dt.date(2024, 12, 4)),
    ]
    f = figures(recs, ruleset, calendar)
    texts = {g.provider_dept: provider_sentence(g) for g in f.late}
    assert (
        texts["省住房城乡建设厅"]
        == "省住房城乡建设厅在收到“建筑业企业资质信息”有条件共享数据申请后，超期2个工作日才完成审批。"
    )
    assert (
        texts["省自然资源厅"]
        == "省自然资源厅在收到“采矿许可证信息”有条件共享数据申请后，超期2至4个工作日才完成审批。"
    )
    assert texts["省市场监管局"] == (
        "省市场监管局在收到“企业年报信息”、“行政处罚信息”有条件共享数据申请后，未按时完成审批，"
        "其中2件申请截至统计时仍未审批，1件申请超期3个工作日才完成审批。"
    )
    assert [g.provider_dept for g in f.late][0] == "省市场监管局"  # most late applications first
    problems = build_report(f, ruleset, TZ).problems_text
    assert problems.startswith(CITATION) and problems.count("在收到") == 3


def test_fewer_than_three_ranked(ruleset, calendar) -> None:
    mk = Maker(calendar)
    recs = [mk.conditional("省水利厅", "水情", dt.date(2024, 12, 2 + i), 0) for i in range(3)]
    recs += [mk.conditional("省残联", "残疾人", dt.date(2024, 12, 2 + i), 1) for i in range(3)]
    recs += [mk.conditional("省民政厅", "婚姻", dt.date(2024, 12, 2 + i), 1) for i in range(2)]
    r = build_report(figures(recs, ruleset, calendar), ruleset, TZ)
    assert r.figures.timeliness_top == ["省水利厅", "省残联"]
    assert "仅有2个" in r.timeliness_text and "省水利厅、省残联" in r.timeliness_text
    none = build_report(figures(recs[6:], ruleset, calendar), ruleset, TZ)
    assert (
        none.figures.timeliness_top == [] and "暂不进行申请响应及时度排名" in none.timeliness_text
    )


def test_timeliness_ties_broken_by_rate_then_answers_then_name(ruleset, calendar) -> None:
    mk = Maker(calendar)
    d = dt.date(2024, 12, 2)
    recs = [mk.conditional("乙部门", "x", d, 2) for _ in range(4)]
    recs += [mk.conditional("甲部门", "x", d, 2) for _ in range(4)]
    recs += [mk.conditional("丙部门", "x", d, 2) for _ in range(5)]
    # 丁: same mean (2) but one late answer → lower on-time rate
    recs += [mk.conditional("丁部门", "x", d, k) for k in (0, 0, 6, 2)]
    f = figures(recs, ruleset, calendar)
    order = [t.provider_dept for t in f.ranking]
    assert order[0] == "丙部门"  # most answers among the perfect ones
    assert order.index("丁部门") == 3  # same mean, lower on-time rate
    assert order[1:3] == sorted(["甲部门", "乙部门"])


def test_several_governing_rules_are_each_cited(calendar) -> None:
    from pathlib import Path

    from slamon.adapters.yaml_files import load_rules

    rules = RuleSet(
        load_rules(Path(__file__).resolve().parent.parent / "slamon" / "data" / "rules"),
        ("guizhou-2023", "guizhou-2020"),
    )
    mk = Maker(calendar)
    june = Month(2023, 6)
    recs = [
        mk.conditional(
            "省公安厅", "户籍", dt.date(2023, 6, 1)
        ),  # before guizhou-2023: 10 working days
        mk.conditional("省民政厅", "婚姻", dt.date(2023, 6, 8)),  # guizhou-2023: 5 working days
    ]
    f = figures(recs, rules, calendar, june)
    assert f.rule_ids == ("guizhou-2023", "guizhou-2020")
    text = build_report(f, rules, TZ).problems_text
    assert text.startswith(
        CITATION + "根据《贵州省政府数据共享开放条例》规定，对有条件共享的政府数据"
    )
    assert text.index("省公安厅") > text.index("贵州省政府数据共享开放条例")
