"""One batch of a read, validated: its records with their content hashes, its rejected rows, and
the ids that came twice with different content. The same in the poll's process and in a reader
process (:mod:`slamon.service.read_process`), so what :class:`RowChecks` needs is plain data,
not a runtime, and a :class:`ValidatedBatch` crosses between processes cheaply."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from slamon.adapters.sources.base import RawRow
from slamon.core.mojibake import check_names
from slamon.core.records import (
    ApplicationRecord,
    RowError,
    record_values,
    validate_row,
)
from slamon.core.row_checks import RowLimits, check_raw, check_row
from slamon.core.user_terms import in_user_terms
from slamon.core.vocabulary import DEFAULT_WORDS, PlatformWords


@dataclass(frozen=True)
class RowChecks:
    """What validating a row needs: the zone of naive times, department aliases, the platform's
    words, and the limits of the calendar and of the store's columns."""

    tz: dt.tzinfo
    aliases: Mapping[str, str] = field(default_factory=dict)
    words: PlatformWords = DEFAULT_WORDS
    limits: RowLimits = RowLimits()


@dataclass
class ValidatedBatch:
    """A batch after validation. ``refs``: the reference of every row of the batch, good or bad
    (a good row settles its earlier rejection); ``records``: valid records, the last occurrence of
    an id; ``hashes``: each record's content hash; ``conflicts``: ids that came twice with
    different content (id → detail naming the rows)."""

    refs: list[str]
    records: list[ApplicationRecord]
    hashes: dict[str, str]
    rejections: list[tuple[RawRow, RowError]]
    conflicts: dict[str, str]

    def __getstate__(self) -> dict[str, Any]:
        # Records travel as value tuples: pickling a slotted dataclass costs four times as much.
        values = [(*record_values(r), r.date_only) for r in self.records]
        return {**self.__dict__, "records": values}

    def __setstate__(self, state: dict[str, Any]) -> None:
        records = [ApplicationRecord(*v[:-1], date_only=v[-1]) for v in state["records"]]
        self.__dict__.update(state, records=records)


def validate_batch(rows: Sequence[RawRow], checks: RowChecks) -> ValidatedBatch:
    """Validate one batch: a bad row is rejected with its row, field and reason (naming the
    fields as the row's own headers do) while every good row is kept."""
    tz, aliases, words, limits = checks.tz, checks.aliases, checks.words, checks.limits
    by_id: dict[str, ApplicationRecord] = {}
    refs: dict[str, list[str]] = {}
    seen: dict[str, set[str]] = {}
    rejections: list[tuple[RawRow, RowError]] = []
    for raw in rows:
        try:
            check_raw(raw.data, raw.ref)
            rec = validate_row(raw.data, raw.ref, tz, aliases, words)
            check_row(rec, raw.ref, limits)
            check_names(rec, raw.ref)
        except RowError as err:  # reasons name the fields as the user's file does
            rejections.append((raw, in_user_terms(err, raw.data)))
            continue
        aid = rec.application_id
        if aid in by_id:
            seen.setdefault(aid, {by_id[aid].content_hash()}).add(rec.content_hash())
        by_id[aid] = rec
        refs.setdefault(aid, []).append(str(raw.ref))
    conflicts = {
        aid: f"同一次读取中第 {'、'.join(refs[aid])} 行内容不同"
        for aid, contents in seen.items()
        if len(contents) > 1
    }
    records = list(by_id.values())
    return ValidatedBatch(
        refs=[raw.ref for raw in rows],
        records=records,
        hashes={r.application_id: r.content_hash() for r in records},
        rejections=rejections,
        conflicts=conflicts,
    )
