"""Hostile files: how fast and how lean slamon refuses or reads them.

Run: ``.venv/bin/python benchmarks/bench_hostile_files.py``. Builds, in a temporary folder:
- a zip bomb: a valid-looking XLSX whose sheet inflates to 2,000 MB (a few MB on disk);
- a 200,000-row Big5 CSV (traditional characters) and one in GB18030 (simplified).
Times ``read_export`` on each (best of 3) and records the peak of Python allocations
(tracemalloc) for the bomb. Prints one ``name=value`` line per figure.
"""

from __future__ import annotations

import sys
import tempfile
import time
import tracemalloc
import zipfile
from pathlib import Path

from openpyxl import Workbook

from slamon.adapters.sources.files import read_export
from slamon.core.errors import SourceError

HEADER = [
    "application_id",
    "applicant_dept",
    "provider_dept",
    "resource_name",
    "share_type",
    "submitted_at",
]
ROWS = 200_000


def zip_bomb(path: Path, inflated_mb: int) -> None:
    wb = Workbook()
    wb.active.append(HEADER)
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
            sheet.write(b"<worksheet><sheetData>")
            for _ in range(inflated_mb):
                sheet.write(chunk)
            sheet.write(b"</sheetData></worksheet>")


def best(fn, repeats: int = 3) -> float:  # noqa: ANN001
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    smoke = "--smoke" in sys.argv[1:]  # a tiny run: the benchmark still works
    count = 2_000 if smoke else ROWS
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        bomb = folder / "bomb.xlsx"
        zip_bomb(bomb, 2000)

        def refuse() -> None:
            try:
                read_export(bomb)
            except SourceError:
                return
            raise SystemExit("the zip bomb was not refused")

        tracemalloc.start()
        refuse()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"bomb_file_mb={bomb.stat().st_size / 2**20:.1f}")
        print(f"bomb_refused_seconds={best(refuse):.4f}")
        print(f"bomb_peak_python_mb={peak / 2**20:.2f}")
        samples = {
            "cp950": "臺灣省稅務局,貴州省公安廳,戶籍資訊",  # Big5: traditional characters
            "gb18030": "黔南州税务局,省公安厅,户籍信息",  # GB18030: simplified
        }
        for encoding, names in samples.items():
            lines = [",".join(HEADER)]
            lines += [f"R{i},{names},unconditional,2026-11-02" for i in range(count)]
            path = folder / f"{encoding}.csv"
            path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
            seconds = best(lambda p=path: read_export(p))
            rows, _ = read_export(path)
            assert rows[0].data["applicant_dept"] == names.split(",")[0], encoding
            print(f"csv_{encoding}_rows_per_second={count / seconds:,.0f}")


if __name__ == "__main__":
    main()
