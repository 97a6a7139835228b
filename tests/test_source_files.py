"""CSV and XLSX exports: encodings, Chinese and English headers, row references, bad rows."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook

from slamon.adapters.sources.files import FileSource, file_sha256, read_export
from slamon.core.errors import SourceError
from slamon.core.records import RowError, validate_row

TZ = ZoneInfo("Asia/Shanghai")
CN_HEADER = "申请编号,使用部门,提供部门,资源名称,共享类型,申请时间,规范性审核,审核时间,提供方收到时间,审批结果,审批时间,备注"
CN_ROWS = [
    "SQ001,省不动产登记中心,省公共资源交易中心,工程类_招标项目,有条件共享,2024-12-02 09:30,通过,2024-12-02 10:00,2024-12-02 10:01,,,",
    "SQ002,省税务局,省市场监管局,企业登记信息,无条件共享,2024/12/03 14:00:05,,,,,,无条件",
    "SQ003,贵阳市大数据局,省人力资源社会保障厅,社保缴费信息,有条件共享,2024-12-04,通过,2024-12-04 11:00,,签发,2024-12-06 16:00,",
]


def write(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def valid(rows: list) -> dict[str, object]:
    return {r.ref: validate_row(r.data, r.ref, TZ) for r in rows}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_with_chinese_headers_in_each_encoding(tmp_path: Path, encoding: str) -> None:
    path = write(tmp_path / "导出.csv", [CN_HEADER, *CN_ROWS], encoding)
    rows, notes = read_export(path)
    assert [r.ref for r in rows] == ["导出.csv:2", "导出.csv:3", "导出.csv:4"]
    records = valid(rows)
    first = records["导出.csv:2"]
    assert first.application_id == "SQ001" and first.provider_dept == "省公共资源交易中心"
    assert first.share_type == "conditional" and first.review_status == "passed"
    assert first.received_at == dt.datetime(2024, 12, 2, 10, 1, tzinfo=TZ)
    assert records["导出.csv:3"].share_type == "unconditional"
    third = records["导出.csv:4"]
    assert third.decision == "approved" and third.submitted_at == dt.datetime(
        2024, 12, 4, tzinfo=TZ
    )
    assert notes == ["文件 导出.csv：忽略未识别的列：备注"]


def test_csv_with_english_headers_tabs_and_blank_lines(tmp_path: Path) -> None:
    header = "application_id\tapplicant_dept\tprovider_dept\tresource_name\tshare_type\tsubmitted_at\tdecision\tdecided_at\treceived_at"
    lines = [
        "",
        header,
        "E1\t省公安厅\t省医疗保障局\t医保参保信息\tconditional\t2024-12-02T09:00:00+08:00\trejected\t2024-12-03 10:00\t2024-12-02 10:00",
        "\t\t\t\t\t\t\t\t",
        "E2\t省公安厅\t省医疗保障局\t医保参保信息\tunconditional\t2024-12-02 09:00\t\t\t",
    ]
    rows, notes = read_export(write(tmp_path / "export.csv", lines))
    assert [r.ref for r in rows] == ["export.csv:3", "export.csv:5"]
    records = valid(rows)
    assert records["export.csv:3"].decision == "rejected"
    assert notes == []


def test_malformed_rows_each_give_a_row_error(tmp_path: Path) -> None:
    lines = [
        CN_HEADER,
        CN_ROWS[0],
        "SQ010,省公安厅,,资源,有条件共享,2024-12-02,,,,,,",  # no provider
        "SQ011,省公安厅,省民政厅,婚姻登记信息,部分共享,2024-12-02,,,,,,",  # bad share type
        "SQ012,省公安厅,省民政厅,婚姻登记信息,有条件共享,2024-13-45,,,,,,",  # bad date
        "SQ013,省公安厅,省民政厅,婚姻登记信息,有条件共享,2024-12-05,通过,2024-12-05 10:00,2024-12-05 10:00,通过,2024-12-04 10:00,",
        "SQ014,省公安厅,省民政厅,婚姻登记信息,有条件共享,2024-12-05,通过,2024-12-05 10:00,,驳回,,",
        CN_ROWS[2],
    ]
    rows, _notes = read_export(write(tmp_path / "bad.csv", lines))
    good, errors = [], []
    for r in rows:
        try:
            good.append(validate_row(r.data, r.ref, TZ))
        except RowError as e:
            errors.append((e.row, e.field))
            assert e.message
    assert [g.application_id for g in good] == ["SQ001", "SQ003"]
    assert errors == [
        ("bad.csv:3", "provider_dept"),
        ("bad.csv:4", "share_type"),
        ("bad.csv:5", "submitted_at"),
        ("bad.csv:6", "decided_at"),
        ("bad.csv:7", "decided_at"),
    ]


def test_xlsx_with_datetime_cells_and_text_dates(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(
        [
            "申请编号",
            "申请部门",
            "提供部门",
            "资源名称",
            "共享类型",
            "申请时间",
            "审核状态",
            "收到时间",
            "审批结果",
            "审批时间",
            "备注",
        ]
    )
    ws.append(
        [
            20241201,
            "省不动产登记中心",
            "省公共资源交易中心",
            "工程类-中标结果公告",
            "有条件共享",
            dt.datetime(2024, 12, 2, 9, 30),
            "通过",
            dt.datetime(2024, 12, 2, 10, 0),
            None,
            None,
            "x",
        ]
    )
    ws.append([None] * 11)  # an empty row in the middle is skipped
    ws.append(
        [
            "SQ-2",
            "省税务局",
            "省医疗保障局",
            "医保参保信息",
            "有条件共享",
            "2024-12-03 09:00",
            "通过",
            "2024/12/03 10:00",
            "驳回",
            "2024-12-05 15:00:00",
            None,
        ]
    )
    ws.append(
        [
            "SQ-3",
            "省税务局",
            "省医疗保障局",
            "医保参保信息",
            "有条件共享",
            "昨天",
            None,
            None,
            None,
            None,
            None,
        ]
    )
    path = tmp_path / "月度导出.xlsx"
    wb.save(path)
    rows, notes = read_export(path)
    assert [r.ref for r in rows] == ["月度导出.xlsx:2", "月度导出.xlsx:4", "月度导出.xlsx:5"]
    first = validate_row(rows[0].data, rows[0].ref, TZ)
    assert first.application_id == "20241201"
    assert first.submitted_at == dt.datetime(2024, 12, 2, 9, 30, tzinfo=TZ)
    second = validate_row(rows[1].data, rows[1].ref, TZ)
    assert second.decision == "rejected" and second.received_at == dt.datetime(
        2024, 12, 3, 10, tzinfo=TZ
    )
    with pytest.raises(RowError) as info:
        validate_row(rows[2].data, rows[2].ref, TZ)
    assert (info.value.row, info.value.field) == ("月度导出.xlsx:5", "submitted_at")
    assert notes == ["文件 月度导出.xlsx：忽略未识别的列：备注"]


def test_xlsx_header_after_title_rows_keeps_spreadsheet_row_numbers(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws["A3"] = "申请编号"
    for col, h in enumerate(["提供部门", "使用部门", "资源名称", "共享类型", "申请时间"], start=2):
        ws.cell(row=3, column=col, value=h)
    ws.append(
        ["X1", "省公安厅", "省民政厅", "户籍人口基本信息", "有条件共享", dt.date(2024, 12, 2)]
    )
    wb.save(tmp_path / "t.xlsx")
    rows, _ = read_export(tmp_path / "t.xlsx")
    assert [r.ref for r in rows] == ["t.xlsx:4"]
    assert validate_row(rows[0].data, rows[0].ref, TZ).submitted_at == dt.datetime(
        2024, 12, 2, tzinfo=TZ
    )


def test_missing_id_column_names_file_and_expected_headers(tmp_path: Path) -> None:
    path = write(tmp_path / "无编号.csv", ["部门,资源", "a,b"])
    with pytest.raises(SourceError) as info:
        read_export(path)
    message = str(info.value)
    assert "无编号.csv" in message and "申请编号" in message and "提供部门" in message


@pytest.mark.parametrize(
    "name, content, match",
    [
        ("empty.csv", b"", "空"),
        ("binary.csv", b"\xff\xfe\x00\x81\x30\x81", "编码"),
        ("broken.xlsx", b"not a zip", "无法读取 Excel"),
        ("old.xls", b"whatever", "xls"),
        ("notes.txt", b"x", "不是 CSV"),
    ],
)
def test_unusable_files_raise_source_error(
    tmp_path: Path, name: str, content: bytes, match: str
) -> None:
    (tmp_path / name).write_bytes(content)
    with pytest.raises(SourceError, match=match):
        read_export(tmp_path / name)


def test_file_source_returns_rows_and_mark_every_time(tmp_path: Path) -> None:
    path = write(tmp_path / "导出.csv", [CN_HEADER, *CN_ROWS])
    src = FileSource(path)
    assert src.name == "文件:导出.csv"
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    assert file_sha256(path) == sha
    for imported in ((), {sha}):
        result = src.fetch(None, imported)
        assert len(result.rows) == 3 and result.cursor is None
        assert [(f.sha256, f.name) for f in result.files] == [(sha, "导出.csv")]


def test_reimporting_a_file_is_a_no_op(tmp_path: Path) -> None:
    from slamon.adapters.store.db import open_store
    from slamon.config import parse_settings
    from slamon.runtime import Runtime
    from slamon.service.poll import run_poll_cycle

    path = write(tmp_path / "导出.csv", [CN_HEADER, *CN_ROWS, "SQ099,,,,,,,,,,,"])
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    rt = Runtime(parse_settings({}, None, tmp_path, {}))
    now = dt.datetime(2024, 12, 10, 10, tzinfo=TZ)
    first = run_poll_cycle(store, rt, FileSource(path), now, incremental=False)
    assert (first.inserted, first.rejected) == (3, 1)
    assert first.errors[0].row == "导出.csv:5"
    again = run_poll_cycle(store, rt, FileSource(path), now, incremental=False)
    assert (again.inserted, again.updated, again.unchanged, again.rejected) == (0, 0, 3, 1)
    store.dispose()
