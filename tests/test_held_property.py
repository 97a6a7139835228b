"""Property: an application whose newest row was rejected, or that is withdrawn, never appears in a
notice planned after that row arrived, nor in any month's ``late`` (real SQLite store, real polls)."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from storehelpers import at, make_runtime, record

from slamon.adapters.sources.base import FetchResult, RawRow
from slamon.adapters.store.db import open_store
from slamon.service.poll import apply_fetch, default_planner
from slamon.service.reports import monthly_report

RECEIPTS = ["2024-09-27 10:00", "2024-09-30 16:00", "2024-10-08 09:00", "2024-10-14 11:00"]
FATES = ["pending", "approved", "withdrawn", "withdrawn_undated", "rejected_row"]

app = st.tuples(st.sampled_from(RECEIPTS), st.sampled_from(FATES), st.integers(0, 12))


def _final(aid, received, fate, days):
    base = record(aid, received=received)
    when = at(received) + dt.timedelta(days=days)
    if fate == "approved":
        return base.as_dict() | {"decision": "approved", "decided_at": when}
    if fate == "withdrawn":
        return base.as_dict() | {"decision": "已撤回", "decided_at": when}
    if fate == "withdrawn_undated":
        return base.as_dict() | {"decision": "作废", "decided_at": None}
    if fate == "rejected_row":  # 驳回 without its date: fails validation
        return base.as_dict() | {"decision": "驳回", "decided_at": None}
    return base.as_dict()


def _poll(engine, rt, rows, now):
    fetched = FetchResult(rows=[RawRow(f"r{i}", r) for i, r in enumerate(rows)])
    return apply_fetch(engine, rt, "prop", fetched, now, planner=default_planner())


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(apps=st.lists(app, min_size=1, max_size=6), second=st.sampled_from([9, 11, 15, 21]))
def test_held_and_withdrawn_never_noticed_nor_late(apps, second):
    with tempfile.TemporaryDirectory() as tmp:
        engine = open_store(f"sqlite:///{Path(tmp) / 'store.db'}")
        rt = make_runtime(Path(tmp))
        ids = [f"P{i}" for i in range(len(apps))]
        first = [
            record(aid, received=r).as_dict() for aid, (r, _f, _d) in zip(ids, apps, strict=True)
        ]
        _poll(engine, rt, first, at("2024-10-08 08:00"))
        later = at(f"2024-10-{second:02d} 08:00")
        with engine.connect() as conn:
            before = conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM outbox")).scalar_one()
        final = [_final(aid, r, f, d) for aid, (r, f, d) in zip(ids, apps, strict=True)]
        _poll(engine, rt, final, later)
        _poll(engine, rt, [], later + dt.timedelta(days=7))
        excluded = {
            aid
            for aid, (_r, f, _d) in zip(ids, apps, strict=True)
            if f not in ("pending", "approved")
        }
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT items FROM outbox WHERE id > :m"), {"m": before}).all()
        noticed = {i["application_id"] for (raw,) in rows for i in json.loads(raw)}
        assert not (noticed & excluded)
        for month in ("2024-09", "2024-10", "2024-11"):
            report = monthly_report(engine, rt, month)
            late = {a for g in report.figures.late for a in g.applications}
            assert not (late & excluded), (month, late & excluded)
        engine.dispose()


def test_the_property_can_fail_without_the_hold(tmp_path):
    """Sanity: the same pending application IS noticed and late when nothing holds it back."""
    engine = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    rt = make_runtime(tmp_path)
    _poll(engine, rt, [record("P0").as_dict()], at("2024-10-08 08:00"))
    _poll(engine, rt, [record("P0").as_dict()], at("2024-10-15 08:00"))
    with engine.connect() as conn:
        items = [json.loads(r) for (r,) in conn.execute(text("SELECT items FROM outbox"))]
    assert any(i["application_id"] == "P0" for batch in items for i in batch)
    assert "P0" in {
        a for g in monthly_report(engine, rt, "2024-10").figures.late for a in g.applications
    }
