"""The store-less commands: deadline, rules, check-config; exit codes and one-line errors."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

DEADLINE_KEYS = {
    "received",
    "rule",
    "share_type",
    "working_days",
    "deadline_date",
    "deadline",
    "calendar_official",
}


def one_error_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("错误："), stderr
    return lines[0]


def squeeze(text: str) -> str:
    """Console output without whitespace, so rich's line wrapping cannot split a phrase."""
    return re.sub(r"\s+", "", text)


# -- deadline --------------------------------------------------------------------------------


def test_deadline_json_shape(run_cli, tz):
    r = run_cli(["deadline", "2024-10-01", "2024-09-27 16:45", "--json"])
    assert r.exit_code == 0, r.stderr
    assert r.stderr == ""
    rows = json.loads(r.stdout)
    assert isinstance(rows, list) and len(rows) == 2
    for row in rows:
        assert set(row) == DEADLINE_KEYS
        assert row["rule"] == "guizhou-2023"
        assert row["share_type"] == "conditional"
        assert row["working_days"] == 5
        assert row["calendar_official"] is True
    first, second = rows
    assert dt.datetime.fromisoformat(first["received"]) == dt.datetime(2024, 10, 1, tzinfo=tz)
    assert dt.datetime.fromisoformat(second["received"]) == dt.datetime(
        2024, 9, 27, 16, 45, tzinfo=tz
    )
    assert first["deadline_date"] == "2024-10-12"
    assert second["deadline_date"] == "2024-10-10"
    deadline = dt.datetime.fromisoformat(first["deadline"])
    assert deadline.utcoffset() == dt.timedelta(hours=8)
    assert deadline.date() == dt.date(2024, 10, 12)
    assert deadline.time().replace(microsecond=0) == dt.time(23, 59, 59)


def test_deadline_json_keeps_input_order_and_offsets(run_cli, tz):
    r = run_cli(["deadline", "2024-09-26T20:00:00Z", "2024/09/26 10:00", "--json"])
    assert r.exit_code == 0, r.stderr
    utc_evening, local_morning = json.loads(r.stdout)
    # 20:00 UTC on the 26th is 04:00 on the 27th in Shanghai.
    assert utc_evening["deadline_date"] == "2024-10-10"
    assert local_morning["deadline_date"] == "2024-10-09"


def test_deadline_share_type_in_chinese(run_cli):
    argv = ["deadline", "2025-09-30 15:00", "--rule", "national-2025", "--share-type", "无条件共享"]
    r = run_cli([*argv, "--json"])
    assert r.exit_code == 0, r.stderr
    [row] = json.loads(r.stdout)
    assert row["share_type"] == "unconditional"
    assert row["rule"] == "national-2025"
    assert row["working_days"] == 1
    assert row["deadline_date"] == "2025-10-09"  # 10-01..10-08 off under the 2025 notice


def test_deadline_table_output(run_cli):
    r = run_cli(["deadline", "2024-10-01"])
    assert r.exit_code == 0, r.stderr
    assert "2024-10-12" in r.stdout
    assert "guizhou-2023" in r.stdout


def test_unknown_share_type(run_cli):
    r = run_cli(["deadline", "2024-10-01", "--share-type", "sometimes"])
    assert r.exit_code == 1
    assert "sometimes" in one_error_line(r.stderr)


def test_rule_not_applicable_to_share_type_is_a_user_error(run_cli):
    # guizhou-2023 covers conditional applications only.
    r = run_cli(["deadline", "2024-10-01", "--share-type", "unconditional"])
    assert r.exit_code == 1
    assert "guizhou-2023" in one_error_line(r.stderr)


def test_rule_not_yet_in_force_is_a_user_error(run_cli):
    r = run_cli(["deadline", "2025-07-31", "--rule", "national-2025", "--share-type", "无条件共享"])
    assert r.exit_code == 1
    assert "national-2025" in one_error_line(r.stderr)


@pytest.mark.parametrize("bad", ["2024-13-01", "yesterday", "2024/02/30 10:00"])
def test_unparseable_date(run_cli, bad):
    r = run_cli(["deadline", "2024-10-01", bad, "--json"])
    assert r.exit_code == 1
    assert r.stdout == ""
    assert bad in one_error_line(r.stderr)


def test_unknown_rule(run_cli):
    r = run_cli(["deadline", "2024-10-01", "--rule", "shanghai-2019", "--json"])
    assert r.exit_code == 1
    assert r.stdout == ""
    assert "shanghai-2019" in one_error_line(r.stderr)


# -- configuration ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "key", "value"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone", "Mars/Olympus"),
        ({"smtp": {"port": "x"}}, "smtp.port", "'x'"),
        ({"smtp": {"port": 70000}}, "smtp.port", "70000"),
        ({"colour": "red"}, "colour", None),
        ({"rules": {"activ": ["guizhou-2023"]}}, "rules.activ", None),
        ({"source": {"kind": "ftp"}}, "source.kind", "ftp"),
        ({"smtp": {"password": "hunter2"}}, "smtp.password", None),
    ],
)
def test_bad_config_names_the_key(run_cli, write_config, config, key, value):
    cfg = write_config(config)
    r = run_cli(["deadline", "2024-10-01", "--json"], config=cfg)
    assert r.exit_code == 1
    assert r.stdout == ""
    line = one_error_line(r.stderr)
    assert key in line
    if value is not None:
        assert value in line
    assert "hunter2" not in line


def test_invalid_yaml_config(run_cli, write_config):
    cfg = write_config("timezone: [Asia/Shanghai\n")
    r = run_cli(["rules"], config=cfg)
    assert r.exit_code == 1
    assert str(cfg) in one_error_line(r.stderr)


def test_missing_config_file(run_cli, tmp_path):
    r = run_cli(["rules"], config=tmp_path / "absent.yaml")
    assert r.exit_code == 1
    assert "absent.yaml" in one_error_line(r.stderr)


def test_config_from_environment_and_cwd(run_cli, write_config, tmp_path, monkeypatch):
    # ./config.yaml is picked up without --config ...
    write_config({"rules": {"active": ["nope-rule"]}})
    r = run_cli(["deadline", "2024-10-01"])
    assert r.exit_code == 1 and "nope-rule" in r.stderr
    # ... and $SLAMON_CONFIG wins over it.
    other = write_config({"rules": {"active": ["other-rule"]}}, folder=tmp_path / "elsewhere")
    monkeypatch.setenv("SLAMON_CONFIG", str(other))
    r = run_cli(["deadline", "2024-10-01"])
    assert r.exit_code == 1 and "other-rule" in r.stderr


def test_active_rules_from_config_govern(run_cli, write_config):
    cfg = write_config({"rules": {"active": ["guizhou-2023", "national-2025"]}})
    r = run_cli(["deadline", "2025-09-30", "--share-type", "unconditional", "--json"], config=cfg)
    assert r.exit_code == 0, r.stderr
    [row] = json.loads(r.stdout)
    assert (row["rule"], row["deadline_date"]) == ("national-2025", "2025-10-09")


# -- rules -----------------------------------------------------------------------------------


def test_rules_json(run_cli):
    r = run_cli(["rules", "--json"])
    assert r.exit_code == 0, r.stderr
    rows = json.loads(r.stdout)
    by_id = {row["id"]: row for row in rows}
    assert set(by_id) == {"guizhou-2023", "national-2025", "guizhou-2020"}
    assert [rid for rid, row in by_id.items() if row["active"]] == ["guizhou-2023"]
    assert by_id["guizhou-2023"]["working_days"] == {"conditional": 5}
    assert by_id["national-2025"]["working_days"] == {"conditional": 10, "unconditional": 1}
    assert by_id["guizhou-2023"]["ends_at"] == "24:00"


def test_rules_table(run_cli):
    r = run_cli(["rules"])
    assert r.exit_code == 0
    for rid in ("guizhou-2023", "national-2025", "guizhou-2020"):
        assert rid in r.stdout


# -- check-config ----------------------------------------------------------------------------


@pytest.fixture
def quiet_config(write_config):
    """Demo source and an SMTP port nobody listens on: check-config finishes quickly."""
    return write_config({"source": {"kind": "demo"}, "smtp": {"host": "127.0.0.1", "port": 9}})


def test_check_config_warns_in_november_about_next_year(run_cli, quiet_config):
    r = run_cli(["check-config", "--now", "2026-11-23T10:00"], config=quiet_config)
    assert r.exit_code == 0, r.stdout + r.stderr
    out = squeeze(r.stdout)
    assert "警告日历2027" in out
    assert "通过日历2026" in out


def test_check_config_before_november_does_not_warn(run_cli, quiet_config):
    r = run_cli(["check-config", "--now", "2026-10-01T10:00"], config=quiet_config)
    assert r.exit_code == 0, r.stdout + r.stderr
    out = squeeze(r.stdout)
    assert "警告日历2027" not in out
    assert "通过日历2027" in out


def test_check_config_fails_when_the_current_year_is_unofficial(run_cli, quiet_config):
    r = run_cli(["check-config", "--now", "2027-01-04T10:00"], config=quiet_config)
    assert r.exit_code == 1
    assert "错误日历2027" in squeeze(r.stdout)


def test_check_config_bad_now(run_cli, quiet_config):
    r = run_cli(["check-config", "--now", "soon"], config=quiet_config)
    assert r.exit_code == 1
    assert "soon" in one_error_line(r.stderr)


# -- usage errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["deadline", "2024-10-01", "--no-such-option"],
        ["deadline"],
        ["calendar", "twenty"],
        ["no-such-command"],
    ],
)
def test_usage_error_exits_2(run_cli, argv):
    assert run_cli(argv).exit_code == 2


def test_help_exits_0(run_cli):
    r = run_cli(["--help"])
    assert r.exit_code == 0
    assert "deadline" in r.stdout


def test_config_dates_stay_text_so_a_date_like_folder_name_is_no_error(run_cli, write_config):
    # The one YAML loader keeps timestamps as text: "2025-02-30" is a folder name here, not a
    # crash in PyYAML's date constructor.
    cfg = write_config("timezone: Asia/Shanghai\nreport:\n  dir: 2025-02-30\n")
    res = run_cli(["deadline", "2024-10-01"], config=cfg)
    assert res.exit_code == 0, res.stderr


def test_broken_config_yaml_is_a_one_line_error_naming_the_line(run_cli, write_config):
    cfg = write_config("timezone: Asia/Shanghai\nstore: [unclosed\n")
    res = run_cli(["deadline", "2024-10-01"], config=cfg)
    assert res.exit_code == 1
    assert res.stderr.startswith("错误：") and "config.yaml" in res.stderr and "行" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_deadline_table_shows_close_of_business_not_24(run_cli, write_config, tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "cob.yaml").write_text(
        "title: 下班截止\ninstrument: 测试\ncitation: 测试。\neffective_from: 2020-01-01\n"
        "share_types: [conditional]\nworking_days: 5\ncounting: {ends_at: '23:59'}\n",
        encoding="utf-8",
    )
    cfg = write_config({"rules": {"dir": str(rules), "active": ["cob"]}})
    res = run_cli(["deadline", "2024-09-27"], config=cfg)
    assert res.exit_code == 0, res.stderr
    assert "2024-10-10 23:59" in res.stdout and "24:00" not in res.stdout
