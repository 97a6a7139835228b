"""``slamon calendar import``: a notice read, checked, compared with the calendar in force, written.

tests/data/calendar-notices/ holds nine years' published notices (expected.json: what each says);
tests/data/calendar-transcribed/ more years, and two a later notice revised (its README).
The 2027 notice (calendarhelpers) is FICTITIOUS test data, consistent with itself: not the real schedule.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from calendarhelpers import FICTITIOUS_2027

from slamon.adapters.yaml_files import load_calendar, load_calendar_files

DATA = Path(__file__).resolve().parent / "data"
NOTICES = DATA / "calendar-notices"
TRANSCRIBED = DATA / "calendar-transcribed"
EXPECTED = json.loads((NOTICES / "expected.json").read_text(encoding="utf-8"))
SHAPE = {"year", "official", "source", "source_detail", "holidays", "makeup_workdays"}


def one_error_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("错误："), stderr
    return lines[0]


@pytest.fixture
def site(tmp_path, write_config):
    """A config whose site rules folder (empty) is tmp_path/site; returns (config, calendar dir)."""
    (tmp_path / "site").mkdir()
    cfg = write_config({"rules": {"dir": str(tmp_path / "site")}})
    return cfg, tmp_path / "site" / "calendar"


def write_notice(folder: Path, text: str, name: str = "notice.txt", encoding="utf-8") -> Path:
    path = folder / name
    path.write_bytes(text.encode(encoding))
    return path


def dry_run(run_cli, notice: Path, config=None) -> dict:
    r = run_cli(["calendar", "import", str(notice), "--dry-run", "--json"], config=config)
    assert r.exit_code == 0, r.stderr
    return json.loads(r.stdout)


def status(data: dict, day: dt.date) -> bool:
    """Whether ``day`` is a working day by an import's JSON (its year's days, weekends else)."""
    if day.isoformat() in data["makeup_workdays"]:
        return True
    return day.weekday() < 5 and day.isoformat() not in {h["date"] for h in data["holidays"]}


# -- the nine published notices ----------------------------------------------------------------


@pytest.mark.parametrize("year", sorted(EXPECTED))
def test_every_notice_imports_to_the_days_it_names(run_cli, year):
    data = dry_run(run_cli, NOTICES / f"{year}.txt")
    assert SHAPE | {"notice", "changes", "needs_replace", "written"} == set(data)
    assert data["year"] == int(year)
    assert sorted(h["date"] for h in data["holidays"]) == EXPECTED[year]["holidays"]
    assert data["makeup_workdays"] == EXPECTED[year]["makeup_workdays"]
    assert (data["official"], data["source"], data["written"]) == (True, "file", None)
    assert data["notice"]["date"] == EXPECTED[year]["issue_date"]


@pytest.mark.parametrize("year", sorted(EXPECTED))
def test_every_notice_agrees_with_the_package_on_every_day_of_its_year(run_cli, calendar, year):
    # None of these nine years was revised by a later notice, so the package (which carries
    # revisions) must agree on every date, and there is nothing to list as a change. The dates
    # the next year's notice sets in late December (2011-12-31, 2018-12-29/31) stay as they are.
    data = dry_run(run_cli, NOTICES / f"{year}.txt")
    first = dt.date(int(year), 1, 1)
    days = [
        first + dt.timedelta(n) for n in range(366) if (first + dt.timedelta(n)).year == first.year
    ]
    late_december = {
        "2011": ["2011-12-31"],
        "2018": ["2018-12-29", "2018-12-31"],
    }.get(year, [])
    differing = [d.isoformat() for d in days if status(data, d) != calendar.is_working_day(d)]
    assert differing == late_december
    assert data["changes"] == []
    assert data["needs_replace"] is False


@pytest.mark.parametrize("year", [2010, 2023, 2025])
def test_other_years_notices_agree_with_the_package(run_cli, calendar, year):
    # The reader generalises: three more years' wordings (see calendar-transcribed/README.md).
    data = dry_run(run_cli, TRANSCRIBED / f"{year}.txt")
    assert data["changes"] == [] and data["year"] == year
    first = dt.date(year, 1, 1)
    days = [first + dt.timedelta(n) for n in range(365)]
    assert [d for d in days if status(data, d) != calendar.is_working_day(d)] == []
    if year == 2023:  # "2022年12月31日至2023年1月2日放假调休"
        assert {"date": "2022-12-31", "name": "元旦"} in data["holidays"]


def test_gb18030_and_full_width_notice(run_cli, tmp_path):
    text = (NOTICES / "2012.txt").read_text(encoding="utf-8")
    full = text.translate(str.maketrans({",": "，", ":": "：", "(": "（", ")": "）"}))
    data = dry_run(run_cli, write_notice(tmp_path, full, encoding="gb18030"))
    assert sorted(h["date"] for h in data["holidays"]) == EXPECTED["2012"]["holidays"]
    assert data["makeup_workdays"] == EXPECTED["2012"]["makeup_workdays"]


def test_text_output_without_changes(run_cli):
    r = run_cli(["calendar", "import", str(NOTICES / "2024.txt"), "--dry-run"])
    assert r.exit_code == 0, r.stderr
    assert "国办发明电〔2023〕7号" in r.stdout
    assert "与现行日历相同，没有变化" in r.stdout
    assert "试运行：未写入" in r.stdout


# -- refusals ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("year", "original", "tampered", "words"),
    [
        ("2024", "共8天", "共9天", "写明共 9 天，但2月10日至2月17日共 8 天"),
        ("2011", "4月2日(星期六)上班", "4月1日上班", "2011年4月1日是星期五，不是周六或周日"),
        ("2026", "9月20日(周日)", "9月20日(周六)", "9月20日(周六) 注明的星期与日期不符"),
        ("2022", "关于2022年部分", "关于2023年部分", "标题为 2023 年"),
    ],
    ids=["total", "makeup-weekday", "weekday-note", "title-year"],
)
def test_a_tampered_notice_is_refused_and_nothing_written(
    run_cli, site, tmp_path, year, original, tampered, words
):
    cfg, folder = site
    text = (NOTICES / f"{year}.txt").read_text(encoding="utf-8")
    assert original in text
    notice = write_notice(tmp_path, text.replace(original, tampered))
    for extra in ([], ["--json"], ["--dry-run"]):
        r = run_cli(["calendar", "import", str(notice), *extra], config=cfg)
        assert r.exit_code == 1
        assert r.stdout == ""
        line = one_error_line(r.stderr)
        assert words in line
        assert line.startswith("错误：通知「")
    assert not folder.exists()


def test_a_missing_notice_file_is_one_line(run_cli, tmp_path):
    r = run_cli(["calendar", "import", str(tmp_path / "none.txt")])
    assert r.exit_code == 1
    assert "none.txt" in one_error_line(r.stderr)


# -- a year already official: --replace; supplementary notices ---------------------------------

REVISED = {
    # year: (the first notice, its revision, the dates where the first differs from the package)
    2019: (
        "2019.txt",
        "2019-labour-day.txt",
        [
            ("2019-04-28", "workday", "day_off"),
            ("2019-05-02", "day_off", "workday"),
            ("2019-05-03", "day_off", "workday"),
            ("2019-05-05", "workday", "day_off"),
        ],
    ),
    2020: (
        "2020.txt",
        "2020-extension.txt",
        [("2020-01-31", "day_off", "workday"), ("2020-02-01", "day_off", "workday")],
    ),
}


@pytest.mark.parametrize("year", sorted(REVISED))
def test_a_notice_a_later_notice_revised_needs_replace(run_cli, site, calendar, year):
    cfg, folder = site
    first, revision, differing = REVISED[year]
    notice = TRANSCRIBED / first
    # Dry run: the changes against the package's (revised) schedule, and a warning.
    r = run_cli(["calendar", "import", str(notice), "--dry-run", "--json"], config=cfg)
    assert r.exit_code == 0, r.stderr
    data = json.loads(r.stdout)
    assert [(c["date"], c["was"], c["now"]) for c in data["changes"]] == differing
    assert data["needs_replace"] is True
    assert "--replace" in r.stderr
    # Without --replace: refused, listing the dates; nothing written.
    r = run_cli(["calendar", "import", str(notice)], config=cfg)
    assert r.exit_code == 1
    line = one_error_line(r.stderr)
    assert all(d in line for d, _, _ in differing) and "--replace" in line
    assert not (folder / f"{year}.yaml").exists()
    # With --replace: written, and the year comes from the file.
    r = run_cli(["calendar", "import", str(notice), "--replace", "--json"], config=cfg)
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["written"] == str(folder / f"{year}.yaml")
    shown = json.loads(run_cli(["calendar", str(year), "--json"], config=cfg).stdout)
    assert (
        shown["source"] == "file" and f"关于{year}年部分节假日安排的通知" in shown["source_detail"]
    )
    # The revision amends the file without --replace, and the year agrees with the package again.
    r = run_cli(["calendar", "import", str(TRANSCRIBED / revision), "--json"], config=cfg)
    assert r.exit_code == 0, r.stderr
    data = json.loads(r.stdout)
    assert [(c["date"], c["now"], c["was"]) for c in data["changes"]] == differing
    assert data["notice"]["supplement"] is True
    after = load_calendar(folder.parent)
    assert after.year_info(year).source == "file"
    assert "修订「国务院办公厅关于" in after.year_info(year).source_detail
    first_day = dt.date(year, 1, 1)
    for n in range(366):
        day = first_day + dt.timedelta(n)
        assert after.is_working_day(day) == calendar.is_working_day(day), day


def test_a_supplementary_notice_needs_an_official_year(run_cli, tmp_path):
    # The 2019 revision moved to 2030 (FICTITIOUS; 2030's weekdays are 2019's), a year with no
    # official schedule to revise.
    text = (TRANSCRIBED / "2019-labour-day.txt").read_text(encoding="utf-8")
    notice = write_notice(
        tmp_path, text.replace("2019年", "2030年").replace("〔2019〕", "〔2030〕")
    )
    r = run_cli(["calendar", "import", str(notice), "--dry-run"])
    assert r.exit_code == 1
    assert "补充通知无从修改" in one_error_line(r.stderr)


# -- a real import: the year becomes official and deadline uses it ------------------------------


def test_import_makes_the_year_official_and_deadline_uses_it(run_cli, site, tmp_path):
    cfg, folder = site
    before = run_cli(["deadline", "2027-02-05T10:00", "--json"], config=cfg)
    assert json.loads(before.stdout)[0]["calendar_official"] is False
    notice = write_notice(tmp_path, FICTITIOUS_2027)

    r = run_cli(["calendar", "import", str(notice)], config=cfg)
    assert r.exit_code == 0, r.stderr
    assert "导入后的变化" in r.stdout
    assert "2027-01-31" in r.stdout and "调休上班" in r.stdout  # a Sunday made a working day
    assert f"已写入 {folder / '2027.yaml'}" in r.stdout

    [parsed] = load_calendar_files(folder).values()  # parse_calendar_file accepts what it wrote
    assert parsed.notice_number == "国办发明电〔2026〕99号"
    assert parsed.notice_date == dt.date(2026, 11, 10)
    assert len(parsed.holidays) == 29 and len(parsed.makeup_workdays) == 6
    shown = json.loads(run_cli(["calendar", "2027", "--json"], config=cfg).stdout)
    assert (shown["official"], shown["source"]) == (True, "file")
    assert "国务院办公厅关于2027年部分节假日安排的通知" in shown["source_detail"]
    assert "国办发明电〔2026〕99号" in shown["source_detail"]

    after = run_cli(["deadline", "2027-02-05T10:00", "--json"], config=cfg)
    assert after.stderr == ""
    [row] = json.loads(after.stdout)
    # Fri 02-05 → 02-06..13 off, 14 Sunday → 15, 16, 17, 18, 19: the 5th working day.
    assert (row["working_days"], row["deadline_date"], row["calendar_official"]) == (
        5,
        "2027-02-19",
        True,
    )
    # The makeup Saturday counts: after Wed 02-17 come 18, 19, 20 (Sat, 上班), 22, 23.
    [row] = json.loads(run_cli(["deadline", "2027-02-17T10:00", "--json"], config=cfg).stdout)
    assert row["deadline_date"] == "2027-02-23"


def test_importing_the_same_notice_again_changes_nothing(run_cli, site, tmp_path):
    cfg, folder = site
    notice = write_notice(tmp_path, FICTITIOUS_2027)
    assert run_cli(["calendar", "import", str(notice)], config=cfg).exit_code == 0
    data = dry_run(run_cli, notice, config=cfg)
    assert data["changes"] == [] and data["needs_replace"] is False


def test_a_different_notice_for_a_year_imported_before_needs_replace(run_cli, site, tmp_path):
    cfg, folder = site
    assert (
        run_cli(
            ["calendar", "import", str(write_notice(tmp_path, FICTITIOUS_2027))], config=cfg
        ).exit_code
        == 0
    )
    original = (folder / "2027.yaml").read_text(encoding="utf-8")
    # A (FICTITIOUS) revision: 端午节 moves from 06-12..14 to 06-19..21.
    moved = FICTITIOUS_2027.replace(
        "6月12日（周六）至14日（周一）", "6月19日（周六）至21日（周一）"
    )
    notice = write_notice(tmp_path, moved, name="moved.txt")
    r = run_cli(["calendar", "import", str(notice)], config=cfg)
    assert r.exit_code == 1
    line = one_error_line(r.stderr)
    assert "2027-06-14" in line and "2027-06-21" in line and "--replace" in line
    assert (folder / "2027.yaml").read_text(encoding="utf-8") == original
    r = run_cli(["calendar", "import", str(notice), "--replace", "--json"], config=cfg)
    assert r.exit_code == 0, r.stderr
    assert [(c["date"], c["now"]) for c in json.loads(r.stdout)["changes"]] == [
        ("2027-06-14", "workday"),
        ("2027-06-21", "day_off"),
    ]
    assert "to: 2027-06-21" in (folder / "2027.yaml").read_text(encoding="utf-8")


def test_a_cross_year_notice_is_written_and_read_back(run_cli, site, tmp_path):
    # The 2019 notice names 2018-12-29..31; with --replace it lands in 2019.yaml and loads.
    cfg, folder = site
    r = run_cli(["calendar", "import", str(TRANSCRIBED / "2019.txt"), "--replace"], config=cfg)
    assert r.exit_code == 0, r.stderr
    files = load_calendar_files(folder)
    assert dt.date(2018, 12, 30) in files[2019].holidays
    assert dt.date(2018, 12, 29) in files[2019].makeup_workdays
    cal = load_calendar(folder.parent)
    assert cal.is_working_day(dt.date(2018, 12, 29)) and not cal.is_working_day(
        dt.date(2018, 12, 31)
    )


def test_check_config_names_the_import_command(run_cli, write_config):
    cfg = write_config({"source": {"kind": "demo"}, "smtp": {"host": "127.0.0.1", "port": 9}})
    r = run_cli(["check-config", "--now", "2026-11-23T10:00"], config=cfg)
    assert "slamon calendar import 通知文件" in r.stdout.replace("\n", "")


def test_calendar_help_lists_import_and_the_year_form_is_unchanged(run_cli):
    r = run_cli(["calendar", "--help"])
    assert r.exit_code == 0
    assert "import" in r.stdout and "YEAR" in r.stdout
    r = run_cli(["calendar", "--json", "2024"])
    assert r.exit_code == 0 and json.loads(r.stdout)["source"] == "package"
    r = run_cli(["calendar", "twenty"])
    assert r.exit_code == 2
    assert "slamon calendar [选项]" in r.stderr and "calendar show" not in r.stderr
