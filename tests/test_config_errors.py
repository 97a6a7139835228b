"""Configuration errors carry the key and the bad value; the sentence is made from them."""

from __future__ import annotations

from pathlib import Path

import pytest

from slamon.config import load_settings, parse_settings
from slamon.core.errors import ConfigError

CASES = {
    "unknown source kind": ({"source": {"kind": "ftp"}}, "source.kind", "ftp"),
    "unknown cursor kind": ({"source": {"cursor": "epoch_us"}}, "source.cursor", "epoch_us"),
    "port out of range": ({"smtp": {"port": 70000}}, "smtp.port", 70000),
    "window ends first": (
        {"notify": {"window_start": "17:00", "window_end": "09:00"}},
        "notify.window_end",
        "09:00",
    ),
    "bad supervisor": ({"supervisors": ["not-an-address"]}, "supervisors", ["not-an-address"]),
    "unknown zone": ({"timezone": "Mars/Olympus"}, "timezone", "Mars/Olympus"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_config_error_names_key_and_value(tmp_path: Path, case: str) -> None:
    data, key, value = CASES[case]
    with pytest.raises(ConfigError) as info:
        parse_settings(data, None, tmp_path, {})
    err = info.value
    assert (err.key, err.value) == (key, value)
    assert str(err).startswith(f"配置项 {key}：")


def test_unknown_key_is_named_without_a_value(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        parse_settings({"smtp": {"hots": "x"}}, None, tmp_path, {})
    assert info.value.key == "smtp.hots" and not info.value.has_value


def test_password_in_the_file_is_refused_by_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        parse_settings({"smtp": {"password": "s3cret"}}, None, tmp_path, {})
    assert info.value.key == "smtp.password"
    assert "s3cret" not in str(info.value)


def test_missing_config_file_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError) as info:
        load_settings(missing, env={}, cwd=tmp_path)
    assert info.value.path == missing and info.value.key is None


# -- near-miss keys and every error at once (check-config) ----------------------------------------

MISTAKES = {
    "sorce": {"kind": "demo"},
    "smtp": {"hots": "relay.example", "port": 0, "sender": "nobody"},
    "notify": {"window_start": "9:00"},
    "web": {"lisen": "127.0.0.1:8080"},
    "metrics": {"listen": "nowhere"},
    "vocabulary": {"decison": {}},
}


@pytest.mark.parametrize(
    ("data", "key", "guess"),
    [
        ({"sorce": {}}, "sorce", "source"),
        ({"smtp": {"hots": "x"}}, "smtp.hots", "smtp.host"),
        ({"notify": {"windw_end": "18:00"}}, "notify.windw_end", "notify.window_end"),
        ({"web": {"lisen": "x"}}, "web.lisen", "web.listen"),
        ({"metrics": {"listn": "x"}}, "metrics.listn", "metrics.listen"),
        ({"vocabulary": {"decison": {}}}, "vocabulary.decison", "vocabulary.decision"),
    ],
)
def test_an_unknown_key_names_the_nearest_known_one(tmp_path: Path, data, key, guess) -> None:
    with pytest.raises(ConfigError) as info:
        parse_settings(data, None, tmp_path, {})
    assert info.value.key == key
    assert str(info.value) == f"配置项 {key}：未知配置项，是否指 {guess}？"


def test_an_unknown_key_like_no_known_one_gets_no_guess(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        parse_settings({"smtp": {"zzzzzz": 1}}, None, tmp_path, {})
    assert str(info.value) == "配置项 smtp.zzzzzz：未知配置项"


def test_start_up_still_stops_at_the_first_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        parse_settings(MISTAKES, None, tmp_path, {})
    assert info.value.key == "sorce"


def test_collecting_reports_every_error_with_its_key(tmp_path: Path) -> None:
    errors: list[ConfigError] = []
    settings = parse_settings(MISTAKES, None, tmp_path, {}, errors)
    assert [e.key for e in errors] == [
        "sorce",
        "smtp.hots",
        "smtp.sender",
        "smtp.port",
        "notify.window_start",
        "vocabulary.decison",
        "web.lisen",
        "metrics.listen",
    ]
    assert "是否指 smtp.host？" in str(errors[1])
    assert errors[3].value == 0
    # Each bad key keeps its default, the good ones their value.
    assert settings.smtp.port == 25 and settings.notify.window_start.hour == 9


def test_collecting_a_valid_configuration_finds_nothing(tmp_path: Path) -> None:
    errors: list[ConfigError] = []
    parse_settings({"smtp": {"host": "relay.example", "port": 587}}, None, tmp_path, {}, errors)
    assert errors == []


def test_check_config_lists_every_error_at_once(run_cli, write_config) -> None:
    res = run_cli(["check-config"], config=write_config(MISTAKES))
    assert res.exit_code == 1
    lines = [line for line in res.stdout.splitlines() if line.startswith("错误")]
    assert len(lines) == 8, res.stdout
    assert "错误  配置项 sorce：未知配置项，是否指 source？" in lines
    assert "错误  配置项 smtp.hots：未知配置项，是否指 smtp.host？" in lines
    assert "共 8 项：8 项错误" in res.stdout


def test_other_commands_name_the_first_error_with_its_guess(run_cli, write_config) -> None:
    res = run_cli(["status"], config=write_config({"sorce": {"kind": "demo"}}))
    assert res.exit_code == 1
    assert res.stderr.strip() == "错误：配置项 sorce：未知配置项，是否指 source？"
