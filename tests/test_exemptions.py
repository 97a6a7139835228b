"""Exemptions (核实排除): append-only facts with who, when and why; revoke brings an application back."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text
from storehelpers import REPO_ROOT, at, ingest_records, make_runtime, record

from slamon.adapters.store.db import open_store


@pytest.fixture
def store(tmp_path, write_config):
    cfg = write_config(
        {
            "store": {"url": "sqlite:///store.db"},
            "rules": {"dir": str(REPO_ROOT / "rules")},
            "source": {"kind": "none"},
        }
    )
    engine = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    rt = make_runtime(tmp_path)
    ingest_records(engine, rt, [record("L1"), record("L2")], at("2024-09-27 12:00"))
    return cfg, engine


def test_exempt_revoke_and_list_keep_every_fact(run_cli, store):
    cfg, engine = store
    res = run_cli(
        [
            "exempt",
            "L1",
            "--reason",
            "电话答复，已核实",
            "--by",
            "张三",
            "--now",
            "2024-10-15T09:00",
        ],
        config=cfg,
    )
    assert res.exit_code == 0, res.stderr
    assert "已核实排除：L1" in res.stdout
    again = run_cli(["exempt", "L1", "--reason", "再次"], config=cfg)
    assert "此前已核实排除" in again.stdout
    ev = json.loads(
        run_cli(["explain", "L1", "--now", "2024-10-15T10:00", "--json"], config=cfg).stdout
    )[0]
    assert ev["exempted"] is True
    assert ev["exemption"]["reason"] == "电话答复，已核实" and ev["exemption"]["by"] == "张三"
    res = run_cli(
        ["exempt", "--revoke", "L1", "--by", "李四", "--now", "2024-10-16T09:00"], config=cfg
    )
    assert res.exit_code == 0 and "已撤销核实排除：L1" in res.stdout
    listing = json.loads(run_cli(["exemptions", "--json"], config=cfg).stdout)
    assert [(f["application_id"], f["action"], f["by"]) for f in listing] == [
        ("L1", "exempt", "张三"),
        ("L1", "revoke", "李四"),
    ]
    assert listing[0]["at"].startswith("2024-10-15T09:00")
    assert listing[0]["provider_dept"] == "省公共资源交易中心"
    with engine.connect() as conn:  # nothing deleted: both facts are rows
        assert conn.execute(text("select count(*) from exemption")).scalar() == 2
    ev = json.loads(
        run_cli(["explain", "L1", "--now", "2024-10-16T10:00", "--json"], config=cfg).stdout
    )[0]
    assert ev["exempted"] is False and len(ev["exemption_history"]) == 2
    table = run_cli(["exemptions", "--month", "2024-10"], config=cfg)
    assert "电话答复，已核实" in table.stdout and "撤销排除" in table.stdout
    assert "没有核实排除记录" in run_cli(["exemptions", "--month", "2024-08"], config=cfg).stdout


def test_exempt_needs_a_reason_and_a_known_id(run_cli, store):
    cfg, engine = store
    res = run_cli(["exempt", "L1"], config=cfg)
    assert res.exit_code == 1 and "--reason" in res.stderr
    res = run_cli(["exempt", "NOPE", "--reason", "x"], config=cfg)
    assert res.exit_code == 1 and "NOPE" in res.stderr
    with engine.connect() as conn:
        assert conn.execute(text("select count(*) from exemption")).scalar() == 0
