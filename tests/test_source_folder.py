"""The export folder: each new file once, temp and unsettled files left alone, bad files noted."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from openpyxl import Workbook

from slamon.adapters.sources.files import file_sha256
from slamon.adapters.sources.folder import FolderSource
from slamon.core.errors import SourceError

HEADER = "申请编号,使用部门,提供部门,资源名称,共享类型,申请时间"
OLD = 1_700_000_000.0  # November 2023: settled, whatever the clock says


def export(folder: Path, name: str, ids: list[str], mtime: float = OLD) -> Path:
    lines = [
        HEADER,
        *(f"{i},省公安厅,省民政厅,婚姻登记信息,有条件共享,2024-12-02 09:00" for i in ids),
    ]
    path = folder / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.utime(path, (mtime, mtime))
    return path


def test_each_new_file_is_imported_once_oldest_first(tmp_path: Path) -> None:
    export(tmp_path, "b.csv", ["B1"], OLD + 10)
    export(tmp_path, "a.csv", ["A1", "A2"], OLD + 20)
    wb = Workbook()
    wb.active.append(HEADER.split(","))
    wb.active.append(["X1", "省公安厅", "省民政厅", "婚姻登记信息", "有条件共享", "2024-12-02"])
    wb.save(tmp_path / "c.XLSX")
    os.utime(tmp_path / "c.XLSX", (OLD + 30, OLD + 30))
    src = FolderSource(tmp_path)
    assert src.name == f"目录:{tmp_path}"
    first = src.fetch(None, set())
    assert [r.ref for r in first.rows] == ["b.csv:2", "a.csv:2", "a.csv:3", "c.XLSX:2"]
    assert [f.name for f in first.files] == ["b.csv", "a.csv", "c.XLSX"]
    imported = {f.sha256 for f in first.files}
    assert src.fetch(None, imported).rows == []
    # A renamed copy has the same content: not again. A corrected export is new.
    (tmp_path / "a.csv").rename(tmp_path / "a-copy.csv")
    export(tmp_path, "d.csv", ["D1"])
    third = src.fetch(None, imported)
    assert [r.ref for r in third.rows] == ["d.csv:2"]
    assert [f.sha256 for f in third.files] == [file_sha256(tmp_path / "d.csv")]


def test_duplicate_content_in_one_fetch_is_read_once(tmp_path: Path) -> None:
    export(tmp_path, "x.csv", ["X1"], OLD)
    export(tmp_path, "y.csv", ["X1"], OLD + 1)
    result = FolderSource(tmp_path).fetch(None, set())
    assert [r.ref for r in result.rows] == ["x.csv:2"] and len(result.files) == 1


def test_temporary_and_unsettled_files_are_skipped(tmp_path: Path) -> None:
    export(tmp_path, "~$导出.xlsx", ["T1"])
    export(tmp_path, ".~lock.导出.csv#", ["T2"])
    export(tmp_path, ".hidden.csv", ["T3"])
    export(tmp_path, "readme.txt", ["T4"])
    now = 1_900_000_000.0
    export(tmp_path, "fresh.csv", ["F1"], now - 2)
    export(tmp_path, "settled.csv", ["S1"], now - 6)
    src = FolderSource(tmp_path, settle_seconds=5, clock=lambda: now)
    result = src.fetch(None, set())
    assert [r.ref for r in result.rows] == ["settled.csv:2"]
    later = FolderSource(tmp_path, settle_seconds=5, clock=lambda: now + 10).fetch(
        None, {f.sha256 for f in result.files}
    )
    assert [r.ref for r in later.rows] == ["fresh.csv:2"]


def test_unreadable_file_is_noted_and_marked_so_it_is_not_retried(tmp_path: Path) -> None:
    bad = tmp_path / "坏文件.csv"
    bad.write_text("部门,资源\na,b\n", encoding="utf-8")
    os.utime(bad, (OLD, OLD))
    export(tmp_path, "good.csv", ["G1"], OLD + 1)
    src = FolderSource(tmp_path)
    result = src.fetch(None, set())
    assert [r.ref for r in result.rows] == ["good.csv:2"]
    assert [f.name for f in result.files] == ["坏文件.csv", "good.csv"]
    assert (
        len(result.notes) == 1 and "坏文件.csv" in result.notes[0] and "申请编号" in result.notes[0]
    )
    again = src.fetch(None, {f.sha256 for f in result.files})
    assert again.rows == [] and again.notes == []
    # Fixed: new content, new hash, imported.
    export(tmp_path, "坏文件.csv", ["FIXED"])
    fixed = src.fetch(None, {f.sha256 for f in result.files})
    assert [r.ref for r in fixed.rows] == ["坏文件.csv:2"]


def test_missing_folder_is_a_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="不存在"):
        FolderSource(tmp_path / "nope").fetch(None, set())
