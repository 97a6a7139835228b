"""The report service over a real store: indexed loading, the daemon's monthly files, the CLI."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import pytest
from reporthelpers import DEC, DECEMBER_PROBLEMS, TZ, Maker, at, december_records
from storehelpers import REPO_ROOT, ingest_records, make_runtime

from slamon.adapters.store import runs
from slamon.adapters.store.db import open_store
from slamon.core.periods import Month
from slamon.core.records import ApplicationRecord
from slamon.core.report_figures import monthly_figures
from slamon.service.reports import monthly_report, write_monthly_reports_if_due


@pytest.fixture
def store(tmp_path: Path, calendar):  # noqa: ANN201
    rt = make_runtime(tmp_path, report={"dir": "reports"}, supervisors=["dsj@example.gov.cn"])
    engine = open_store(f"sqlite:///{tmp_path / 'slamon.db'}")
    ingest_records(engine, rt, december_records(calendar), at(dt.date(2025, 1, 2)))
    yield engine, rt
    engine.dispose()


def test_monthly_report_from_the_store(store) -> None:
    engine, rt = store
    r = monthly_report(engine, rt, "2024-12")
    assert r.figures.dispatch.applications == 627 and r.figures.dispatch.undecided == 34
    assert r.problems_text == DECEMBER_PROBLEMS


def _random_records(calendar, n: int = 600, seed: int = 7) -> list[ApplicationRecord]:
    rng = random.Random(seed)
    mk = Maker(calendar)
    days = [dt.date(2024, 10, 1) + dt.timedelta(days=i) for i in range(120)]
    out = []
    for _ in range(n):
        day = rng.choice(days)
        if rng.random() < 0.3:
            out.append(mk.unconditional("省税务局", "纳税", day))
            continue
        k = rng.choice([None, 0, 1, 3, 5, 6, 9, 15, 30])
        rec = mk.conditional(
            rng.choice(["甲", "乙", "丙", "丁"]),
            rng.choice("ABC"),
            day,
            k,
            rng.choice(["approved", "rejected"]),
            hour=rng.randint(8, 18),
        )
        if rng.random() < 0.05:
            rec = ApplicationRecord(
                **{
                    **rec.as_dict(),
                    "review_status": "pending",
                    "reviewed_at": None,
                    "received_at": None,
                    "decision": "pending",
                    "decided_at": None,
                }
            )
        out.append(rec)
    return out


def test_indexed_loading_gives_the_same_figures_as_all_records(tmp_path: Path, calendar) -> None:
    rt = make_runtime(tmp_path)
    engine = open_store(f"sqlite:///{tmp_path / 's.db'}")
    records = _random_records(calendar)
    ingest_records(engine, rt, records, at(dt.date(2025, 2, 10)))
    for month in (Month(2024, 10), Month(2024, 11), Month(2024, 12)):
        for as_of in (
            month.end(TZ),
            at(month.first_day + dt.timedelta(days=14), 12),
            at(dt.date(2025, 1, 20)),
        ):
            got = monthly_report(engine, rt, month, as_of).figures
            want = monthly_figures(records, month, as_of, rt.rules, rt.calendar, TZ)
            assert got.dispatch == want.dispatch, (month, as_of)
            assert got.ranking == want.ranking
            assert [(g.provider_dept, g.applications) for g in got.late] == [
                (g.provider_dept, g.applications) for g in want.late
            ]
    engine.dispose()


def test_monthly_files_on_the_first_working_day_once(store) -> None:
    engine, rt = store
    assert write_monthly_reports_if_due(engine, rt, at(dt.date(2025, 1, 1), 10)) == []  # 元旦
    paths = write_monthly_reports_if_due(engine, rt, at(dt.date(2025, 1, 2), 0, 5))
    assert sorted(p.name for p in paths) == [
        "report-2024-12.docx",
        "report-2024-12.md",
        "report-2024-12.txt",
    ]
    assert all(p.parent == rt.settings.report_dir and p.stat().st_size > 0 for p in paths)
    assert DECEMBER_PROBLEMS in (rt.settings.report_dir / "report-2024-12.txt").read_text(
        encoding="utf-8"
    )
    assert write_monthly_reports_if_due(engine, rt, at(dt.date(2025, 1, 2), 0, 10)) == []
    assert write_monthly_reports_if_due(engine, rt, at(dt.date(2025, 1, 20))) == []
    with engine.connect() as conn:
        assert runs.get_meta(conn, "report_written:2024-12") is not None


def test_first_working_day_after_a_holiday(tmp_path: Path) -> None:
    rt = make_runtime(tmp_path, report={"dir": "r"})
    engine = open_store(f"sqlite:///{tmp_path / 's.db'}")
    assert write_monthly_reports_if_due(engine, rt, at(dt.date(2024, 10, 7), 12)) == []  # 国庆
    assert [p.name for p in write_monthly_reports_if_due(engine, rt, at(dt.date(2024, 10, 8), 9))][
        0
    ] == "report-2024-09.txt"
    engine.dispose()


# -- the command line ------------------------------------------------------------------------
@pytest.fixture
def cli(run_cli, write_config, store):  # noqa: ANN001, ANN201
    from slamon.cli import app, report_cmds

    if not any(g.name == "report" for g in app.registered_groups):
        report_cmds.register(app)
    engine, rt = store
    config = write_config(
        {
            "store": {"url": str(engine.url)},
            "rules": {"dir": str(REPO_ROOT / "rules")},
            "supervisors": ["dsj@example.gov.cn"],
        }
    )
    return lambda *argv: run_cli(list(argv), config=config)


def test_cli_report_monthly_text_and_json(cli) -> None:
    res = cli("report", "monthly", "--month", "2024-12")
    assert res.exit_code == 0, res.stderr
    assert "一、总体情况" in res.stdout and DECEMBER_PROBLEMS in res.stdout
    res = cli("report", "monthly", "--month", "2024-12", "--format", "json")
    data = json.loads(res.stdout)
    assert data["dispatch"]["applications"] == 627 and data["problems_text"] == DECEMBER_PROBLEMS


def test_cli_report_as_of(cli) -> None:
    res = cli(
        "report",
        "problems",
        "--month",
        "2024-12",
        "--as-of",
        "2024-12-09 18:00",
        "--format",
        "json",
    )
    data = json.loads(res.stdout)
    assert data["late"] == [] and data["problems_text"].endswith(
        "截至统计时，本月各数据提供部门均在规定时限内完成审批。"
    )


def test_cli_docx_default_path_and_output(cli, tmp_path: Path) -> None:
    from docx import Document

    res = cli("report", "monthly", "--month", "2024-12", "--format", "docx")
    assert res.exit_code == 0, res.stderr
    assert "六、存在问题" in [
        p.text for p in Document(str(tmp_path / "report-2024-12.docx")).paragraphs
    ]
    res = cli(
        "report",
        "monthly",
        "--month",
        "2024-12",
        "--format",
        "md",
        "--output",
        str(tmp_path / "o" / "r.md"),
    )
    assert res.exit_code == 0 and (tmp_path / "o" / "r.md").read_text(encoding="utf-8").startswith(
        "# "
    )


def test_cli_errors(cli) -> None:
    res = cli("report", "monthly", "--month", "2024-13")
    assert res.exit_code == 1 and "YYYY-MM" in res.stderr
    res = cli("report", "monthly", "--month", "2024-12", "--format", "pdf")
    assert res.exit_code == 2


def test_month_parsing() -> None:
    assert (
        Month.parse("2024-12") == DEC
        and DEC.previous() == Month(2024, 11)
        and DEC.next() == Month(2025, 1)
    )
    assert Month(2025, 1).previous() == DEC and DEC.last_day == dt.date(2024, 12, 31)
