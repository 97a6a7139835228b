"""``slamon import`` and ``slamon poll`` through the CLI: JSON shapes, idempotence, clear errors."""

from __future__ import annotations

import json

import pytest
from storehelpers import REPO_ROOT

HEADER = "申请编号,申请部门,提供部门,资源名称,共享类型,申请时间,审核状态,审核时间,收到时间,审批结果,审批时间\n"
GOOD = [
    "GZ001,省税务局,省公安厅,户籍信息,有条件共享,2024-12-02 09:00,通过,2024-12-02 10:00,2024-12-02 10:00,签发,2024-12-04 15:00\n",
    "GZ002,省税务局,省公共资源交易中心,工程类_招标项目,有条件共享,2024/12/03 09:00,通过,2024/12/03 11:00,2024/12/03 11:00,,\n",
    "GZ003,遵义市,省市场监管局,企业登记信息,无条件共享,2024-12-03,,,,,\n",
]
BAD = [
    "GZ004,省税务局,省公安厅,户籍信息,半公开,2024-12-02 09:00,,,,,\n",
    "GZ005,省税务局,省公安厅,户籍信息,有条件共享,2024-13-02 09:00,,,,,\n",
    ",省税务局,省公安厅,户籍信息,有条件共享,2024-12-02 09:00,,,,,\n",
]


@pytest.fixture
def cfg(write_config):
    return write_config(
        {
            "store": {"url": "sqlite:///store.db"},
            "rules": {"dir": str(REPO_ROOT / "rules")},
            "source": {"kind": "none"},
        }
    )


def test_import_loads_good_rows_and_reports_each_bad_one(run_cli, cfg, tmp_path):
    f = tmp_path / "export.csv"
    f.write_text(
        HEADER + GOOD[0] + BAD[0] + GOOD[1] + BAD[1] + GOOD[2] + BAD[2], encoding="gb18030"
    )
    res = run_cli(["import", str(f), "--now", "2024-12-31T10:00", "--json"], config=cfg)
    assert res.exit_code == 0, res.stderr
    out = json.loads(res.stdout)
    assert (out["inserted"], out["updated"], out["unchanged"], out["rejected"]) == (3, 0, 0, 3)
    assert [(e["row"], e["field"]) for e in out["errors"]] == [
        ("export.csv:3", "share_type"),
        ("export.csv:5", "submitted_at"),
        ("export.csv:7", "application_id"),
    ]
    assert all(e["message"] for e in out["errors"])
    again = json.loads(run_cli(["import", str(f), "--json"], config=cfg).stdout)
    assert (again["inserted"], again["updated"], again["unchanged"]) == (0, 0, 3)
    status = json.loads(
        run_cli(["status", "--now", "2024-12-31T10:00", "--json"], config=cfg).stdout
    )
    stages = {s["application_id"]: s["stage"] for s in status}
    assert stages["GZ002"] == "overdue"
    assert stages["GZ003"] == "not_applicable"
    assert "GZ001" in stages


def test_import_missing_file_is_one_line_error(run_cli, cfg, tmp_path):
    res = run_cli(["import", str(tmp_path / "nope.csv")], config=cfg)
    assert res.exit_code == 1
    assert res.stderr.startswith("错误：") and "nope.csv" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_import_table_output_in_chinese(run_cli, cfg, tmp_path):
    f = tmp_path / "export.csv"
    f.write_text(HEADER + GOOD[0] + BAD[0], encoding="utf-8-sig")
    res = run_cli(["import", str(f)], config=cfg)
    assert res.exit_code == 0
    assert "新增 1 条" in res.stdout and "拒绝 1 行" in res.stdout and "半公开" in res.stdout


def test_poll_demo_source_through_cli(run_cli, write_config):
    cfg = write_config(
        {
            "store": {"url": "sqlite:///store.db"},
            "rules": {"dir": str(REPO_ROOT / "rules")},
            "source": {"kind": "demo"},
        }
    )
    res = run_cli(["poll", "--now", "2025-01-02T10:00", "--dry-run", "--json"], config=cfg)
    assert res.exit_code == 0, res.stderr
    dry = json.loads(res.stdout)
    assert dry["dry_run"] is True and dry["inserted"] == 627 and dry["rejected"] == 0
    res = run_cli(["status", "--now", "2025-01-02T10:00", "--json"], config=cfg)
    assert json.loads(res.stdout) == []  # the dry run wrote nothing
    out = json.loads(run_cli(["poll", "--now", "2025-01-02T10:00", "--json"], config=cfg).stdout)
    assert out["inserted"] == 627
    again = json.loads(run_cli(["poll", "--now", "2025-01-02T10:05", "--json"], config=cfg).stdout)
    assert again["inserted"] == 0 and again["updated"] == 0
    status = json.loads(
        run_cli(["status", "--now", "2025-01-02T10:00", "--json"], config=cfg).stdout
    )
    late = {
        s["resource_name"]
        for s in status
        if s["stage"] == "overdue" and s["provider_dept"] == "省公共资源交易中心"
    }
    assert late == {"工程类_招标项目", "工程类-中标结果公告"}
