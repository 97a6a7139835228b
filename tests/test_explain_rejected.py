"""``slamon explain`` for an id only rejected rows carry: which row of which file and read, which
field and why, instead of "not in the store"; a stored application's later rejected rows are
named beside its verdict."""

from __future__ import annotations

import json

import pytest

HEADER = (
    "申请编号,使用部门,提供部门,资源名称,共享类型,申请时间,规范性审核,审核时间,提供方收到时间,"
    "审批结果,审批时间\n"
)
GOOD = "GZ-1,省税务局,省公安厅,人口信息,有条件共享,2024-09-26 09:00,通过,2024-09-27 09:00,2024-09-27 10:00,,\n"
BAD_RECEIPT = (
    "GZ-2,省税务局,省公安厅,人口信息,有条件共享,2024-09-26 09:00,通过,2024-09-27 09:00,下周一,,\n"
)
BAD_GZ1 = (
    "GZ-1,省税务局,省公安厅,人口信息,有条件共享,2024-09-26 09:00,通过,2024-09-27 09:00,明天,,\n"
)


@pytest.fixture
def imported(run_cli, write_config, tmp_path):
    cfg = write_config({"store": {"url": "sqlite:///store.db"}, "source": {"kind": "none"}})
    csv = tmp_path / "export.csv"
    csv.write_text(HEADER + GOOD + BAD_RECEIPT, encoding="utf-8")
    res = run_cli(["import", str(csv)], config=cfg)
    assert res.exit_code == 0, res.stderr
    return cfg


def test_explain_names_the_rejected_row_its_field_and_reason(run_cli, imported):
    res = run_cli(["explain", "GZ-2", "--now", "2024-10-14T10:00"], config=imported)
    assert res.exit_code == 0, res.stderr
    out = res.stdout
    assert "存储库中没有申请 GZ-2 的记录" in out and "被拒绝" in out
    assert "export.csv:3" in out  # the file and its row
    assert "提供方收到时间" in out and "下周一" in out  # the field, the value in the reason
    assert "第 1 次" in out  # the read that delivered it
    assert "结论" not in out


def test_explain_json_of_a_rejected_only_id(run_cli, imported):
    res = run_cli(["explain", "GZ-2", "--json"], config=imported)
    assert res.exit_code == 0, res.stderr
    (ev,) = json.loads(res.stdout)
    assert ev["application_id"] == "GZ-2" and ev["stored"] is False
    (row,) = ev["rejected_rows"]
    assert (row["row"], row["field"], row["settled"]) == ("export.csv:3", "received_at", False)
    assert row["poll_run_id"] is not None and row["read_started_at"].endswith("+08:00")
    assert "下周一" in row["reason"]


def test_explain_of_an_id_never_seen_still_says_so(run_cli, imported):
    res = run_cli(["explain", "GZ-9"], config=imported)
    assert res.exit_code == 1
    assert "存储库中没有申请 GZ-9" in res.stderr


def test_a_stored_application_names_its_later_rejected_row(run_cli, imported, tmp_path):
    later = tmp_path / "later.csv"
    later.write_text(HEADER + BAD_GZ1, encoding="utf-8")
    assert run_cli(["import", str(later)], config=imported).exit_code == 0
    res = run_cli(["explain", "GZ-1", "--now", "2024-10-14T10:00"], config=imported)
    assert res.exit_code == 0, res.stderr
    assert "后来送来的行被拒绝，仍按已入库的记录判定" in res.stdout
    assert "later.csv:2" in res.stdout and "结论" in res.stdout
