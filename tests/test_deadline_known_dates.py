"""Deadlines on dates whose answer is known from the State Council's holiday notices.

guizhou-2023: 5 working days, the receipt day not counted (民法典 art. 201), ending at 24:00
(art. 203). Expected dates are worked out by hand from the official notices, e.g. 2024: 国庆
10-01..10-07 off, 09-29 (Sun) and 10-12 (Sat) worked; 2025: 春节 01-28..02-04 off, 01-26 (Sun)
and 02-08 (Sat) worked; 2026: 春节 02-15..02-23 off, 02-14 (Sat) and 02-28 (Sat) worked.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml
from rulehelpers import rule_data

from slamon.adapters.yaml_files import load_rules
from slamon.core.deadline import compute_deadline, governing_deadline
from slamon.core.rules import RuleSet

REPO_RULES = Path(__file__).resolve().parent.parent / "slamon" / "data" / "rules"


def write_rules(folder: Path, rules: dict[str, dict[str, Any]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for rule_id, data in rules.items():
        (folder / f"{rule_id}.yaml").write_text(
            yaml.safe_dump(data, allow_unicode=True), encoding="utf-8"
        )
    return folder


def at(tz: dt.tzinfo, text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=tz)


@pytest.mark.parametrize(
    ("received", "due"),
    [
        ("2024-09-27", "2024-10-10"),  # Fri → 09-29 (Sun, worked), 09-30, 10-08, 10-09, 10-10
        ("2024-10-01", "2024-10-12"),  # a holiday → 10-08..10-11 and 10-12, a makeup Saturday
        ("2025-01-24", "2025-02-07"),  # Fri → 01-26 (Sun, worked), 01-27, 02-05, 02-06, 02-07
        ("2026-02-13", "2026-02-27"),  # Fri → 02-14 (Sat, worked), 02-24, 02-25, 02-26, 02-27
    ],
)
def test_guizhou_2023_official_dates(ruleset, calendar, tz, received, due):
    d = governing_deadline(at(tz, received + "T10:00"), "conditional", ruleset, calendar, tz)
    assert d is not None
    assert d.rule_id == "guizhou-2023"
    assert d.working_days == 5
    assert d.deadline_date == dt.date.fromisoformat(due)
    assert d.calendar_official is True


def test_makeup_saturday_is_the_deadline(ruleset, calendar, tz):
    d = governing_deadline(at(tz, "2024-10-01T09:00"), "conditional", ruleset, calendar, tz)
    assert d.deadline_date.weekday() == 5
    assert calendar.is_working_day(d.deadline_date)


@pytest.mark.parametrize("time_of_day", ["00:00", "09:00", "23:30", "23:59:59.999999"])
def test_time_of_day_does_not_matter_receipt_day_is_excluded(ruleset, calendar, tz, time_of_day):
    d = governing_deadline(
        at(tz, f"2024-09-27T{time_of_day}"), "conditional", ruleset, calendar, tz
    )
    assert d.deadline_date == dt.date(2024, 10, 10)


def test_receipt_at_2330_counts_from_the_next_day(ruleset, calendar, tz):
    # Received Thursday 2024-09-26 at 23:30: counting starts on Friday 09-27.
    d = governing_deadline(at(tz, "2024-09-26T23:30"), "conditional", ruleset, calendar, tz)
    assert d.deadline_date == dt.date(2024, 10, 9)  # 09-27, 09-29, 09-30, 10-08, 10-09
    # A minute after midnight is the next day, whose deadline is one working day later.
    d2 = governing_deadline(at(tz, "2024-09-27T00:01"), "conditional", ruleset, calendar, tz)
    assert d2.deadline_date == dt.date(2024, 10, 10)


def test_deadline_instant_is_end_of_day_local(ruleset, calendar, tz):
    d = governing_deadline(at(tz, "2024-09-27T10:00"), "conditional", ruleset, calendar, tz)
    assert d.deadline == dt.datetime(2024, 10, 10, 23, 59, 59, 999999, tzinfo=tz)
    assert d.deadline.utcoffset() == dt.timedelta(hours=8)
    assert d.is_late(d.deadline) is False
    assert d.is_late(d.deadline + dt.timedelta(microseconds=1)) is True
    assert d.is_late(dt.datetime(2024, 10, 10, 12, 0, tzinfo=tz)) is False
    # The same instants seen from UTC.
    utc_last = dt.datetime(2024, 10, 10, 15, 59, 59, 999999, tzinfo=dt.UTC)
    assert d.is_late(utc_last) is False
    assert d.is_late(utc_last + dt.timedelta(microseconds=1)) is True


def test_close_of_business_rule_ends_at_1730(tmp_path, calendar, tz):
    folder = write_rules(
        tmp_path / "rules",
        {"cob": rule_data(counting={"start_day": "excluded", "ends_at": "17:30"})},
    )
    rule = load_rules(folder)["cob"]
    assert rule.ends_at == dt.time(17, 30)
    d = compute_deadline(at(tz, "2024-09-27T10:00"), rule, "conditional", calendar, tz)
    assert d.deadline_date == dt.date(2024, 10, 10)
    assert d.deadline == dt.datetime(2024, 10, 10, 17, 30, tzinfo=tz)
    assert d.is_late(dt.datetime(2024, 10, 10, 17, 30, tzinfo=tz)) is False
    assert d.is_late(dt.datetime(2024, 10, 10, 17, 30, 0, 1, tzinfo=tz)) is True
    assert d.is_late(dt.datetime(2024, 10, 10, 20, 0, tzinfo=tz)) is True


def test_national_2025_unconditional_is_one_working_day(calendar, tz):
    rules = RuleSet(load_rules(REPO_RULES), ("guizhou-2023", "national-2025"))
    # 2025-09-30 (Tue): 10-01..10-08 off under the 2025 notice → the next working day is 10-09.
    d = governing_deadline(at(tz, "2025-09-30T15:00"), "unconditional", rules, calendar, tz)
    assert d.rule_id == "national-2025"
    assert d.working_days == 1
    assert d.deadline_date == dt.date(2025, 10, 9)
    # 2025-08-01 (Fri), the first day in force → Monday 08-04.
    d = governing_deadline(at(tz, "2025-08-01T09:00"), "unconditional", rules, calendar, tz)
    assert d.deadline_date == dt.date(2025, 8, 4)


@pytest.mark.parametrize(
    "active", [("guizhou-2023", "national-2025"), ("national-2025", "guizhou-2023")]
)
def test_earliest_deadline_governs_whatever_the_order(calendar, tz, active):
    rules = RuleSet(load_rules(REPO_RULES), active)
    # conditional: guizhou-2023 gives 5 working days, national-2025 gives 10.
    d = governing_deadline(at(tz, "2025-09-30T15:00"), "conditional", rules, calendar, tz)
    assert d.rule_id == "guizhou-2023"
    assert d.working_days == 5
    # 10-09, 10-10, 10-11 (Sat, worked), 10-13, 10-14
    assert d.deadline_date == dt.date(2025, 10, 14)


def test_earliest_deadline_can_come_from_the_rule_listed_second(tmp_path, calendar, tz):
    folder = write_rules(
        tmp_path / "rules",
        {
            "slow": rule_data(working_days=7),
            "fast": rule_data(working_days=3),
            "same-as-fast": rule_data(working_days=3),
        },
    )
    loaded = load_rules(folder)
    start = at(tz, "2024-09-27T10:00")
    d = governing_deadline(start, "conditional", RuleSet(loaded, ("slow", "fast")), calendar, tz)
    assert (d.rule_id, d.deadline_date) == ("fast", dt.date(2024, 10, 8))  # 09-29, 09-30, 10-08
    # A tie goes to the rule listed first.
    tie = RuleSet(loaded, ("same-as-fast", "fast"))
    assert governing_deadline(start, "conditional", tie, calendar, tz).rule_id == "same-as-fast"
    tie = RuleSet(loaded, ("fast", "same-as-fast"))
    assert governing_deadline(start, "conditional", tie, calendar, tz).rule_id == "fast"


def test_rule_not_yet_in_force_does_not_apply(calendar, tz):
    rules = RuleSet(load_rules(REPO_RULES), ("guizhou-2023", "national-2025"))
    before = at(tz, "2025-07-31T23:59")
    assert governing_deadline(before, "unconditional", rules, calendar, tz) is None
    only_national = RuleSet(load_rules(REPO_RULES), ("national-2025",))
    assert governing_deadline(before, "conditional", only_national, calendar, tz) is None
    # The effective date is judged on the local receipt date: 2025-07-31 20:00 UTC is
    # 2025-08-01 04:00 in Shanghai.
    utc_evening = dt.datetime(2025, 7, 31, 20, 0, tzinfo=dt.UTC)
    d = governing_deadline(utc_evening, "unconditional", rules, calendar, tz)
    assert d is not None and d.rule_id == "national-2025"
    assert d.deadline_date == dt.date(2025, 8, 4)


def test_rule_past_effective_until_does_not_apply(tmp_path, calendar, tz):
    folder = write_rules(
        tmp_path / "rules",
        {"old": rule_data(effective_from="2020-01-01", effective_until="2023-06-07")},
    )
    rules = RuleSet(load_rules(folder), ("old",))
    assert governing_deadline(at(tz, "2023-06-07T12:00"), "conditional", rules, calendar, tz)
    assert (
        governing_deadline(at(tz, "2023-06-08T12:00"), "conditional", rules, calendar, tz) is None
    )


def test_guizhou_2023_does_not_cover_unconditional(ruleset, calendar, tz):
    assert (
        governing_deadline(at(tz, "2024-09-27T10:00"), "unconditional", ruleset, calendar, tz)
        is None
    )


@pytest.mark.parametrize(
    ("received", "excluded_due", "included_due"),
    [
        # A working day: counted as day 1 when included.
        ("2024-09-27", "2024-10-10", "2024-10-09"),
        # A holiday is not a working day, so including it changes nothing.
        ("2024-10-01", "2024-10-12", "2024-10-12"),
    ],
)
def test_start_day_included_variant(tmp_path, calendar, tz, received, excluded_due, included_due):
    folder = write_rules(
        tmp_path / "rules",
        {
            "incl": rule_data(counting={"start_day": "included"}),
            "excl": rule_data(counting={"start_day": "excluded"}),
        },
    )
    loaded = load_rules(folder)
    assert loaded["incl"].start_day_excluded is False
    start = at(tz, received + "T10:00")
    excl = compute_deadline(start, loaded["excl"], "conditional", calendar, tz)
    incl = compute_deadline(start, loaded["incl"], "conditional", calendar, tz)
    assert excl.deadline_date == dt.date.fromisoformat(excluded_due)
    assert incl.deadline_date == dt.date.fromisoformat(included_due)
