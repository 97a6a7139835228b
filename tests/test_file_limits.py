"""Files that attack, and files people actually have: size, row and inflation limits (a zip bomb
refused from its directory), encodings detected or refused (a Big5 CSV never stored as GB18030
nonsense), long numeric ids in XLSX, ``import --sheet``, a title row above the header, and
rejected rows a later good row settled leaving the default ``status`` view."""

from __future__ import annotations

import json
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import text
from storehelpers import REPO_ROOT

from slamon.adapters.sources.files import FileLimits, read_export
from slamon.adapters.sources.folder import FolderSource
from slamon.core.errors import SourceError

EN_HEADER = "application_id,applicant_dept,provider_dept,resource_name,share_type,submitted_at"
CN_HEADER = ["申请编号", "申请部门", "提供部门", "资源名称", "共享类型", "申请时间"]


@pytest.fixture
def cfg(write_config):
    def make(**source):
        return write_config(
            {
                "store": {"url": "sqlite:///store.db"},
                "rules": {"dir": str(REPO_ROOT / "rules")},
                "source": {"kind": "none", **source},
            }
        )

    return make


def _stored(tmp_path: Path) -> dict[str, tuple]:
    from sqlalchemy import create_engine

    engine = create_engine(f"sqlite:///{tmp_path / 'store.db'}")
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT application_id, applicant_dept, provider_dept, resource_name FROM application"
            )
        ).all()
    engine.dispose()
    return {r[0]: tuple(r[1:]) for r in rows}


# -- encodings ---------------------------------------------------------------------------------
def test_big5_csv_is_read_as_big5_not_gb18030(tmp_path, run_cli, cfg):
    row = "TW1,臺灣省稅務局,貴州省公安廳,戶籍資訊與門牌資料,unconditional,2026-11-02 09:00"
    f = tmp_path / "big5.csv"
    f.write_bytes(f"{EN_HEADER}\r\n{row}\r\n".encode("cp950"))
    res = run_cli(["import", str(f), "--now", "2026-11-20T10:00", "--json"], config=cfg())
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["inserted"] == 1
    assert _stored(tmp_path)["TW1"] == ("臺灣省稅務局", "貴州省公安廳", "戶籍資訊與門牌資料")


@pytest.mark.parametrize("encoding", ["gb18030", "utf-16"])
def test_gb18030_and_utf16_csv_are_read_intact(tmp_path, encoding):
    row = "GZ1,黔南州人民政府,务川仡佬族苗族自治县民政局,婚姻登记信息,有条件共享,2026-11-02"
    f = tmp_path / "gb.csv"
    f.write_bytes(f"{','.join(CN_HEADER)}\r\n{row}\r\n".encode(encoding))
    rows, _ = read_export(f)
    assert rows[0].data["provider_dept"] == "务川仡佬族苗族自治县民政局"


def test_bytes_in_no_recognisable_encoding_are_refused_not_stored(tmp_path):
    f = tmp_path / "noise.csv"
    f.write_bytes(EN_HEADER.encode() + b"\r\nX1," + bytes(range(0x81, 0xFF)) * 4 + b"\r\n")
    with pytest.raises(SourceError, match="编码无法可靠识别"):
        read_export(f)


# -- limits --------------------------------------------------------------------------------------
def _zip_bomb(path: Path, inflated_mb: int) -> None:
    """A valid-looking XLSX whose sheet inflates to ``inflated_mb`` MB of rows."""
    wb = Workbook()
    wb.active.append(CN_HEADER)
    wb.save(path)
    with zipfile.ZipFile(path) as src:
        members = {i.filename: src.read(i.filename) for i in src.infolist()}
    row = b'<row><c t="inlineStr"><is><t>X</t></is></c></row>'
    chunk = row * (1024 * 1024 // len(row))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as out:
        for name, data in members.items():
            if name != "xl/worksheets/sheet1.xml":
                out.writestr(name, data)
        with out.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(
                b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            )
            for _ in range(inflated_mb):
                sheet.write(chunk)
            sheet.write(b"</sheetData></worksheet>")


def test_zip_bomb_is_refused_from_its_directory_within_little_memory(tmp_path):
    bomb = tmp_path / "bomb.xlsx"
    bomb_limit = 6 * 1024 * 1024
    _zip_bomb(bomb, 600)
    assert bomb.stat().st_size < bomb_limit  # small on disk ...
    tracemalloc.start()
    try:
        with pytest.raises(SourceError, match="解压后为 600 MB.*压缩炸弹"):
            read_export(bomb)  # ... refused before anything is inflated (default limit 500 MB)
        _size, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 200 * 1024 * 1024


def test_too_many_rows_and_too_large_files_are_refused_with_the_reason(tmp_path):
    f = tmp_path / "many.csv"
    f.write_text(
        EN_HEADER + "\n" + "".join(f"R{i},甲,乙,丙,有条件共享,2026-11-02\n" for i in range(50)),
        encoding="utf-8",
    )
    with pytest.raises(SourceError, match="超过 10 个数据行（source.max_rows）"):
        read_export(f, FileLimits(max_rows=10))
    with pytest.raises(SourceError, match="超过上限 1 MB（source.max_file_mb）"):
        big = tmp_path / "big.csv"
        big.write_text(EN_HEADER + "\n" + "x" * (2 * 1024 * 1024), encoding="utf-8")
        read_export(big, FileLimits(max_file_mb=1))
    assert len(read_export(f, FileLimits(max_rows=50))[0]) == 50


def test_folder_refuses_a_file_over_the_limits_once_and_loads_the_others(tmp_path, run_cli, cfg):
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "many.csv").write_text(
        EN_HEADER + "\n" + "".join(f"R{i},甲,乙,丙,有条件共享,2026-11-02\n" for i in range(5)),
        encoding="utf-8",
    )
    (folder / "ok.csv").write_text(EN_HEADER + "\nOK1,甲,乙,丙,有条件共享,2026-11-02\n")
    _zip_bomb(folder / "bomb.xlsx", 30)
    config = cfg(kind="folder", folder="exports", max_rows=3, max_unpacked_mb=20)
    import os

    old = 1_700_000_000  # November 2023: settled, whatever the clock says
    for p in folder.iterdir():
        os.utime(p, (old, old))
    first = run_cli(["poll", "--now", "2026-11-20T10:00", "--json"], config=config)
    assert first.exit_code == 0, first.stderr
    out = json.loads(first.stdout)
    assert out["inserted"] == 1
    assert set(_stored(tmp_path)) == {"OK1"}
    notes = " ".join(out.get("notes", [])) + first.stderr
    assert "many.csv" in notes and "bomb.xlsx" in notes
    again = run_cli(["poll", "--now", "2026-11-20T10:10", "--json"], config=config)
    assert json.loads(again.stdout)["fetched"] == 0  # refused files are not retried


def test_folder_limits_reach_the_folder_source(tmp_path):
    src = FolderSource(tmp_path, settle_seconds=0, limits=FileLimits(max_rows=1))
    (tmp_path / "two.csv").write_text(
        EN_HEADER + "\nA,甲,乙,丙,有条件共享,2026-11-02\nB,甲,乙,丙,有条件共享,2026-11-02\n"
    )
    result = src.fetch(None, set())
    assert result.rows == [] and len(result.files) == 1
    assert "source.max_rows" in result.notes[0]


# -- XLSX ids, sheets, title rows ----------------------------------------------------------------
def _xlsx(path: Path, sheets: dict[str, list[list]]) -> Path:
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    wb.save(path)
    return path


def _exact_number_in_a2(path: Path, value: str) -> None:
    """Write ``value`` verbatim as A2's number (as platform writers that keep every digit do)."""
    with zipfile.ZipFile(path) as src:
        members = {i.filename: src.read(i.filename) for i in src.infolist()}
    sheet = members["xl/worksheets/sheet1.xml"].decode()
    start = sheet.index('<c r="A2"')
    v0 = sheet.index("<v>", start) + 3
    v1 = sheet.index("</v>", v0)
    members["xl/worksheets/sheet1.xml"] = (sheet[:v0] + value + sheet[v1:]).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in members.items():
            out.writestr(name, data)


def test_xlsx_long_numeric_ids_intact_or_refused_never_changed(tmp_path, run_cli, cfg):
    long_id = 12345678901234567890
    path = _xlsx(
        tmp_path / "ids.xlsx",
        {
            "Sheet1": [
                CN_HEADER,
                [1, "甲", "乙", "丙", "有条件共享", "2026-11-02"],
                [float(long_id), "甲", "乙", "丙", "有条件共享", "2026-11-02"],  # digits lost
                [20241201, "甲", "乙", "丙", "有条件共享", "2026-11-02"],
            ]
        },
    )
    _exact_number_in_a2(path, str(long_id))
    res = run_cli(["import", str(path), "--now", "2026-11-20T10:00", "--json"], config=cfg())
    out = json.loads(res.stdout)
    assert set(_stored(tmp_path)) == {"12345678901234567890", "20241201"}
    assert [(e["row"], e["field"]) for e in out["errors"]] == [("ids.xlsx:3", "application_id")]
    assert "文本格式" in out["errors"][0]["message"]


def test_import_sheet_by_name_and_header_below_a_title(tmp_path, run_cli, cfg):
    data = [
        ["2026年11月数据共享申请明细"],
        [],
        CN_HEADER,
        ["S1", "甲", "乙", "丙", "有条件共享", "2026-11-02"],
    ]
    path = _xlsx(tmp_path / "book.xlsx", {"说明": [["本表由平台导出"]], "明细": data})
    res = run_cli(
        ["import", str(path), "--sheet", "明细", "--now", "2026-11-20T10:00", "--json"],
        config=cfg(),
    )
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["inserted"] == 1
    bad = run_cli(["import", str(path), "--sheet", "汇总"], config=cfg())
    assert bad.exit_code != 0 and "没有名为“汇总”的工作表" in bad.stderr and "明细" in bad.stderr
    # without --sheet the first sheet that has the header row is used
    rows, _ = read_export(path)
    assert [r.ref for r in rows] == ["book.xlsx:4"]


def test_csv_title_row_above_the_header(tmp_path):
    f = tmp_path / "t.csv"
    f.write_text(
        "数据共享申请明细（2026年11月）\n"
        + ",".join(CN_HEADER)
        + "\nT1,甲,乙,丙,有条件共享,2026-11-02\n"
    )
    rows, notes = read_export(f)
    assert [r.ref for r in rows] == ["t.csv:3"]
    assert any("第 2 行为表头" in n for n in notes)


# -- settled rejections --------------------------------------------------------------------------
def test_rejected_row_settled_by_a_later_good_row_leaves_the_default_status(tmp_path, run_cli, cfg):
    config = cfg()
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text(
        EN_HEADER + "\nG1,甲,乙,丙,有条件共享,2026-11-02\nG2,甲,乙,丙,有条件共享,2026-13-02\n"
    )
    b.write_text(EN_HEADER + "\nG2,甲,乙,丙,有条件共享,2026-11-03\n")
    now = ["--now", "2026-11-20T10:00"]
    run_cli(["import", str(a), *now], config=config)
    before = run_cli(["status", *now], config=config).stdout
    assert "a.csv:3" in before
    run_cli(["import", str(b), *now], config=config)
    after = run_cli(["status", *now], config=config).stdout
    assert "a.csv:3" not in after and "被拒绝的行" not in after
    shown = run_cli(["status", "--settled", *now], config=config).stdout
    assert "a.csv:3" in shown and "已被后来的正确记录更正" in shown
