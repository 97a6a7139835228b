"""One batch of a read, validated: its records with their content hashes, its rejected rows, and
the ids that came twice with different content. The same in the poll's process and in a reader
process (:mod:`slamon.service.read_process`), so what :class:`RowChecks` needs is plain data,
not a runtime, and a :class:`ValidatedBatch` crosses between processes cheaply."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import pickle
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

import slamon
from slamon.adapters.sources.base import RawRow
from slamon.core.mojibake import check_names
from slamon.core.records import (
    ApplicationRecord,
    RowError,
    raw_application_id,
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

    @cached_property
    def salt(self) -> bytes:
        """What else than the row a record depends on: these checks and slamon's version. A row's
        digest (:func:`raw_digest`) includes it, so a new alias, word, limit or release
        validates every row again."""
        limits, words = self.limits, self.words
        canon = {
            "version": slamon.__version__,
            "tz": str(self.tz),
            "aliases": sorted(self.aliases.items()),
            "words": [sorted(words.share_type.items()), sorted(words.review_status.items())],
            "decision": sorted(words.decision.items()),
            "limits": [str(limits.first_day), str(limits.last_day)],
            "lengths": sorted(limits.max_lengths.items()),
        }
        return json.dumps(canon, ensure_ascii=False).encode()


def raw_digest(data: Mapping[str, Any], salt: bytes) -> str:
    """A digest of a raw row as read (its column names and values) and of what validating it
    depends on: the same digest, the same record, so a row whose digest is stored is not
    validated again (a re-read of an unchanged platform). Two equal rows could pickle apart
    (the pickler shares a repeated object): then a row is validated again, never skipped."""
    digest = _salted(salt).copy()  # the salt hashed once, not once per row (the same digest)
    digest.update(pickle.dumps(data, 5))
    return digest.hexdigest()


@lru_cache(maxsize=8)
def _salted(salt: bytes) -> Any:
    return hashlib.blake2b(salt, digest_size=16)


@dataclass
class ValidatedBatch:
    """A batch after validation. ``refs``: the reference of every row of the batch, good or bad
    (a good row settles its earlier rejection); ``records``: valid records, the last occurrence of
    an id; ``hashes``: each record's content hash; ``conflicts``: ids that came twice with
    different content (id → detail naming the rows); ``digests``: each record's raw digest
    (:func:`raw_digest`); ``unchanged``: the ids whose row has the digest stored with them, not
    validated again (their content hash, the stored one, is in ``hashes``; no record)."""

    refs: list[str]
    records: list[ApplicationRecord]
    hashes: dict[str, str]
    rejections: list[tuple[RawRow, RowError]]
    conflicts: dict[str, str]
    digests: dict[str, str] = field(default_factory=dict)
    unchanged: set[str] = field(default_factory=set)

    def __getstate__(self) -> dict[str, Any]:
        # Records travel as value tuples: pickling a slotted dataclass costs four times as much.
        values = [(*record_values(r), r.date_only) for r in self.records]
        return {**self.__dict__, "records": values}

    def __setstate__(self, state: dict[str, Any]) -> None:
        records = [ApplicationRecord(*v) for v in state["records"]]  # date_only comes last
        self.__dict__.update(state, records=records)


def validate_batch(
    rows: Sequence[RawRow],
    checks: RowChecks,
    stored: Mapping[str, tuple[str | None, str]] | None = None,
) -> ValidatedBatch:
    """Validate one batch: a bad row is rejected with its row, field and reason (naming the
    fields as the row's own headers do) while every good row is kept. ``stored``: id → (raw
    digest, content hash) as the store holds them; a row with its stored digest is unchanged,
    taken as stored without validating it again."""
    tz, aliases, words, limits, salt = (
        checks.tz,
        checks.aliases,
        checks.words,
        checks.limits,
        checks.salt,
    )
    by_id: dict[str, ApplicationRecord | None] = {}  # None: unchanged, as stored
    contents: dict[str, str] = {}
    digests: dict[str, str] = {}
    refs: dict[str, list[str]] = {}
    seen: dict[str, set[str]] = {}
    rejections: list[tuple[RawRow, RowError]] = []
    for raw in rows:
        digest = raw_digest(raw.data, salt)
        raw_id = raw_application_id(raw.data) if stored else None
        known = stored.get(raw_id) if stored and raw_id is not None else None
        if raw_id is not None and known is not None and known[0] == digest:
            rec, aid, content = None, raw_id, known[1]
        else:
            try:
                check_raw(raw.data, raw.ref)
                rec = validate_row(raw.data, raw.ref, tz, aliases, words)
                check_row(rec, raw.ref, limits)
                check_names(rec, raw.ref)
            except RowError as err:  # reasons name the fields as the user's file does
                rejections.append((raw, in_user_terms(err, raw.data)))
                continue
            aid, content = rec.application_id, rec.content_hash()
            digests[aid] = digest
        if aid in by_id:
            seen.setdefault(aid, {contents[aid]}).add(content)
        by_id[aid], contents[aid] = rec, content
        refs.setdefault(aid, []).append(str(raw.ref))
    conflicts = {
        aid: f"同一次读取中第 {'、'.join(refs[aid])} 行内容不同"
        for aid, kinds in seen.items()
        if len(kinds) > 1
    }
    records = [r for r in by_id.values() if r is not None]
    return ValidatedBatch(
        refs=[raw.ref for raw in rows],
        records=records,
        hashes=contents,
        rejections=rejections,
        conflicts=conflicts,
        digests={r.application_id: digests[r.application_id] for r in records},
        unchanged={a for a, r in by_id.items() if r is None},
    )
