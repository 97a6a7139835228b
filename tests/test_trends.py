"""The history (service/trends) over a real SQLite store: each month of it equals that month's
report, exempted (核实排除) and held (数据存疑) applications left out as the report leaves them
out; the weekly backlog equals the digest's overdue count; repeat lateness and 环比 in 存在问题."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import pytest
from reporthelpers import TZ, Maker, at
from storehelpers import ingest_records, make_runtime

from slamon.adapters.store.db import open_store
from slamon.core.periods import IsoWeek, Month
from slamon.core.records import ApplicationRecord
from slamon.core.trends import dept_months
from slamon.service.exemptions import exempt
from slamon.service.reports import digest, monthly_report
from slamon.service.trends import history

MONTHS = [Month(2024, 9), Month(2024, 10), Month(2024, 11), Month(2024, 12)]
NOW = at(dt.date(2025, 1, 10), 12)


def _records(calendar, seed: int = 3) -> list[ApplicationRecord]:
    rng = random.Random(seed)
    mk = Maker(calendar)
    days = [dt.date(2024, 9, 1) + dt.timedelta(days=i) for i in range(125)]
    out = []
    for _ in range(500):
        day = rng.choice(days)
        if rng.random() < 0.25:
            out.append(mk.unconditional(rng.choice("甲乙"), "纳税", day))
            continue
        k = rng.choice([None, 0, 2, 4, 5, 6, 8, 12, 25, 40])
        out.append(
            mk.conditional(
                rng.choice(["甲", "乙", "丙", "丁"]),
                rng.choice("ABC"),
                day,
                k,
                hour=rng.randint(8, 17),
            )
        )
    return out


@pytest.fixture
def store(tmp_path: Path, calendar):  # noqa: ANN201
    rt = make_runtime(tmp_path)
    engine = open_store(f"sqlite:///{tmp_path / 's.db'}")
    records = _records(calendar)
    ingest_records(engine, rt, records, NOW)
    late = [r for r in records if r.share_type == "conditional" and r.decided_at is None]
    exempt(engine, rt, [r.application_id for r in late[:6]], "平台故障，已核实", "测试", NOW)
    # two rows that fail validation now: their applications are held (数据存疑)
    broken = [r.as_dict() | {"decision": "驳回", "decided_at": None} for r in late[6:8]]
    ingest_records(engine, rt, [ApplicationRecord(**b) for b in broken], NOW)
    yield engine, rt, records
    engine.dispose()


def test_each_month_of_the_history_is_its_report(store) -> None:
    engine, rt, _records = store
    h = history(engine, rt, NOW, months=len(MONTHS), last=MONTHS[-1])
    assert [m.month for m in h.months] == MONTHS
    left_out = set()
    for trend in h.months:
        f = monthly_report(engine, rt, trend.month).figures
        left_out |= set(f.held) | {i.application_id for i in f.exempted}
        depts, province = dept_months(f)
        assert trend.departments == depts and trend.province == province, trend.month
        assert province.received == f.dispatch.applications
        assert trend.named == {g.provider_dept for g in f.late}
        for t in f.ranking:
            d = trend.dept(t.provider_dept)
            assert (d.answered, d.on_time) == (t.answers, t.on_time)
            assert d.mean_working_days == t.mean_working_days
        for g in f.late:
            if g.stage is None:
                assert trend.dept(g.provider_dept).open_overdue == len(g.unanswered)
    assert len(left_out) >= 6  # the exempted and the held were there to be left out
    assert any(m.province.open_overdue for m in h.months) and any(m.province.late for m in h.months)


def test_a_month_still_running_is_tallied_as_of_now(store) -> None:
    engine, rt, _ = store
    now = at(dt.date(2024, 12, 16), 9)
    h = history(engine, rt, now, months=2)
    assert h.months[-1].month == Month(2024, 12) and h.months[-1].as_of == now
    f = monthly_report(engine, rt, "2024-12", as_of=now).figures
    assert (h.months[-1].departments, h.months[-1].province) == dept_months(f)


def test_weekly_backlog_is_the_digests_overdue_count(store) -> None:
    engine, rt, _ = store
    now = at(dt.date(2024, 12, 30), 9)
    h = history(engine, rt, now, months=1, weeks=5)
    assert [w.week for w in h.weeks][-1] == IsoWeek.of(now.date())
    for w in h.weeks[:-1]:
        d = digest(engine, rt, w.week, now)
        assert w.overdue == d.total.current.overdue, w.week
        assert w.open >= w.overdue
    assert any(w.overdue for w in h.weeks)


def test_a_rule_change_reflows_the_history(store, tmp_path: Path) -> None:
    engine, rt, _ = store
    before = history(engine, rt, NOW, months=4, last=MONTHS[-1])
    rules = tmp_path / "rules"
    rules.mkdir()
    src = Path(__file__).resolve().parent.parent / "slamon" / "data" / "rules" / "guizhou-2023.yaml"
    text = src.read_text(encoding="utf-8").replace("working_days: 5 ", "working_days: 10 ", 1)
    assert text != src.read_text(encoding="utf-8")
    (rules / "guizhou-2023.yaml").write_text(text, encoding="utf-8")
    rt10 = make_runtime(tmp_path, rules={"dir": str(rules), "active": ["guizhou-2023"]})
    after = history(engine, rt10, NOW, months=4, last=MONTHS[-1])
    assert sum(m.province.late for m in after.months) < sum(m.province.late for m in before.months)
    for trend in after.months:
        assert (trend.departments, trend.province) == dept_months(
            monthly_report(engine, rt10, trend.month).figures
        )


def test_history_json_shape(store) -> None:
    engine, rt, _ = store
    data = history(engine, rt, NOW, months=2, weeks=2, last=MONTHS[-1]).as_json(TZ)
    assert json.loads(json.dumps(data)) == data
    month = data["months"][-1]
    assert set(month) == {"month", "as_of", "province", "departments"}
    assert set(month["province"]) == {
        "department",
        "received",
        "answered",
        "on_time",
        "late",
        "mean_working_days",
        "on_time_rate",
        "open_overdue",
        "named_in_problems",
    }
    assert set(data["weeks"][0]) == {"week", "as_of", "open", "overdue"}


def test_cli_report_history_json_equals_the_service(
    tmp_path: Path, calendar, run_cli, write_config
) -> None:
    from storehelpers import store_config_with

    from slamon.cli import app, report_cmds

    if not any(g.name == "report" for g in app.registered_groups):
        report_cmds.register(app)
    records = _records(calendar)
    cfg = store_config_with(tmp_path, write_config, records, NOW)
    now = NOW.isoformat()
    got = run_cli(["report", "history", "--months", "3", "--now", now, "--json"], config=cfg)
    assert got.exit_code == 0, got.stderr
    data = json.loads(got.stdout)
    assert [m["month"] for m in data["months"]] == ["2024-11", "2024-12", "2025-01"]
    rt = make_runtime(tmp_path)
    engine = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    assert data == history(engine, rt, NOW, months=3).as_json(TZ)
    engine.dispose()
    text = run_cli(["report", "history", "--months", "2", "--now", now], config=cfg)
    assert text.exit_code == 0 and "2024年12月" in text.stdout and "全省：收到" in text.stdout


def test_report_charts_key_defaults_off_and_is_validated(tmp_path: Path) -> None:
    from slamon.core.errors import ConfigError

    assert make_runtime(tmp_path).settings.report_document.charts is False
    assert make_runtime(tmp_path, report={"charts": True}).settings.report_document.charts
    with pytest.raises(ConfigError) as e:
        make_runtime(tmp_path, report={"charts": "maybe"})
    assert "report.charts" in str(e.value)
