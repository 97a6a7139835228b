"""``slamon status``: JSON shape (CONTRACT §2), stages evaluated at --now, department filter, tables."""

from __future__ import annotations

import json

import pytest
from storehelpers import REPO_ROOT, at, ingest_records, make_runtime, record

from slamon.adapters.store.db import open_store

STATUS_KEYS = {
    "application_id",
    "provider_dept",
    "resource_name",
    "share_type",
    "received_at",
    "deadline",
    "stage",
    "overdue_working_days",
    "decided_at",
}


@pytest.fixture
def store_config(tmp_path, write_config):
    cfg = write_config(
        {
            "store": {"url": "sqlite:///store.db"},
            "rules": {"dir": str(REPO_ROOT / "rules")},
            "source": {"kind": "none"},
            "aliases": {"黔南布依族苗族自治州": "黔南州"},
        }
    )
    engine = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    rt = make_runtime(tmp_path)
    ingest_records(
        engine,
        rt,
        [
            record("A1"),  # due 2024-10-10
            record("A2", provider_dept="黔南州", resource_name="人口信息"),
            record("A3", decision="approved", decided_at=at("2024-10-08 15:00")),
            record(
                "A4",
                share_type="unconditional",
                review_status="pending",
                reviewed_at=None,
                received_at=None,
            ),
        ],
        at("2024-10-08 16:00"),
    )
    return cfg


def test_status_json_shape_and_stages_at_now(run_cli, store_config):
    res = run_cli(["status", "--now", "2024-10-14T10:00", "--json"], config=store_config)
    assert res.exit_code == 0, res.stderr
    items = {i["application_id"]: i for i in json.loads(res.stdout)}
    assert set(next(iter(items.values()))) >= STATUS_KEYS
    assert items["A1"]["stage"] == "overdue"
    assert items["A1"]["overdue_working_days"] == 3
    assert items["A1"]["deadline"].startswith("2024-10-10T23:59:59")
    assert items["A3"]["stage"] == "answered_on_time"
    assert items["A4"]["stage"] == "not_applicable"
    # due 10 Oct: two working days ahead is pending, the next working day or the day itself due soon
    for now, stage in (
        ("2024-10-08T17:00", "pending"),
        ("2024-10-09T10:00", "due_soon"),
        ("2024-10-10T23:59", "due_soon"),
        ("2024-10-11T00:00", "overdue"),
    ):
        res = run_cli(["status", "--now", now, "--json"], config=store_config)
        assert {i["application_id"]: i["stage"] for i in json.loads(res.stdout)}["A1"] == stage, now


def test_status_department_filter_uses_aliases(run_cli, store_config):
    res = run_cli(
        ["status", "--department", "黔南布依族苗族自治州", "--now", "2024-10-14T10:00", "--json"],
        config=store_config,
    )
    assert [i["application_id"] for i in json.loads(res.stdout)] == ["A2"]


def test_status_tables_in_chinese(run_cli, store_config):
    res = run_cli(["status", "--now", "2024-10-14T10:00"], config=store_config)
    assert res.exit_code == 0, res.stderr
    assert "省公共资源交易中心" in res.stdout
    assert "已超期" in res.stdout
    assert "上次成功读取" in res.stdout


def test_poll_without_source_evaluates_what_was_imported(run_cli, store_config):
    """source.kind none: poll still evaluates and plans on the store; only --full is refused."""
    res = run_cli(["poll", "--now", "2024-10-14T10:00"], config=store_config)
    assert res.exit_code == 0, res.stderr
    assert "imports-only" in res.stdout and "评估" in res.stdout
    full = run_cli(["poll", "--full", "--now", "2024-10-14T10:00"], config=store_config)
    assert full.exit_code == 1
    assert full.stderr.startswith("错误：") and "slamon import" in full.stderr
