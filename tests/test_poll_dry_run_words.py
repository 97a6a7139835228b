"""``poll --dry-run`` stores nothing and says so: never 已读取并入库, the counts as what a real
read would store."""

from __future__ import annotations

import json

import pytest
from storehelpers import REPO_ROOT

NOW = "2025-01-02T10:00"


@pytest.fixture
def demo_config(write_config):
    return write_config(
        {
            "store": {"url": "sqlite:///store.db"},
            "rules": {"dir": str(REPO_ROOT / "rules")},
            "source": {"kind": "demo"},
        }
    )


def test_dry_run_says_it_read_and_stored_nothing(run_cli, demo_config):
    res = run_cli(["poll", "--now", NOW, "--dry-run"], config=demo_config)
    assert res.exit_code == 0, res.stderr
    first = res.stdout.splitlines()[0]
    assert "读取 627 行，未入库（试运行；入库将新增 627，" in first, first
    assert "入库 " not in first.replace("入库将", "")
    status = run_cli(["status", "--now", NOW, "--json"], config=demo_config)
    assert json.loads(status.stdout) == []  # and indeed nothing was stored


def test_a_real_poll_still_says_what_it_stored(run_cli, demo_config):
    res = run_cli(["poll", "--now", NOW], config=demo_config)
    assert res.exit_code == 0, res.stderr
    first = res.stdout.splitlines()[0]
    assert "读取 627 行，新增 627，更新 0，未变 0，拒绝 0；" in first and "试运行" not in first


def test_the_live_row_count_of_a_dry_run_on_a_terminal(run_cli, demo_config, monkeypatch):
    from slamon.cli import common

    monkeypatch.setattr(common.console, "_force_terminal", True)
    res = run_cli(["poll", "--now", NOW, "--dry-run"], config=demo_config)
    assert res.exit_code == 0, res.stderr
    assert "已读取（试运行，未入库） 627 行" in res.stdout
    assert "已读取并入库" not in res.stdout
