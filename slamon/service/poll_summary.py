"""What one poll cycle did: the counts, the rejected rows, the notes and the notices it planned."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from slamon.core.records import RowError

MAX_ERRORS_KEPT = 10_000  # rejected rows listed in a summary (all are counted and stored)


def empty_read_note(full: bool) -> str:
    """The warning of a read from the beginning (a first read, ``--full``, a query without
    ``:since``) that brought no row at all: never a quiet success — a platform has rows, and a
    ``:since`` bound in another kind than its column (source.cursor) matches none, every poll."""
    what = "全量核对" if full else "从头读取（首次读取，尚无增量游标）"
    return (
        f"{what}未读到任何记录：平台尚无申请记录，或查询条件不符——例如 updated_at 列是整数时间戳"
        "而 source.cursor 仍为 timestamp（毫秒时间戳请设 source.cursor: epoch_ms）；"
        "请运行 slamon check-config 核对"
    )


@dataclass
class PollSummary:
    source: str
    run_id: int | None = None
    fetched: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[RowError] = field(default_factory=list)
    evaluated: int = 0
    deadline_changes: int = 0
    # After a change of calendar or rules: the years changed, the deadlines moved and the mail
    # already sent with an old deadline (service/calendar_update.deadline_update); else None.
    deadline_update: dict[str, Any] | None = None
    data_issues: int = 0  # applications held back as doubtful by this read
    issues_cleared: int = 0  # applications a good row settled
    planned: int = 0
    missed: int = 0  # a full read: rows incremental polling had missed (new or changed)
    deleted: int = 0  # a full read: applications gone from the platform
    future: int = 0  # rows whose updated_at lies in the future (they did not move the cursor)
    full: bool = False
    notes: list[str] = field(default_factory=list)
    dry_run: bool = False
    preview: list[dict[str, Any]] = field(default_factory=list)  # notices planned this cycle

    def absorb(self, part: PollSummary, rows: int) -> None:
        """Add one batch's counts to this read's."""
        self.fetched += rows
        self.inserted += part.inserted
        self.updated += part.updated
        self.unchanged += part.unchanged
        self.rejected += part.rejected
        self.errors.extend(part.errors[: max(0, MAX_ERRORS_KEPT - len(self.errors))])
        self.data_issues += part.data_issues
        self.issues_cleared += part.issues_cleared

    def as_import_json(self) -> dict[str, Any]:
        """The ``import --json`` shape of docs/CONTRACT.md §2."""
        return {
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "errors": [
                {"row": e.row, "field": e.field, "header": e.header, "message": e.message}
                for e in self.errors
            ],
        }
