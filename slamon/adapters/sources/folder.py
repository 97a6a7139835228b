"""A folder the platform's exports are dropped into: each new file is imported exactly once.

A file is "new" when its SHA-256 is not among the imported hashes the store keeps, so renaming
or touching a file does not import it again, while a corrected export (new content) is imported.
Files still being written are left for the next poll: temporary names (``~$x.xlsx``,
``.~lock.x.csv#``, hidden files) and files modified less than ``settle_seconds`` ago.

A file that cannot be read at all (an encoding that cannot be told for sure, no 申请编号 column,
a broken XLSX, beyond the size, row or inflation limits of :class:`FileLimits`) yields a
note naming the file and the reason, and is marked as imported anyway, so that it is not retried
and reported on every poll; a fixed file has a new hash and is imported. Bad rows inside a good
file are not this module's business: the poll service rejects them row by row.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Container
from pathlib import Path

from slamon.adapters.sources.base import FetchResult, FileMark, RawRow
from slamon.adapters.sources.files import (
    DEFAULT_LIMITS,
    SUFFIXES,
    FileLimits,
    file_sha256,
    read_export,
)
from slamon.core.errors import SourceError


def is_temporary(name: str) -> bool:
    """Office/LibreOffice lock and temp files, hidden files, editor backups."""
    return name.startswith(("~$", ".~lock", ".", "~")) or name.endswith(
        ("#", "~", ".tmp", ".part", ".crdownload")
    )


class FolderSource:
    def __init__(
        self,
        folder: Path | str,
        settle_seconds: float = 5,
        clock: Callable[[], float] | None = None,
        limits: FileLimits = DEFAULT_LIMITS,
    ) -> None:
        self.folder = Path(folder)
        self.limits = limits
        self.settle_seconds = settle_seconds
        self.clock = clock or time.time
        self.name = f"目录:{self.folder}"

    def candidates(self) -> list[Path]:
        """Export files ready to read, oldest first (by modification time, then name)."""
        if not self.folder.is_dir():
            raise SourceError(f"导出文件目录 {self.folder} 不存在")
        cutoff = self.clock() - self.settle_seconds
        found: list[tuple[float, str, Path]] = []
        for p in self.folder.iterdir():
            if p.suffix.lower() not in SUFFIXES or is_temporary(p.name):
                continue
            try:
                if not p.is_file():
                    continue
                mtime = p.stat().st_mtime
            except OSError:
                continue
            if mtime > cutoff:
                continue  # still being written, or just copied in: next poll
            found.append((mtime, p.name, p))
        return [p for _m, _n, p in sorted(found)]

    def fetch(self, since: dt.datetime | None = None, imported: Container[str] = ()) -> FetchResult:
        rows: list[RawRow] = []
        marks: list[FileMark] = []
        notes: list[str] = []
        seen: set[str] = set()
        for path in self.candidates():
            try:
                sha = file_sha256(path)
            except OSError as exc:  # vanished or locked: try again next poll, not marked
                notes.append(
                    f"文件 {path.name} 暂时无法读取（{exc.strerror or exc}），下次轮询重试"
                )
                continue
            if sha in imported or sha in seen:
                continue
            seen.add(sha)
            try:
                file_rows, file_notes = read_export(path, self.limits)
            except SourceError as exc:
                notes.append(
                    f"文件 {path.name} 无法导入：{exc}；已记为已处理，修正后重新放入目录即可导入"
                )
            except OSError as exc:
                seen.discard(sha)
                notes.append(
                    f"文件 {path.name} 暂时无法读取（{exc.strerror or exc}），下次轮询重试"
                )
                continue
            else:
                rows.extend(file_rows)
                notes.extend(file_notes)
            marks.append(FileMark(sha, path.name))
        return FetchResult(rows=rows, files=marks, notes=notes)
