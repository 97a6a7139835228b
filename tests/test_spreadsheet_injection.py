"""Spreadsheet formula injection (CWE-1236): platform text that looks like a formula reaches every
XLSX slamon writes — the report download, ``report monthly --format xlsx``, ``status --xlsx`` — as
a plain string cell, shown with a leading apostrophe, never as a formula; numbers stay numbers and
dates stay dates. Each file is opened as the zip it is and every worksheet's XML is read."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from starlette.testclient import TestClient
from storehelpers import REPO_ROOT, at, ingest_records, make_runtime, record
from webhelpers import login, make_dashboard

from slamon.adapters.render.xlsx import spreadsheet_text
from slamon.adapters.store.db import open_store

# As a platform could send them; the import strips the leading TAB and CR (see STORED).
HOSTILE = [
    '=HYPERLINK("http://x","y")',
    "=1+1",
    "\t=cmd|' /C calc'!A0",
    "+1",
    "-1",
    "@SUM(A1)",
    "\r=2+2",
]
STORED = [h.strip() for h in HOSTILE]
NOW = at("2024-10-15 10:00")


def hostile_records() -> list:
    """Received 2024-09-27, due 2024-10-10: every one overdue on 2024-10-15 (in the appendix)."""
    recs = [
        record(f"H{i}", provider_dept=h, resource_name=h, applicant_dept=h)
        for i, h in enumerate(HOSTILE)
    ]
    # ids from the platform, too; "#N/A" is no formula, but openpyxl would make it an error cell
    return [*recs, record("=3+3"), record("-7"), record("NA", resource_name="#N/A")]


def worksheet_xml(data: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        names = [n for n in z.namelist() if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n)]
        assert names, z.namelist()
        return {n: z.read(n).decode("utf-8") for n in names}


def assert_no_formula(data: bytes) -> None:
    for name, xml in worksheet_xml(data).items():
        assert not re.search(r"<(\w+:)?f[\s>/]", xml), f"a formula in {name}"
        assert 't="e"' not in xml and 't="str"' not in xml, name  # no error or formula results


def string_cells(data: bytes) -> list:
    wb = load_workbook(io.BytesIO(data))
    return [c for ws in wb for row in ws.iter_rows() for c in row if isinstance(c.value, str)]


def assert_neutralised(data: bytes, expected: list[str]) -> None:
    """Every hostile text is there, as the reader sees it: an apostrophe, then the text."""
    assert_no_formula(data)
    cells = string_cells(data)
    shown = {c.value for c in cells}
    for text in expected:
        assert "'" + text in shown, text
    assert "#N/A" in shown  # as it is: text, not an error value
    for c in cells:
        assert c.data_type == "s"
        assert not c.value.startswith(("=", "+", "-", "@", "\t", "\r")), c.value


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("\t=cmd|' /C calc'!A0", "'\t=cmd|' /C calc'!A0"),
        ("\r=1+1", "'\r=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("省公共资源交易中心", "省公共资源交易中心"),
        ("1+1=2", "1+1=2"),
        ("", ""),
        (-1, -1),
        (3.5, 3.5),
        (dt.date(2024, 10, 10), dt.date(2024, 10, 10)),
        (None, None),
    ],
)
def test_spreadsheet_text_neutralises_formula_starts_only(value, cell) -> None:
    assert spreadsheet_text(value) == cell


def test_report_download_has_no_formula(tmp_path: Path) -> None:
    dash = make_dashboard(tmp_path, hostile_records())
    try:
        with TestClient(dash.app()) as client:
            login(client, "viewer")
            r = client.get("/report/download", params={"month": "2024-10", "format": "xlsx"})
    finally:
        dash.engine.dispose()
    assert r.status_code == 200
    assert_neutralised(r.content, [*STORED, "=3+3", "-7"])
    ws = load_workbook(io.BytesIO(r.content)).active
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=3)]
    assert len(rows) == len(HOSTILE) + 3
    first = rows[0]
    assert first[0] == 1 and isinstance(first[0], int)  # 序号 is a number
    assert isinstance(first[5], dt.datetime)  # 收到时间
    assert first[6] == dt.datetime(2024, 10, 10)  # 答复期限, a date
    # 超期工作日: 10-11, 10-12 (调休上班), 10-14, 10-15
    assert first[9] == 4 and ws.cell(3, 10).data_type == "n"


@pytest.fixture
def store_config(tmp_path: Path, write_config) -> Path:
    cfg = write_config(
        {
            "store": {"url": "sqlite:///store.db"},
            "rules": {"dir": str(REPO_ROOT / "rules")},
            "source": {"kind": "none"},
        }
    )
    engine = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    ingest_records(engine, make_runtime(tmp_path), hostile_records(), NOW)
    engine.dispose()
    return cfg


def test_report_monthly_xlsx_has_no_formula(run_cli, store_config, tmp_path: Path) -> None:
    out = tmp_path / "late.xlsx"
    res = run_cli(
        ["report", "monthly", "--month", "2024-10", "--format", "xlsx", "--output", out],
        config=store_config,
    )
    assert res.exit_code == 0, res.stderr
    assert_neutralised(out.read_bytes(), [*STORED, "=3+3", "-7"])


def test_status_xlsx_has_no_formula(run_cli, store_config, tmp_path: Path) -> None:
    out = tmp_path / "status.xlsx"
    res = run_cli(["status", "--now", "2024-10-15T10:00", "--xlsx", out], config=store_config)
    assert res.exit_code == 0, res.stderr
    data = out.read_bytes()
    assert_neutralised(data, [*STORED, "=3+3", "-7"])
    wb = load_workbook(io.BytesIO(data))
    assert len(worksheet_xml(data)) == 2  # 申请 and 各提供部门: both read above
    rows = {r[0]: r for r in wb["申请"].iter_rows(min_row=3, values_only=True)}
    assert rows["'=3+3"][8] == 4  # 超期工作日 stays a number
    assert rows["'-7"][6] == dt.datetime(2024, 10, 10)  # the deadline stays a date
    depts = {r[0]: r[1:] for r in wb["各提供部门"].iter_rows(min_row=3, values_only=True)}
    assert depts["'=1+1"] == (1,)  # the count per stage is a number
