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
