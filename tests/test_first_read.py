"""A first read into an empty store takes a shorter path (indexes built once at its end, no
look-ups of what cannot be stored yet): the same verdicts, holds and rows as a read into a store
in use, the same indexes afterwards, and a failed first read loses nothing."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from sqlalchemy import event, inspect, text
from storehelpers import at, ingest_records, make_runtime, record

from slamon.adapters.sources.base import FetchResult, RawRow
from slamon.adapters.store import applications, data_issues
from slamon.adapters.store.db import open_store
from slamon.service.poll import apply_batches

NOW = at("2024-10-14 10:00")
IDS = ["A1", "A2", "A3", "A4", "A5"]


def batches() -> list[list[RawRow]]:
    """Three batches of one read: an id again with the same content (A1), again with other
    content (A2: a conflict), a bad row then a good one (A3), a good row then a bad one (A4:
    held), and one plain application (A5)."""
    answered = dataclasses.replace(record("A2"), decision="approved", decided_at=at("2024-10-09"))
    bad3 = dict(record("A3").as_dict(), decision="驳回", decided_at=None)
    bad4 = dict(record("A4").as_dict(), decision="驳回", decided_at=None)
    return [
        [RawRow("r1", record("A1").as_dict()), RawRow("r2", record("A2").as_dict())],
        [
            RawRow("r3", bad3),
            RawRow("r4", record("A4").as_dict()),
            RawRow("r5", answered.as_dict()),
        ],
        [RawRow("r6", record("A1").as_dict()), RawRow("r7", record("A3").as_dict())]
        + [RawRow("r8", bad4), RawRow("r9", record("A5").as_dict())],
    ]


def verdicts(engine: Any) -> tuple[dict[str, str], dict[str, str]]:
    with engine.connect() as conn:
        stages = applications.stages_of(conn, IDS)
        issues = {a: i[0] for a, i in data_issues.open_issues(conn).items() if a in IDS}
    return stages, issues


def indexes(engine: Any) -> dict[str, set[str]]:
    found = inspect(engine)
    tables = ("application", "application_event", "sla_state")
    return {t: {i["name"] for i in found.get_indexes(t)} for t in tables}


def test_a_first_read_gives_what_a_read_into_a_store_in_use_gives(store_url, tmp_path):
    rt = make_runtime(tmp_path)
    used = open_store(f"sqlite:///{tmp_path / 'used.db'}")
    ingest_records(used, rt, [record("OTHER")], at("2024-10-01 10:00"))
    first = open_store(store_url)
    built = indexes(first)
    try:
        for engine in (first, used):
            summary = apply_batches(engine, rt, "src", batches(), lambda: FetchResult([]), NOW)
            assert (summary.fetched, summary.inserted, summary.rejected) == (9, 5, 2)
        assert verdicts(first) == verdicts(used)
        stages, issues = verdicts(first)
        # A3's bad row named an id never seen (just a rejected row); A4's followed its good row.
        assert issues == {"A2": "conflicting_rows", "A4": "rejected_update"}
        assert stages["A1"] == stages["A3"] == stages["A5"] == "overdue"
        assert indexes(first) == built  # every index the schema has, built again at the end
    finally:
        first.dispose()
        used.dispose()


def test_a_failed_first_read_keeps_the_store_and_its_indexes(tmp_path):
    rt = make_runtime(tmp_path)
    engine = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    built = indexes(engine)

    def planner(*_args: Any) -> int:
        raise RuntimeError("出错")

    with pytest.raises(RuntimeError):
        apply_batches(engine, rt, "src", batches(), lambda: FetchResult([]), NOW, planner=planner)
    assert indexes(engine) == built
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM application")).scalar() == 0
    engine.dispose()


def test_a_read_into_a_store_in_use_leaves_its_indexes_alone(tmp_path):
    rt = make_runtime(tmp_path)
    engine = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    ingest_records(engine, rt, [record("OTHER")], at("2024-10-01 10:00"))
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2].upper()))
    apply_batches(engine, rt, "src", batches(), lambda: FetchResult([]), NOW)
    assert [s for s in statements if "INDEX" in s] == []
    statements.clear()
    fresh = open_store(f"sqlite:///{tmp_path / 'fresh.db'}")
    event.listen(fresh, "before_cursor_execute", lambda *a: statements.append(a[2].upper()))
    apply_batches(fresh, rt, "src", batches(), lambda: FetchResult([]), NOW)
    assert any("DROP INDEX" in s for s in statements)  # the check above can fail
    engine.dispose()
    fresh.dispose()
