"""Platform exports as a source: CSV and XLSX files, read within limits.

The header is the first row (within the first :data:`HEADER_SEARCH_ROWS` rows) that holds the
required headers, so a title row above it is skipped; headers may be the record's English field
names or the Chinese aliases of docs/CONTRACT.md §1, unknown columns are ignored. Each data row becomes a
:class:`RawRow` whose ref is ``<file name>:<row number as the spreadsheet shows it>``. An XLSX is
read from the sheet named by ``sheet`` or else the first sheet with a header row. Validation is
left to the poll service.

A file is refused whole (:class:`SourceError` with the reason) when it is larger than
``max_file_mb``, holds more than ``max_rows`` data rows, or (XLSX) would inflate beyond
``max_unpacked_mb`` (a zip bomb is refused from its directory, before anything is inflated). A
CSV's encoding is detected (UTF-8/UTF-16 with BOM, UTF-8, GB18030, Big5) or the file is refused:
it is never stored garbled.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import zipfile
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slamon.adapters.sources.base import FetchResult, FileMark, RawRow
from slamon.adapters.sources.encodings import decode_csv
from slamon.core.errors import SourceError
from slamon.core.records import FIELDS, REQUIRED, canonical_field
from slamon.core.vocabulary import HEADER_ALIASES

SUFFIXES = (".csv", ".xlsx")
HEADER_SEARCH_ROWS = 10
MB = 1024 * 1024


@dataclass(frozen=True)
class FileLimits:
    """What one export file may be (config keys source.max_file_mb, max_rows, max_unpacked_mb)."""

    max_file_mb: int = 100
    max_rows: int = 500_000
    max_unpacked_mb: int = 500


DEFAULT_LIMITS = FileLimits()


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


def _csv_rows(path: Path) -> Iterable[Sequence[Any]]:
    text = decode_csv(path.read_bytes(), path.name)
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = "\t" if "\t" in first and "," not in first else ","
    try:
        return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    except csv.Error as exc:
        raise SourceError(f"文件 {path.name} 不是有效的 CSV：{exc}") from None


def check_unpacked_size(path: Path, limits: FileLimits) -> None:
    """Refuse an XLSX whose members would inflate beyond the limit (read from the zip directory;
    the reader never inflates a member past its declared size)."""
    try:
        with zipfile.ZipFile(path) as zf:
            total = sum(i.file_size for i in zf.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise SourceError(f"无法读取 Excel 文件 {path.name}：不是有效的 XLSX（{exc}）") from None
    if total > limits.max_unpacked_mb * MB:
        raise SourceError(
            f"文件 {path.name} 解压后为 {total / MB:,.0f} MB，超过上限 {limits.max_unpacked_mb} MB"
            "（source.max_unpacked_mb），疑为压缩炸弹，拒绝导入"
        )


def _header_index(rows: Sequence[Sequence[Any]]) -> int | None:
    """The index of the header row among the first rows: all required headers, else the id."""
    fallback = None
    for i, values in enumerate(rows[:HEADER_SEARCH_ROWS]):
        names = {
            canonical_field(str(v).strip()) for v in values if v is not None and str(v).strip()
        }
        if set(REQUIRED) <= names:
            return i
        if fallback is None and "application_id" in names:
            fallback = i
    return fallback


def _xlsx_rows(path: Path, sheet: str | None) -> Iterable[Sequence[Any]]:
    try:
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a broken file
        raise SourceError(
            f"无法读取 Excel 文件 {path.name}：{exc.__class__.__name__} {exc}".strip()
        ) from None
    try:
        if sheet is not None:
            if sheet not in wb.sheetnames:
                raise SourceError(
                    f"文件 {path.name} 中没有名为“{sheet}”的工作表；"
                    f"现有工作表：{'、'.join(wb.sheetnames)}"
                )
            sheets = [wb[sheet]]
        else:
            active = wb.active if wb.active is not None else wb.worksheets[0]
            sheets = [active, *(ws for ws in wb.worksheets if ws is not active)]
        for ws in sheets:
            if hasattr(ws, "reset_dimensions"):
                ws.reset_dimensions()  # some writers store a wrong <dimension>; read everything
            rows = ws.iter_rows(values_only=True)
            head = [tuple(r) for _, r in zip(range(HEADER_SEARCH_ROWS), rows, strict=False)]
            if _header_index(head) is not None or ws is sheets[-1]:
                yield from head
                for r in rows:
                    yield tuple(r)
                return
    except SourceError:
        raise
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


def read_export(
    path: Path | str, limits: FileLimits = DEFAULT_LIMITS, sheet: str | None = None
) -> tuple[list[RawRow], list[str]]:
    """Read one CSV or XLSX export: (rows, notes). Raises SourceError for an unusable file."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        if suffix == ".xls":
            raise SourceError(
                f"文件 {path.name} 是旧版 .xls 格式，请在 Excel 中另存为 .xlsx 或 CSV"
            )
        raise SourceError(f"文件 {path.name} 不是 CSV 或 XLSX 文件")
    size = path.stat().st_size
    if size > limits.max_file_mb * MB:
        raise SourceError(
            f"文件 {path.name} 大小 {size / MB:,.0f} MB，超过上限 {limits.max_file_mb} MB"
            "（source.max_file_mb），拒绝导入"
        )
    if suffix == ".csv":
        if sheet is not None:
            raise SourceError(f"文件 {path.name} 是 CSV，没有工作表，不能指定 --sheet")
        table = _csv_rows(path)
    else:
        check_unpacked_size(path, limits)
        table = _xlsx_rows(path, sheet)
    return _rows_from(table, path.name, limits)


def _rows_from(
    table: Iterable[Sequence[Any]], name: str, limits: FileLimits
) -> tuple[list[RawRow], list[str]]:
    rows: list[RawRow] = []
    notes: list[str] = []
    header: list[str | None] | None = None
    pending: list[tuple[int, Sequence[Any]]] = []  # rows before the header is known
    for number, values in enumerate(table, start=1):
        if header is None:
            if _empty(values):
                continue
            pending.append((number, values))
            index = _header_index([v for _n, v in pending])
            if index is None:
                if len(pending) < HEADER_SEARCH_ROWS:
                    continue
                raise SourceError(
                    f"文件 {name} 的前 {HEADER_SEARCH_ROWS} 行中没有含“申请编号”（application_id）的表头，"
                    f"无法导入；可用的列名：{expected_headers()}"
                )
            header_number, header_values = pending[index]
            raw_headers = ["" if v is None else str(v).strip() for v in header_values]
            header = [canonical_field(h) if h else None for h in raw_headers]
            unknown = [h for h, f in zip(raw_headers, header, strict=True) if h and f is None]
            if unknown:
                notes.append(f"文件 {name}：忽略未识别的列：{'、'.join(unknown)}")
            if index:
                notes.append(f"文件 {name}：第 {header_number} 行为表头，其上 {index} 行已跳过")
            backlog, pending = pending[index + 1 :], []
            for n, v in backlog:
                _add_row(rows, header, name, n, v)
            continue
        if _empty(values):
            continue
        if len(rows) >= limits.max_rows:
            raise SourceError(
                f"文件 {name} 超过 {limits.max_rows:,} 个数据行（source.max_rows），拒绝导入"
            )
        _add_row(rows, header, name, number, values)
    if header is None:
        if pending:
            raise SourceError(
                f"文件 {name} 没有含“申请编号”（application_id）的表头，无法导入；"
                f"可用的列名：{expected_headers()}"
            )
        raise SourceError(f"文件 {name} 是空的：没有表头，可用的列名：{expected_headers()}")
    if not rows:
        notes.append(f"文件 {name}：只有表头，没有数据行")
    return rows, notes


def _add_row(
    rows: list[RawRow], header: list[str | None], name: str, number: int, values: Sequence[Any]
) -> None:
    if _empty(values):
        return
    data: dict[str, Any] = {}
    for field, value in zip(header, values, strict=False):
        if field is None:
            continue
        value = _cell(value)
        if data.get(field) is None:  # the first non-empty of duplicate columns wins
            data[field] = value
    rows.append(RawRow(f"{name}:{number}", data))


class FileSource:
    """One export file (``slamon import FILE``). Re-importing the same file is a no-op in effect:
    its rows are delivered again and the poll service leaves unchanged rows untouched."""

    def __init__(
        self, path: Path | str, limits: FileLimits = DEFAULT_LIMITS, sheet: str | None = None
    ) -> None:
        self.path = Path(path)
        self.limits, self.sheet = limits, sheet
        self.name = f"文件:{self.path.name}"

    def fetch(self, since: dt.datetime | None = None, imported: Container[str] = ()) -> FetchResult:
        if not self.path.is_file():
            raise SourceError(f"文件 {self.path} 不存在")
        sha = file_sha256(self.path)
        rows, notes = read_export(self.path, self.limits, self.sheet)
        return FetchResult(rows=rows, files=[FileMark(sha, self.path.name)], notes=notes)
