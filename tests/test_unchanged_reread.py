"""The nightly ``poll --full`` of a platform that did not change is little more than the fetch:
the reader leaves every row whose raw digest the store holds unvalidated and sends only its id,
and nothing is written for it (no history, no SLA state, no update). A row changed behind the
cursor's back is still found; new aliases, words or limits validate every row again; a rule or
calendar change still moves the deadlines. On each store kind (the reader reads the store on a
connection of its own while the poll's transaction is open)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from platformhelpers import ROWS, n
from sqlalchemy import create_engine, func, select, text
from storehelpers import make_runtime, snapshot

from slamon.adapters.sources.base import RawRow
from slamon.adapters.sources.sql import SqlSource
from slamon.adapters.store import applications
from slamon.adapters.store.db import open_store
from slamon.adapters.store.models import ApplicationEvent, SlaStateRow
from slamon.demo.platform import platform_query, platform_table
from slamon.service import poll
from slamon.service.batch_validation import raw_digest, validate_batch
from slamon.service.poll import row_checks, run_poll_cycle

TZ = dt.timezone(dt.timedelta(hours=8))
FIRST = dt.datetime(2024, 12, 10, 10, 0, tzinfo=TZ)
LATER = FIRST + dt.timedelta(hours=2)  # the same day: no deadline passes in between
TABLE = "t_share_apply"


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[str]:
    """A SQLite platform file with the six rows of platformhelpers; its URL."""
    url = f"sqlite:///{tmp_path / 'platform.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        platform_table(TABLE).create(conn)
        conn.execute(platform_table(TABLE).insert(), ROWS)
    engine.dispose()
    yield url


@pytest.fixture
def unchanged_ids(monkeypatch: pytest.MonkeyPatch) -> list[set[str]]:
    """The ids each read from the beginning delivered without validating them again (what the
    reader process sent back: the real reader, only listened to)."""
    seen: list[set[str]] = []
    real = poll.validated_batches

    def listening(*args: Any, **kw: Any) -> Iterator[Any]:
        seen.append(set())
        for batch in real(*args, **kw):
            seen[-1] |= batch.unchanged
            yield batch

    monkeypatch.setattr(poll, "validated_batches", listening)
    return seen


def full_read(store: Any, rt: Any, url: str, now: dt.datetime) -> Any:
    source = SqlSource(url, platform_query(TABLE), tz="Asia/Shanghai")
    try:
        return run_poll_cycle(store, rt, source, now, full=True)
    finally:
        source.dispose()


def counts(store: Any) -> tuple[int, int]:
    """(history events, SLA states evaluated at LATER)."""
    sla = SlaStateRow.__table__
    with store.connect() as conn:
        events = conn.execute(select(func.count()).select_from(ApplicationEvent.__table__))
        moved = conn.execute(
            select(func.count()).select_from(sla).where(sla.c.evaluated_at == LATER)
        )
        return events.scalar_one(), moved.scalar_one()


def test_a_full_reread_of_an_unchanged_platform_writes_nothing(
    store_url, platform, tmp_path, unchanged_ids
):
    rt = make_runtime(tmp_path)
    store = open_store(store_url)
    try:
        first = full_read(store, rt, platform, FIRST)
        assert (first.inserted, unchanged_ids) == (6, [set()])  # a first read validates all
        before = snapshot(store)
        again = full_read(store, rt, platform, LATER)
        assert (again.fetched, again.inserted, again.updated, again.unchanged) == (6, 0, 0, 6)
        assert unchanged_ids[1] == {r["apply_no"] for r in ROWS}  # none validated again
        after = snapshot(store)
        for table in ("application", "application_event", "sla_state", "rejected_row"):
            assert after[table] == before[table], table
        assert again.missed == again.deleted == 0
    finally:
        store.dispose()


def test_a_row_changed_behind_the_cursor_is_found_by_the_full_reread(
    store_url, platform, tmp_path, unchanged_ids
):
    rt = make_runtime(tmp_path)
    store = open_store(store_url)
    try:
        full_read(store, rt, platform, FIRST)
        events, _ = counts(store)
        engine = create_engine(platform)
        with engine.begin() as conn:  # answered, but modify_time left as it was
            conn.execute(
                text(
                    f"UPDATE {TABLE} SET approve_result = '通过', "
                    "approve_time = '2024-12-05 09:00:00' WHERE apply_no = 'A006'"
                )
            )
        engine.dispose()
        again = full_read(store, rt, platform, LATER)
        assert (again.updated, again.unchanged, again.missed) == (1, 5, 1)
        assert "A006" not in unchanged_ids[1] and len(unchanged_ids[1]) == 5
        assert counts(store) == (events + 1, 1)  # its history event and its state, only
        with store.connect() as conn:
            assert applications.stages_of(conn, ["A006"]) == {"A006": "answered_on_time"}
    finally:
        store.dispose()


def test_new_aliases_validate_every_row_again(platform, tmp_path, unchanged_ids):
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        full_read(store, make_runtime(tmp_path), platform, FIRST)
        renamed = make_runtime(tmp_path, aliases={"省公安厅": "贵州省公安厅"})
        again = full_read(store, renamed, platform, LATER)
        assert unchanged_ids[1] == set()
        assert again.updated == 5  # every row of 省公安厅, A002 is another provider's
        with store.connect() as conn:
            depts = {r.provider_dept for r in applications.load_records(conn, ["A001"]).values()}
        assert depts == {"贵州省公安厅"}
    finally:
        store.dispose()


def test_a_rule_change_still_moves_the_deadlines_on_an_unchanged_platform(platform, tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        full_read(store, make_runtime(tmp_path), platform, FIRST)
        other = make_runtime(
            tmp_path,
            rules={
                "dir": str(Path(poll.__file__).parents[2] / "rules"),
                "active": ["guizhou-2020"],
            },
        )
        again = full_read(store, other, platform, LATER)
        assert again.unchanged == 6 and again.evaluated == 6  # every state, evaluated again
        assert again.deadline_changes > 0
        with store.connect() as conn:
            prints = set(conn.execute(select(SlaStateRow.__table__.c.fingerprint)).scalars())
        assert prints == {other.fingerprint()}
    finally:
        store.dispose()


def test_a_row_is_taken_as_stored_only_with_its_own_digest(platform, tmp_path):
    checks = row_checks(make_runtime(tmp_path))
    source = SqlSource(platform, platform_query(TABLE), tz="Asia/Shanghai")
    read = sorted((r for b in source.batches(None, full=True) for r in b), key=lambda r: r.ref)
    rows = [r for r in read if r.ref in ("A001", "A002")]  # as read
    source.dispose()
    first = validate_batch(rows, checks)
    assert first.unchanged == set() and set(first.digests) == {"A001", "A002"}
    stored = {a: (first.digests[a], first.hashes[a]) for a in first.digests}
    assert validate_batch(rows, checks, stored).unchanged == {"A001", "A002"}
    changed = [rows[0], RawRow("A002", {**rows[1].data, "updated_at": n("2024-12-09 08:00:00")})]
    again = validate_batch(changed, checks, stored)
    assert again.unchanged == {"A001"} and [r.application_id for r in again.records] == ["A002"]
    assert again.hashes["A002"] == first.hashes["A002"]  # the same content: not an update
    other = row_checks(make_runtime(tmp_path, aliases={"省公安厅": "贵州省公安厅"}))
    assert raw_digest(rows[0].data, other.salt) != first.digests["A001"]
    # the same id twice in a batch: the last row counts, stored or validated
    twice = validate_batch([changed[1], rows[1]], checks, stored)
    assert (twice.unchanged, twice.records, twice.conflicts) == ({"A002"}, [], {})
