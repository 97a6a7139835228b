"""The small interface every source implements.

A source returns raw rows (field names or Chinese headers → values) with a reference the user
can find the row by (a row number in a file, the application id in a database). Validation is
done once, by the poll service, with :func:`slamon.core.records.validate_row`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Container, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class RawRow:
    ref: str  # "文件名:行号" for files, the application id (or row number) for databases
    data: Mapping[str, Any]


@dataclass(frozen=True)
class FileMark:
    """A file whose rows this fetch delivered; recorded as imported in the same transaction."""

    sha256: str
    name: str


@dataclass
class FetchResult:
    rows: list[RawRow]
    # The largest updated_at seen, for the next incremental fetch (None: the source has no cursor);
    # an int for a counter column (source.cursor: integer, slamon.core.cursors).
    cursor: dt.datetime | int | None = None
    files: list[FileMark] = field(default_factory=list)
    # Problems that concern a whole file or the source rather than one row (shown to the user).
    notes: list[str] = field(default_factory=list)
    # Rows whose updated_at lies in the future: (ref, updated_at); they did not move the cursor.
    future: list[tuple[str, dt.datetime]] = field(default_factory=list)
    # A full read: every row the platform has (rows missing from it were deleted there).
    complete: bool = False


@dataclass
class ReadState:
    """What a streamed read found besides its rows, filled as the batches go by."""

    cursor: dt.datetime | int | None = None
    future: list[tuple[str, dt.datetime]] = field(default_factory=list)
    rows: int = 0


class Source(Protocol):
    """Yields application rows. ``name`` identifies it in the store (masked: no secrets)."""

    name: str

    def fetch(self, since: dt.datetime | None, imported: Container[str]) -> FetchResult:
        """Rows changed since ``since`` (all when None); skip files whose hash is in ``imported``."""
        ...


class ImportedOnly:
    """``source.kind: none``: nothing to read — a poll evaluates, plans and delivers on what
    ``slamon import`` loaded."""

    name = "imports-only"

    def fetch(self, since: dt.datetime | None, imported: Container[str]) -> FetchResult:
        return FetchResult(rows=[])
