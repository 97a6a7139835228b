"""存在问题 over several months (a real SQLite store): a department late month after month is
said to be (已连续N个月未按时完成审批), a broken streak starts again, and the on-time rate is
compared with the month before (环比) when both months had answers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from reporthelpers import Maker, at
from storehelpers import ingest_records, make_runtime

from slamon.adapters.store.db import open_store
from slamon.core.report_wording import change_sentence, streak_sentence
from slamon.service.reports import monthly_report

OCT, NOV, DEC = dt.date(2024, 10, 8), dt.date(2024, 11, 4), dt.date(2024, 12, 2)


@pytest.fixture
def store(tmp_path: Path, calendar):  # noqa: ANN201
    mk = Maker(calendar)
    late, on_time = 8, 2  # answered this many working days after receipt (the limit is 5)
    records = [
        *(mk.conditional("甲", "甲数据", day, late) for day in (OCT, NOV, DEC)),
        *(mk.conditional("乙", "乙数据", day, late) for day in (OCT, DEC)),  # not late in November
        *(mk.conditional("丙", "丙数据", OCT, on_time) for _ in range(2)),
        *(mk.conditional("丙", "丙数据", NOV, on_time) for _ in range(3)),
        *(mk.conditional("丙", "丙数据", DEC, on_time) for _ in range(2)),
    ]
    rt = make_runtime(tmp_path)
    engine = open_store(f"sqlite:///{tmp_path / 's.db'}")
    ingest_records(engine, rt, records, at(dt.date(2025, 1, 6)))
    yield engine, rt
    engine.dispose()


def _sentences(text: str) -> list[str]:
    return [s + "。" for s in text.split("。") if s]


def test_three_months_of_lateness_are_counted(store) -> None:
    engine, rt = store
    oct_, nov, dec = (
        monthly_report(engine, rt, m).problems_text for m in ("2024-10", "2024-11", "2024-12")
    )
    assert "连续" not in oct_  # nothing stored before October: the first time
    s = _sentences(nov)
    i = next(n for n, x in enumerate(s) if x.startswith("甲在收到"))
    assert s[i + 1] == "该部门已连续2个月未按时完成审批。"
    s = _sentences(dec)
    i = next(n for n, x in enumerate(s) if x.startswith("甲在收到"))
    assert s[i + 1] == "该部门已连续3个月未按时完成审批。"
    j = next(n for n, x in enumerate(s) if x.startswith("乙在收到"))
    assert not s[j + 1].startswith("该部门已连续")  # late in October, not November: starts again
    assert dec.count("已连续") == 1


def test_the_on_time_rate_against_the_month_before(store) -> None:
    engine, rt = store
    oct_, nov, dec = (
        monthly_report(engine, rt, m).problems_text for m in ("2024-10", "2024-11", "2024-12")
    )
    assert "较上月" not in oct_ and "与上月持平" not in oct_  # September had no answers
    assert nov.endswith("本月数据提供部门按时完成审批率为75.00%，较上月上升25.00个百分点。")
    assert dec.endswith("本月数据提供部门按时完成审批率为50.00%，较上月下降25.00个百分点。")


def test_change_and_streak_sentences() -> None:
    assert (
        change_sentence(0.9, 0.8)
        == "本月数据提供部门按时完成审批率为90.00%，较上月上升10.00个百分点。"
    )
    assert (
        change_sentence(0.8, 0.9)
        == "本月数据提供部门按时完成审批率为80.00%，较上月下降10.00个百分点。"
    )
    assert change_sentence(2 / 3, 4 / 6) == "本月数据提供部门按时完成审批率为66.67%，与上月持平。"
    assert change_sentence(None, 0.5) == change_sentence(0.5, None) == ""
    assert streak_sentence(1) == "" and streak_sentence(4) == "该部门已连续4个月未按时完成审批。"
