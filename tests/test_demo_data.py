"""The demo platform: a realistic December 2024, read through the real sql source."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, text

from slamon.adapters.sources.factory import make_source
from slamon.adapters.sources.sql import SqlSource
from slamon.config import parse_settings
from slamon.core.calendar import WorkCalendar
from slamon.core.records import ApplicationRecord, validate_row
from slamon.core.rules import RuleSet
from slamon.core.sla import evaluate
from slamon.core.vocabulary import ANSWERED_LATE, DUE_SOON, OVERDUE
from slamon.demo import people
from slamon.demo import platform as demo

TZ = ZoneInfo("Asia/Shanghai")
MONTH_END = dt.datetime(2025, 1, 1, tzinfo=TZ)  # 24:00 of 2024-12-31


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    return demo.build_demo_platform(tmp_path_factory.mktemp("demo") / "demo-platform.db")


@pytest.fixture(scope="module")
def records(platform: tuple[str, str]) -> list[ApplicationRecord]:
    url, query = platform
    src = SqlSource(url, query, tz=TZ)
    rows = src.fetch(None, ()).rows
    src.dispose()
    # Zero rejections: every row maps onto a valid record through the configured query.
    return [validate_row(r.data, r.ref, TZ, people.demo_aliases()) for r in rows]


def test_deterministic_for_a_seed(tmp_path: Path) -> None:
    a = demo.demo_rows("2024-12", 7)
    assert a == demo.demo_rows("2024-12", 7)
    assert a != demo.demo_rows("2024-12", 8)
    url1, q1 = demo.build_demo_platform(tmp_path / "one.db")
    url2, q2 = demo.build_demo_platform(tmp_path / "two.db")
    assert q1 == q2
    dump = []
    for url in (url1, url2):
        engine = create_engine(url)
        with engine.connect() as conn:
            dump.append(conn.execute(text("SELECT * FROM t_share_apply ORDER BY apply_no")).all())
        engine.dispose()
    assert dump[0] == dump[1]
    # Recreating in place replaces the file rather than adding to it.
    demo.build_demo_platform(tmp_path / "one.db")
    engine = create_engine(url1)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM t_share_apply")).scalar_one() == 627
    engine.dispose()


def test_month_figures_mirror_the_december_report(records: list[ApplicationRecord]) -> None:
    assert len(records) == 627
    cond = [r for r in records if r.share_type == "conditional"]
    assert len(cond) == 397 and len(records) - len(cond) == 230
    assert all(r.review_status == "passed" for r in cond)
    decided = Counter(r.decision for r in cond)
    assert decided == {"approved": 336, "rejected": 27, "pending": 34}
    assert all(r.submitted_at.astimezone(TZ).strftime("%Y-%m") == "2024-12" for r in records)
    assert len({r.application_id for r in records}) == 627


def test_timestamps_are_office_hours_on_working_days(
    records: list[ApplicationRecord], calendar: WorkCalendar
) -> None:
    for r in records:
        for when in (r.submitted_at, r.reviewed_at, r.received_at, r.decided_at):
            if when is None:
                continue
            local = when.astimezone(TZ)
            assert calendar.is_working_day(local.date()), (r.application_id, local)
            assert dt.time(9) <= local.time() <= dt.time(18), (r.application_id, local)


def test_late_providers_as_in_the_december_report(
    records: list[ApplicationRecord], ruleset: RuleSet, calendar: WorkCalendar
) -> None:
    states = {r.application_id: evaluate(r, MONTH_END, ruleset, calendar, TZ) for r in records}
    by_id = {r.application_id: r for r in records}
    overdue: dict[str, set[str]] = defaultdict(set)
    late: dict[str, list[int]] = defaultdict(list)
    for aid, s in states.items():
        if s.stage == OVERDUE:
            overdue[by_id[aid].provider_dept].add(by_id[aid].resource_name)
        elif s.stage == ANSWERED_LATE:
            late[by_id[aid].provider_dept].append(s.overdue_working_days)
    assert overdue == {"省公共资源交易中心": {"工程类_招标项目", "工程类-中标结果公告"}}
    assert set(late) == {"省住房城乡建设厅", "省自然资源厅"}
    assert all(1 <= days <= 4 for v in late.values() for days in v)
    # The other undecided ones were received in the last days of the month: not yet overdue.
    undecided = [r for r in records if r.share_type == "conditional" and r.decision == "pending"]
    recent = [r for r in undecided if r.provider_dept != "省公共资源交易中心"]
    assert len(recent) == 30
    assert all(states[r.application_id].stage != OVERDUE for r in recent)
    # At the demo's moment, reminders are due: some deadlines fall on that very day.
    now = demo.demo_now()
    assert now == dt.datetime(2025, 1, 2, 10, 0, tzinfo=TZ)
    at_now = [evaluate(r, now, ruleset, calendar, TZ).stage for r in recent]
    assert DUE_SOON in at_now
    # Most answers come within 1–4 working days; the three fastest answer the same day.
    answers = [s.answer_working_days for s in states.values() if s.answer_working_days is not None]
    assert sum(1 for a in answers if a <= 4) / len(answers) > 0.95
    for dept in ("省水利厅", "省残联", "省中医药管理局"):
        mine = [
            states[r.application_id].answer_working_days
            for r in records
            if r.provider_dept == dept and r.decision != "pending"
        ]
        assert len(mine) >= 3 and set(mine) == {0}


def test_names_from_the_seed_reports_and_aliases(platform: tuple[str, str]) -> None:
    url, query = platform
    src = SqlSource(url, query, tz=TZ)
    raw = src.fetch(None, ()).rows
    src.dispose()
    providers = {r.data["provider_dept"] for r in raw}
    regions = {r.data["applicant_region"] for r in raw}
    assert {
        "省公共资源交易中心",
        "省市场监管局",
        "省公安厅",
        "省人力资源社会保障厅",
        "省医疗保障局",
        "省残联",
        "省水利厅",
        "省中医药管理局",
        "省税务局",
        "省大数据局",
    } <= providers
    assert "黔南布依族苗族自治州" in regions and "贵阳市" in regions
    aliases = people.demo_aliases()
    assert aliases["黔南布依族苗族自治州"] == "黔南州"
    canonical = {aliases.get(p, p) for p in providers}
    contacts = people.demo_contacts()
    assert canonical - set(contacts) == {"省自然资源厅"}
    assert all(all(e.endswith("@example.gov.cn") for e in v) for v in contacts.values())
    assert people.demo_supervisors()


def test_incremental_poll_sees_mutations(platform: tuple[str, str], tmp_path: Path) -> None:
    url, query = demo.build_demo_platform(tmp_path / "p.db")
    src = SqlSource(url, query, tz=TZ)
    first = src.fetch(None, ())
    now = demo.demo_now()
    changed = demo.mutate_demo_platform(url, now, 40, seed=3)
    assert len(changed) == 40 and len(set(changed)) == 40
    later = src.fetch(first.cursor, ())
    assert sorted(r.ref for r in later.rows) == sorted(changed)
    assert later.cursor == now
    recs = [validate_row(r.data, r.ref, TZ, people.demo_aliases()) for r in later.rows]
    assert sum(1 for r in recs if r.decided_at == now) == 40
    src.dispose()


def test_platform_table_for_benchmarks(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bench.db'}"
    query = demo.build_platform_table(url, 2000, seed=5)
    src = SqlSource(url, query, tz=TZ)
    rows = src.fetch(None, ()).rows
    src.dispose()
    assert len(rows) == 2000
    recs = [validate_row(r.data, r.ref, TZ) for r in rows]
    share = Counter(r.share_type for r in recs)
    assert 0.55 < share["conditional"] / 2000 < 0.72


def test_factory_builds_each_kind(tmp_path: Path) -> None:
    demo_src = make_source(parse_settings({"source": {"kind": "demo"}}, None, tmp_path, {}))
    assert isinstance(demo_src, SqlSource) and (tmp_path / "demo-platform.db").is_file()
    assert len(demo_src.fetch(None, ()).rows) == 627
    demo_src.dispose()
    folder = make_source(
        parse_settings({"source": {"kind": "folder", "folder": "in"}}, None, tmp_path, {})
    )
    assert folder is not None and folder.name == f"目录:{tmp_path / 'in'}"
    sql = make_source(
        parse_settings(
            {"source": {"kind": "sql", "url": "sqlite:///x.db", "query": "SELECT 1"}},
            None,
            tmp_path,
            {},
        )
    )
    assert isinstance(sql, SqlSource) and sql.overlap > dt.timedelta(0)
    assert make_source(parse_settings({"source": {"kind": "none"}}, None, tmp_path, {})) is None


def test_demo_runs_through_the_poll_service(platform: tuple[str, str], tmp_path: Path) -> None:
    from slamon.adapters.store.db import open_store
    from slamon.runtime import Runtime
    from slamon.service.poll import run_poll_cycle

    url, query = platform
    rt = Runtime(parse_settings({"aliases": people.demo_aliases()}, None, tmp_path, {}))
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    summary = run_poll_cycle(store, rt, SqlSource(url, query, tz=rt.tz), demo.demo_now())
    assert (summary.inserted, summary.rejected) == (627, 0)
    store.dispose()
