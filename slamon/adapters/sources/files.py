"""Platform exports as a source: CSV (UTF-8 with or without BOM, or GB18030) and XLSX files.

The first non-empty row is the header; headers may be the record's English field names or the
Chinese aliases of CONTRACT §1, unknown columns are ignored. Each data row becomes a
:class:`RawRow` whose ref is ``<file name>:<row number as the spreadsheet shows it>`` (the
header is row 1 when the file starts with it). Validation is left to the poll service.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from collections.abc import Container, Iterable, Sequence
from pathlib import Path
from typing import Any

from slamon.adapters.sources.base import FetchResult, FileMark, RawRow
from slamon.core.errors import SourceError
from slamon.core.records import FIELDS, HEADER_ALIASES, canonical_field

SUFFIXES = (".csv", ".xlsx")


def file_sha256(path: Path | str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def expected_headers() -> str:
    """The accepted headers, for messages: 申请编号（application_id）、…"""
    parts = []
    for name in FIELDS:
        chinese = [k for k, v in HEADER_ALIASES.items() if v == name]
        parts.append(f"{'/'.join(chinese)}（{name}）" if chinese else name)
    return "、".join(parts)


def decode_csv(data: bytes, name: str) -> str:
    """UTF-8 (with or without BOM) first, strictly; then GB18030 as Excel on Chinese Windows writes."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SourceError(f"文件 {name} 的编码无法识别：请另存为 UTF-8 或 GB18030 编码的 CSV")


def _csv_rows(path: Path) -> Iterable[Sequence[Any]]:
    text = decode_csv(path.read_bytes(), path.name)
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = "\t" if "\t" in first and "," not in first else ","
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise SourceError(f"文件 {path.name} 不是有效的 CSV：{exc}") from None


def _xlsx_rows(path: Path) -> Iterable[Sequence[Any]]:
    try:
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a broken file
        raise SourceError(
            f"无法读取 Excel 文件 {path.name}：{exc.__class__.__name__} {exc}".strip()
        ) from None
    try:
        ws = wb.active if wb.active is not None else wb.worksheets[0]
        if hasattr(ws, "reset_dimensions"):
            ws.reset_dimensions()  # some writers store a wrong <dimension>; read everything
        return [tuple(r) for r in ws.iter_rows(values_only=True)]
    except Exception as exc:  # noqa: BLE001
        raise SourceError(
            f"无法读取 Excel 文件 {path.name}：{exc.__class__.__name__} {exc}".strip()
        ) from None
    finally:
        wb.close()


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, dt.time):
        return None if value == dt.time() else value.isoformat()
    return value


def _empty(row: Sequence[Any]) -> bool:
    return all(_cell(v) is None for v in row)


def read_export(path: Path | str) -> tuple[list[RawRow], list[str]]:
    """Read one CSV or XLSX export: (rows, notes). Raises SourceError for an unusable file."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        table = _csv_rows(path)
    elif suffix == ".xlsx":
        table = _xlsx_rows(path)
    elif suffix == ".xls":
        raise SourceError(f"文件 {path.name} 是旧版 .xls 格式，请在 Excel 中另存为 .xlsx 或 CSV")
    else:
        raise SourceError(f"文件 {path.name} 不是 CSV 或 XLSX 文件")
    rows: list[RawRow] = []
    notes: list[str] = []
    header: list[str | None] | None = None
    for number, values in enumerate(table, start=1):
        if _empty(values):
            continue
        if header is None:
            raw_headers = ["" if v is None else str(v).strip() for v in values]
            header = [canonical_field(h) if h else None for h in raw_headers]
            if "application_id" not in header:
                raise SourceError(
                    f"文件 {path.name} 没有“申请编号”（application_id）列，无法导入；"
                    f"第 {number} 行应为表头，可用的列名：{expected_headers()}"
                )
            unknown = [h for h, f in zip(raw_headers, header, strict=True) if h and f is None]
            if unknown:
                notes.append(f"文件 {path.name}：忽略未识别的列：{'、'.join(unknown)}")
            continue
        data: dict[str, Any] = {}
        for field, value in zip(header, values, strict=False):
            if field is None:
                continue
            value = _cell(value)
            if data.get(field) is None:  # the first non-empty of duplicate columns wins
                data[field] = value
        rows.append(RawRow(f"{path.name}:{number}", data))
    if header is None:
        raise SourceError(f"文件 {path.name} 是空的：没有表头，可用的列名：{expected_headers()}")
    if not rows:
        notes.append(f"文件 {path.name}：只有表头，没有数据行")
    return rows, notes


class FileSource:
    """One export file (``slamon import FILE``). Re-importing the same file is a no-op in effect:
    its rows are delivered again and the poll service leaves unchanged rows untouched."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.name = f"文件:{self.path.name}"

    def fetch(self, since: dt.datetime | None = None, imported: Container[str] = ()) -> FetchResult:
        if not self.path.is_file():
            raise SourceError(f"文件 {self.path} 不存在")
        sha = file_sha256(self.path)
        rows, notes = read_export(self.path)
        return FetchResult(rows=rows, files=[FileMark(sha, self.path.name)], notes=notes)
