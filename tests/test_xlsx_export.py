"""Excel export: ``status --xlsx FILE`` and ``report monthly --format xlsx`` (the appendix), read back
with openpyxl: Chinese headers, text ids, real date-times in the configured zone, widths set."""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import load_workbook
from storehelpers import at, record, store_config_with

LONG_ID = "000123450000000000012"  # all digits with leading zeros: must stay text


@pytest.fixture
def store_config(tmp_path, write_config):
    return store_config_with(
        tmp_path,
        write_config,
        [
            record(LONG_ID, resource_name="不动产登记信息（含抵押、查封、异议登记）"),
            record("A2", provider_dept="黔南州大数据局", received="2024-10-08 09:30"),
            record("A3", decision="approved", decided_at=at("2024-10-15 11:00")),
        ],
        at("2024-10-08 16:00"),
    )


def _rows(ws, first: int = 3) -> list[tuple]:
    return [tuple(c.value for c in row) for row in ws.iter_rows(min_row=first)]


def test_status_xlsx(run_cli, store_config, tmp_path):
    out = tmp_path / "out" / "status.xlsx"
    res = run_cli(["status", "--now", "2024-10-14T10:00", "--xlsx", str(out)], config=store_config)
    assert res.exit_code == 0, res.stderr
    assert "已写入" in res.stdout
    wb = load_workbook(out)
    assert wb.sheetnames == ["申请", "各提供部门"]
    ws = wb["申请"]
    assert "2024-10-14 10:00（Asia/Shanghai）" in ws["A1"].value
    headers = [c.value for c in ws[2]]
    assert headers[:9] == [
        "申请编号",
        "提供部门",
        "资源名称",
        "申请部门",
        "共享类型",
        "收到时间",
        "答复期限",
        "阶段",
        "超期工作日",
    ]
    rows = {r[0]: r for r in _rows(ws)}
    assert set(rows) == {LONG_ID, "A2", "A3"}
    late = rows[LONG_ID]
    assert isinstance(late[0], str) and ws.cell(3, 1).number_format == "@"
    assert late[4] == "有条件共享"
    assert late[5] == dt.datetime(2024, 9, 27, 10, 0)  # local time, as the office reads it
    assert late[6] == dt.datetime(2024, 10, 10)  # the last day to answer, never the next
    assert late[7] == "已超期" and late[8] == 3  # 10-11, 10-12 (调休上班), 10-14
    assert rows["A3"][7] == "超期答复"
    assert rows["A3"][9] == dt.datetime(2024, 10, 15, 11, 0)
    assert ws.freeze_panes == "A3"
    assert ws.auto_filter.ref.startswith("A2:")
    # widths fit the content: the resource name (CJK, two units a character) is not squeezed
    assert ws.column_dimensions["C"].width >= 2 * len("不动产登记信息（含抵押、查封、异议登记）")
    assert ws.column_dimensions["A"].width >= len(LONG_ID)
    depts = {r[0]: r for r in _rows(wb["各提供部门"])}
    assert set(depts) == {"省公共资源交易中心", "黔南州大数据局"}


def test_report_monthly_xlsx_is_the_appendix_of_late_applications(run_cli, store_config, tmp_path):
    out = tmp_path / "late.xlsx"
    res = run_cli(
        ["report", "monthly", "--month", "2024-10", "--format", "xlsx", "--output", str(out)],
        config=store_config,
    )
    assert res.exit_code == 0, res.stderr
    ws = load_workbook(out)["附件 超期申请"]
    assert "2024年10月" in ws["A1"].value or "2024-10" in ws["A1"].value
    headers = [c.value for c in ws[2]]
    assert headers[:8] == [
        "序号",
        "提供部门",
        "申请编号",
        "资源名称",
        "申请部门",
        "收到时间",
        "答复期限",
        "情况",
    ]
    rows = {r[2]: r for r in _rows(ws)}
    assert rows[LONG_ID][7] == "超期未答复"
    assert rows["A3"][7] == "超期答复" and rows["A3"][8] == dt.datetime(2024, 10, 15, 11, 0)
    assert sorted(r[0] for r in rows.values()) == list(range(1, len(rows) + 1))
    # the JSON report names the same late applications
    import json

    data = json.loads(
        run_cli(
            ["report", "monthly", "--month", "2024-10", "--format", "json"], config=store_config
        ).stdout
    )
    assert {a for g in data["late"] for a in g["applications"]} == set(rows)


def test_unknown_format_is_named(run_cli, store_config):
    res = run_cli(
        ["report", "monthly", "--month", "2024-10", "--format", "xls"], config=store_config
    )
    assert res.exit_code == 2 and "xlsx" in res.stderr
