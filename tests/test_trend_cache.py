"""The kept figures of closed months and weeks (adapters/store/trend_cache) on each real store:
a kept period is served while nothing can have changed it, and tallied again, equal to a
history computed from nothing, after a change that can touch it: a poll's change to an
application submitted by its end (before or after the change), an exemption, a new data
issue, another rule. A property test compares the kept history with a cold one after random
changes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reporthelpers import Maker, at
from sqlalchemy import delete, select, update
from storehelpers import ingest_records, make_runtime

from slamon.adapters.store import trend_cache
from slamon.adapters.store.db import open_store
from slamon.adapters.store.models import Meta
from slamon.core.periods import Month
from slamon.core.records import ApplicationRecord
from slamon.service.exemptions import exempt
from slamon.service.trends import MAX_STREAK, WEEKS, history, keep_closed

META = Meta.__table__
NOW = at(dt.date(2025, 1, 10), 12)
MONTHS = [Month(2024, 9), Month(2024, 10), Month(2024, 11), Month(2024, 12), Month(2025, 1)]
MARKER = 987_654  # a value no tally gives: where it is still read, the kept value was served


def _records(calendar, n: int = 120, seed: int = 5) -> list[ApplicationRecord]:
    rng = random.Random(seed)
    mk = Maker(calendar)
    days = [dt.date(2024, 9, 2) + dt.timedelta(days=i) for i in range(125)]
    return [
        mk.conditional(
            rng.choice("甲乙丙"), "资源", rng.choice(days), rng.choice([None, 1, 4, 6, 9, 30])
        )
        for _ in range(n)
    ]


def _history(engine, rt, now=NOW):
    return history(engine, rt, now, months=len(MONTHS), weeks=6)


def _cold(engine, rt, now=NOW):
    with engine.begin() as conn:
        conn.execute(delete(META).where(META.c.key.like("trend:%")))
    return _history(engine, rt, now)


def _kept_keys(engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(select(META.c.key).where(META.c.key.like("trend:%"))).scalars())


def _mark_kept(engine) -> None:
    """Write MARKER into every kept month's province 'received' (and every week's 'open')."""
    with engine.begin() as conn:
        for key, text in conn.execute(select(META.c.key, META.c.value)).all():
            if not key.startswith("trend:"):
                continue
            kept = json.loads(text)
            if "province" in kept["value"]:
                kept["value"]["province"][1] = MARKER
            else:
                kept["value"]["open"] = MARKER
            conn.execute(update(META).where(META.c.key == key).values(value=json.dumps(kept)))


def _served(h) -> list[str]:
    return [m.month.key for m in h.months if m.province.received == MARKER] + [
        w.week.key for w in h.weeks if w.open == MARKER
    ]


@pytest.fixture
def kept(store_url: str, tmp_path: Path, calendar):  # noqa: ANN201
    rt = make_runtime(tmp_path)
    engine = open_store(store_url)
    records = _records(calendar)
    ingest_records(engine, rt, records, NOW)
    first = _history(engine, rt)
    yield engine, rt, records, first
    engine.dispose()


def test_closed_periods_are_kept_and_served_while_nothing_changed(kept) -> None:
    engine, rt, _records, first = kept
    keys = _kept_keys(engine)
    closed_months = [m for m in first.months if m.as_of < NOW]
    closed_weeks = [w for w in first.weeks if w.as_of < NOW]
    assert len(keys) == len(closed_months) + len(closed_weeks) == 4 + 5
    assert _history(engine, rt) == first  # the kept values read back equal the tally
    _mark_kept(engine)
    again = _history(engine, rt)
    assert set(_served(again)) == {m.month.key for m in closed_months} | {
        w.week.key for w in closed_weeks
    }
    assert again.months[-1] == first.months[-1]  # the month still running: always tallied


def test_a_change_stales_the_periods_it_can_touch_and_no_earlier_one(kept) -> None:
    engine, rt, records, _first = kept
    _mark_kept(engine)
    # an application received in November and still open gets a (backdated) answer
    r = next(
        r
        for r in records
        if r.decided_at is None and r.received_at.month == 11 and r.received_at.day > 5
    )
    answer = r.received_at + dt.timedelta(days=1)
    ingest_records(
        engine, rt, [dataclasses.replace(r, decision="approved", decided_at=answer)], NOW
    )
    h = _history(engine, rt)
    assert {"2024-09", "2024-10"} <= set(_served(h))
    assert not {"2024-11", "2024-12"} & set(_served(h))
    cold = _cold(engine, rt)
    assert h.months[2:] == cold.months[2:]  # tallied again: what a history from nothing gives
    assert cold.months[2] != _first.months[2]  # and November did change


def test_a_moved_submission_stales_the_month_it_left(kept) -> None:
    engine, rt, records, _first = kept
    r = next(r for r in records if r.received_at.month == 9 and r.decided_at is not None)
    later = dt.timedelta(days=70)
    moved = dataclasses.replace(
        r,
        submitted_at=r.submitted_at + later,
        reviewed_at=r.reviewed_at + later,
        received_at=r.received_at + later,
        decided_at=r.decided_at + later,
    )
    _mark_kept(engine)
    ingest_records(engine, rt, [moved], NOW)
    h = _history(engine, rt)
    assert "2024-09" not in _served(h)
    assert h.months == _cold(engine, rt).months


def test_an_exemption_a_data_issue_or_a_rule_change_tallies_again(kept, tmp_path: Path) -> None:
    engine, rt, records, first = kept
    open_late = [r for r in records if r.decided_at is None and r.received_at.month == 9]
    _mark_kept(engine)
    exempt(engine, rt, [open_late[0].application_id], "平台故障，已核实", "测试", NOW)
    h = _history(engine, rt)
    assert _served(h) == [] and h == _cold(engine, rt)
    assert h != first  # the exempted application left September's open overdue count
    _mark_kept(engine)
    broken = open_late[1].as_dict() | {"decision": "驳回", "decided_at": None}
    ingest_records(engine, rt, [ApplicationRecord(**broken)], NOW)  # held: 数据存疑
    h = _history(engine, rt)
    assert _served(h) == [] and h == _cold(engine, rt)
    _mark_kept(engine)
    rules = tmp_path / "rules"
    rules.mkdir()
    src = Path(__file__).resolve().parent.parent / "slamon" / "data" / "rules" / "guizhou-2023.yaml"
    text = src.read_text(encoding="utf-8").replace("working_days: 5 ", "working_days: 10 ", 1)
    (rules / "guizhou-2023.yaml").write_text(text, encoding="utf-8")
    rt10 = make_runtime(tmp_path, rules={"dir": str(rules), "active": ["guizhou-2023"]})
    h10 = _history(engine, rt10)
    assert _served(h10) == [] and h10 != h
    _mark_kept(engine)
    utc = make_runtime(tmp_path, timezone="UTC")  # other month and week boundaries
    assert _served(_history(engine, utc)) == []


# -- property: kept + changes == cold ---------------------------------------------------------
change = st.fixed_dictionaries(
    {
        "pick": st.integers(0, 10_000),
        "kind": st.sampled_from(["answer", "reopen", "move", "new", "provider"]),
        "days": st.integers(-40, 40),
    }
)


def _changed(r: ApplicationRecord, c: dict, mk: Maker) -> ApplicationRecord:
    shift = dt.timedelta(days=c["days"])
    if c["kind"] == "answer":
        return dataclasses.replace(r, decision="approved", decided_at=r.received_at + abs(shift))
    if c["kind"] == "reopen":
        return dataclasses.replace(r, decision="pending", decided_at=None)
    if c["kind"] == "provider":
        return dataclasses.replace(r, provider_dept="丁")
    if c["kind"] == "new":
        return mk.conditional("乙", "新资源", (r.received_at + shift).date(), None, prefix="NEW")
    return dataclasses.replace(
        r,
        submitted_at=r.submitted_at + shift,
        reviewed_at=r.reviewed_at + shift,
        received_at=r.received_at + shift,
        decided_at=None if r.decided_at is None else r.decided_at + abs(shift) + shift,
    )


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(rounds=st.lists(st.lists(change, min_size=1, max_size=6), min_size=1, max_size=3))
def test_kept_history_after_changes_equals_a_cold_one(rounds, tmp_path_factory, calendar) -> None:
    folder = tmp_path_factory.mktemp("kept")
    rt = make_runtime(folder)
    engine = open_store(f"sqlite:///{folder / 's.db'}")
    mk = Maker(calendar)
    records = _records(calendar, n=40, seed=len(rounds))
    ingest_records(engine, rt, records, NOW)
    _history(engine, rt)
    for batch in rounds:
        current = {r.application_id: r for r in records}
        out = {}
        for c in batch:
            r = _changed(records[c["pick"] % len(records)], c, mk)
            if r.received_at is not None and r.received_at < NOW:
                out[r.application_id] = r
        ingest_records(engine, rt, list(out.values()), NOW)
        current.update(out)
        records = list(current.values())
        kept = _history(engine, rt)
        assert kept == _cold(engine, rt)
    engine.dispose()


def test_the_daemon_keeps_what_the_dashboard_and_the_next_report_read(kept) -> None:
    engine, rt, _records, _first = kept
    with engine.begin() as conn:
        conn.execute(delete(META).where(META.c.key.like("trend:%")))
    keep_closed(engine, rt, NOW)
    assert len(_kept_keys(engine)) == MAX_STREAK + 1 + WEEKS
    _mark_kept(engine)
    dashboard = history(engine, rt, NOW, weeks=WEEKS)  # the overview's call
    assert len(_served(dashboard)) == len(dashboard.months) - 1 + len(dashboard.weeks) - 1
    keep_closed(engine, rt, NOW)  # nothing changed: nothing tallied again
    assert len(_served(history(engine, rt, NOW, weeks=WEEKS))) == len(_served(dashboard))


def test_past_too_many_changes_every_kept_period_is_tallied_again(kept, monkeypatch) -> None:
    engine, rt, records, _first = kept
    december = [r for r in records if r.decided_at is None and r.received_at.month == 12][:5]
    answered = [
        dataclasses.replace(r, decision="approved", decided_at=r.received_at + dt.timedelta(days=1))
        for r in december
    ]
    _mark_kept(engine)
    monkeypatch.setattr(trend_cache, "TOO_MANY", len(answered) - 1)
    ingest_records(engine, rt, answered, NOW)
    h = _history(engine, rt)
    assert _served(h) == [] and h == _cold(engine, rt)
