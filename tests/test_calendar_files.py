"""Calendar files (rules/calendar/<year>.yaml): loading, precedence, validation, and the CLI.

The year 2031 below is FICTITIOUS test data: no State Council notice for 2031 exists. It is
chosen well beyond any official data so the file, not the package, must be what makes it official.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import pytest

from slamon.adapters.yaml_files import load_calendar, load_calendar_files
from slamon.core.calendar import SOURCE_FILE
from slamon.core.errors import CalendarError

REPO_RULES = Path(__file__).resolve().parent.parent / "slamon" / "data" / "rules"

# 2031-01-01 is a Wednesday; 2031-03-03..05 Mon–Wed; 2031-03-08 a Saturday.
FICTITIOUS_2031 = """\
year: 2031
notice:
  title: 虚构的测试用节假日安排（并非真实通知）
  number: 测试〔2031〕1号
holidays:
  - {name: 元旦, dates: [2031-01-01]}
  - {name: 测试假期, from: 2031-03-03, to: 2031-03-05}
makeup_workdays: [2031-03-08]
"""


def make_rules_dir(root: Path, calendar_files: dict[str, str]) -> Path:
    """A rules dir holding the shipped rules plus the given calendar files."""
    rules = root / "rules"
    (rules / "calendar").mkdir(parents=True)
    for rule in REPO_RULES.glob("*.yaml"):
        shutil.copy(rule, rules / rule.name)
    for name, text in calendar_files.items():
        (rules / "calendar" / name).write_text(text, encoding="utf-8")
    return rules


@pytest.fixture
def rules_2031(tmp_path: Path) -> Path:
    return make_rules_dir(tmp_path, {"2031.yaml": FICTITIOUS_2031})


def test_file_makes_the_year_official(rules_2031):
    cal = load_calendar(rules_2031)
    info = cal.year_info(2031)
    assert info.official is True
    assert info.source == SOURCE_FILE
    assert "2031.yaml" in info.source_detail
    assert cal.is_official(2031)
    # Neighbouring years without a file stay unofficial.
    assert not cal.is_official(2030)
    assert not cal.is_official(2032)


def test_file_days_off_and_makeup_days(rules_2031):
    cal = load_calendar(rules_2031)
    assert cal.is_working_day(dt.date(2031, 3, 8))  # makeup Saturday
    assert not cal.is_working_day(dt.date(2031, 3, 9))  # an ordinary Sunday
    for d in (dt.date(2031, 1, 1), dt.date(2031, 3, 3), dt.date(2031, 3, 4), dt.date(2031, 3, 5)):
        assert not cal.is_working_day(d), d
    assert cal.is_working_day(dt.date(2031, 3, 6))  # Thursday after the fictitious break
    assert cal.holidays_in(2031) == [
        (dt.date(2031, 1, 1), "元旦"),
        (dt.date(2031, 3, 3), "测试假期"),
        (dt.date(2031, 3, 4), "测试假期"),
        (dt.date(2031, 3, 5), "测试假期"),
    ]
    assert cal.makeup_workdays_in(2031) == [dt.date(2031, 3, 8)]


def test_file_replaces_the_package_data_for_that_year(rules_2031):
    without = load_calendar(None, last_year=2033)
    # The package's rule-based estimate for 2031 has 劳动节 on 05-01 (a Thursday)...
    assert not without.is_working_day(dt.date(2031, 5, 1))
    # ...the file does not list it, and the file replaces the year entirely.
    cal = load_calendar(rules_2031)
    assert cal.is_working_day(dt.date(2031, 5, 1))
    # Other years are untouched.
    assert not cal.is_working_day(dt.date(2030, 5, 1))


def test_deadline_counts_the_file_days(rules_2031, tz):
    from slamon.core.deadline import deadline_dates

    cal = load_calendar(rules_2031)
    # Fri 2031-02-28 → 03-03..05 off → 03-06, 03-07, 03-08 (makeup Sat), 03-10, 03-11
    assert deadline_dates([dt.date(2031, 2, 28)], 5, cal, tz) == [dt.date(2031, 3, 11)]


# -- the CLI ---------------------------------------------------------------------------------


def test_cli_calendar_json_for_a_file_year(run_cli, write_config, rules_2031):
    cfg = write_config({"rules": {"dir": str(rules_2031), "active": ["guizhou-2023"]}})
    r = run_cli(["calendar", "2031", "--json"], config=cfg)
    assert r.exit_code == 0, r.stderr
    assert r.stderr == ""
    data = json.loads(r.stdout)
    assert data["year"] == 2031
    assert data["official"] is True
    assert data["source"] == "file"
    assert data["holidays"] == [
        {"date": "2031-01-01", "name": "元旦"},
        {"date": "2031-03-03", "name": "测试假期"},
        {"date": "2031-03-04", "name": "测试假期"},
        {"date": "2031-03-05", "name": "测试假期"},
    ]
    assert data["makeup_workdays"] == ["2031-03-08"]


def test_cli_relative_rules_dir_is_relative_to_the_config(run_cli, write_config, tmp_path):
    make_rules_dir(tmp_path / "site", {"2031.yaml": FICTITIOUS_2031})
    cfg = write_config({"rules": {"dir": "rules"}}, folder=tmp_path / "site")
    r = run_cli(["calendar", "2031", "--json"], config=cfg)
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["source"] == "file"


def test_cli_calendar_year_without_official_data_warns(run_cli):
    r = run_cli(["calendar", "2027", "--json"])
    assert r.exit_code == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["year"] == 2027
    assert data["official"] is False
    assert data["source"] == "unofficial"
    assert data["makeup_workdays"] == []
    assert "2027" in r.stderr
    assert "警告" in r.stderr


def test_cli_calendar_official_package_year(run_cli):
    r = run_cli(["calendar", "2024", "--json"])
    assert r.exit_code == 0
    assert r.stderr == ""
    data = json.loads(r.stdout)
    assert (data["official"], data["source"]) == (True, "package")
    assert "2024-10-12" in data["makeup_workdays"]
    assert "2024-10-01" in {h["date"] for h in data["holidays"]}


def test_cli_deadline_running_into_an_unofficial_year_warns(run_cli):
    r = run_cli(["deadline", "2026-12-28", "--json"])
    assert r.exit_code == 0, r.stderr
    [row] = json.loads(r.stdout)
    assert row["deadline_date"].startswith("2027-")
    assert row["calendar_official"] is False
    assert "2027" in r.stderr and "警告" in r.stderr


def test_cli_deadline_in_an_official_year_is_silent(run_cli):
    r = run_cli(["deadline", "2024-09-27", "--json"])
    assert r.exit_code == 0
    [row] = json.loads(r.stdout)
    assert row["deadline_date"] == "2024-10-10"
    assert row["calendar_official"] is True
    assert r.stderr == ""


# -- malformed files -------------------------------------------------------------------------

MALFORMED = {
    "bad-date": (
        FICTITIOUS_2031.replace("dates: [2031-01-01]", "dates: [2031-02-30]"),
        "holidays",
    ),
    "bad-date-text": (
        FICTITIOUS_2031.replace("dates: [2031-01-01]", "dates: [next-tuesday]"),
        "holidays",
    ),
    "makeup-weekday": (
        FICTITIOUS_2031.replace("makeup_workdays: [2031-03-08]", "makeup_workdays: [2031-03-10]"),
        "makeup_workdays",
    ),
    "year-mismatch": (FICTITIOUS_2031.replace("year: 2031", "year: 2032"), "year"),
    "unknown-key": (FICTITIOUS_2031 + "remarks: 备注\n", "remarks"),
    "holiday-outside-year": (
        FICTITIOUS_2031.replace("dates: [2031-01-01]", "dates: [2030-12-31]"),
        "holidays",
    ),
    "no-notice-number": (FICTITIOUS_2031.replace("  number: 测试〔2031〕1号\n", ""), "notice"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_file_raises_calendar_error_naming_file_and_field(tmp_path, case):
    text, field = MALFORMED[case]
    rules = make_rules_dir(tmp_path, {"2031.yaml": text})
    with pytest.raises(CalendarError) as info:
        load_calendar_files(rules / "calendar")
    err = info.value
    assert str(err.path).endswith("2031.yaml")
    assert field in (err.field or err.problem)
    assert "2031.yaml" in str(err) and field in str(err)


def test_invalid_yaml_and_bad_file_name(tmp_path):
    rules = make_rules_dir(tmp_path / "a", {"2031.yaml": "year: [2031\n"})
    with pytest.raises(CalendarError, match="2031.yaml"):
        load_calendar_files(rules / "calendar")
    rules = make_rules_dir(tmp_path / "b", {"next-year.yaml": FICTITIOUS_2031})
    with pytest.raises(CalendarError, match="next-year.yaml"):
        load_calendar_files(rules / "calendar")


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_file_via_cli_is_one_line_error(run_cli, write_config, tmp_path, case):
    text, field = MALFORMED[case]
    rules = make_rules_dir(tmp_path, {"2031.yaml": text})
    cfg = write_config({"rules": {"dir": str(rules)}})
    r = run_cli(["calendar", "2031", "--json"], config=cfg)
    assert r.exit_code == 1
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("错误：")
    assert "2031.yaml" in lines[0]
    assert re.search(re.escape(field), lines[0])
    assert "Traceback" not in r.stderr
