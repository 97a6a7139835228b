"""An idle poll (nothing new on the platform) neither loads nor evaluates an open application
whose stored state still holds (core.sla.still_holds: the same local day, no deadline passed
since), and writes only states that moved: its cost no longer grows with the open applications.
The first poll of the next day moves what the day moved, and only that."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from storehelpers import REPO_ROOT, TZ, at, ingest_records, make_runtime, record

from slamon.adapters.store.applications import open_sla
from slamon.adapters.store.db import open_store
from slamon.adapters.store.models import SlaStateRow
from slamon.core.sla import evaluate, holding, still_holds

SLA = SlaStateRow.__table__
JIN = "jincheng-2024"  # a staged rule (review, then answer)
receipts = st.datetimes(min_value=dt.datetime(2024, 1, 2), max_value=dt.datetime(2024, 11, 29))
moments = st.datetimes(min_value=dt.datetime(2024, 1, 2), max_value=dt.datetime(2024, 12, 20))
gaps = st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=3))


@settings(max_examples=300, deadline=None)
@given(receipt=receipts, first=moments, gap=gaps, answered=st.booleans())
def test_a_state_that_still_holds_is_the_state_evaluated_again(
    calendar, ruleset, receipt, first, gap, answered
):
    received = receipt.replace(tzinfo=TZ)
    extra = {"decision": "approved", "decided_at": received + gap} if answered else {}
    r = record("A1", None, **extra)
    r = r.__class__(**{**r.as_dict(), "received_at": received, "reviewed_at": received})
    t1 = max(first.replace(tzinfo=TZ), received)
    t2 = t1 + gap
    state = evaluate(r, t1, ruleset, calendar, TZ)
    if still_holds(state.rule_id, state.deadline, t1, t2, ruleset, TZ):
        assert evaluate(r, t2, ruleset, calendar, TZ) == state


def test_still_holds_within_the_day_and_not_across_a_deadline_a_day_or_a_staged_rule(
    calendar, ruleset, tmp_path
):
    r = record("A1", "2024-10-08 10:00")  # due 2024-10-15 24:00
    state = evaluate(r, at("2024-10-15 09:00"), ruleset, calendar, TZ)
    holds = [
        still_holds(state.rule_id, state.deadline, at("2024-10-15 09:00"), t, ruleset, TZ)
        for t in (at("2024-10-15 23:00"), at("2024-10-16 00:30"), at("2024-10-15 08:00"))
    ]
    assert holds == [True, False, False]  # the same day; past the deadline; an earlier now
    staged = make_runtime(tmp_path, rules={"dir": str(REPO_ROOT / "rules"), "active": [JIN]}).rules
    assert not still_holds(JIN, None, at("2024-10-15 09:00"), at("2024-10-15 10:00"), staged, TZ)
    assert not still_holds(None, None, at("2024-10-15 09:00"), at("2024-10-15 10:00"), staged, TZ)
    assert still_holds(None, None, at("2024-10-15 09:00"), at("2024-10-15 10:00"), ruleset, TZ)


def states(engine):
    with engine.connect() as conn:
        return {r.application_id: r for r in conn.execute(select(SLA))}


def test_an_idle_poll_writes_nothing_and_the_next_day_moves_what_moved(store_url, tmp_path):
    rt = make_runtime(tmp_path)
    engine = open_store(store_url)
    try:
        # O1 overdue since 10-15; P1 due 10-22 (pending, due soon on 10-21); W1 awaiting review
        waiting = record("W1", None, review_status="pending", reviewed_at=None)
        records = [record("O1", "2024-10-08 10:00"), record("P1", "2024-10-15 10:00"), waiting]
        first = at("2024-10-17 09:00")
        ingest_records(engine, rt, records, first)
        before = states(engine)
        idle = ingest_records(engine, rt, [], at("2024-10-17 16:00"))
        assert idle.evaluated == 0
        assert states(engine) == before  # evaluated_at included: nothing written
        next_day = at("2024-10-18 09:00")
        moved = ingest_records(engine, rt, [], next_day)
        assert moved.evaluated == 3  # a new day: every open one evaluated again
        after = states(engine)
        assert after["O1"].overdue_working_days == before["O1"].overdue_working_days + 1
        assert after["O1"].evaluated_at == next_day
        assert after["P1"] == before["P1"]  # still pending: evaluated, the same, not written
        assert after["W1"] == before["W1"]
    finally:
        engine.dispose()


stored_states = st.lists(  # moments in minutes: evaluated before now, the deadline after that
    st.tuples(
        st.sampled_from([None, "guizhou-2023", "guizhou-2023", JIN, "retired-rule"]),
        st.sampled_from(["fp-now", "fp-now", "fp-before"]),
        st.integers(min_value=-1800, max_value=60),  # evaluated, from now
        st.one_of(st.none(), st.integers(min_value=-600, max_value=1800)),  # due, from that
    ),
    min_size=1,
    max_size=12,
)


@pytest.mark.parametrize("store_url", ["sqlite", "postgresql", "mariadb"], indirect=True)
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=stored_states, now_minute=st.integers(min_value=-719, max_value=719))
def test_the_store_returns_every_open_state_that_may_have_moved(
    store_url, tmp_path, rows, now_minute
):
    """The store's filter (core.sla.Holding) leaves out only states still_holds keeps: the idle
    poll reads fewer rows, never misses one that moved."""
    rt = make_runtime(tmp_path)
    now = at("2024-10-15 12:00") + dt.timedelta(minutes=now_minute)
    rows = [(r, fp, e, None if d is None else e + d) for r, fp, e, d in rows]
    engine = open_store(store_url)
    try:
        with engine.begin() as conn:
            conn.execute(SLA.delete())
            conn.execute(SLA.insert(), [_state_row(i, row, now) for i, row in enumerate(rows)])
            found = {r[0] for r in open_sla(conn, moved=holding("fp-now", now, rt.rules, TZ))}
        for i, (rule_id, fp, evaluated, deadline) in enumerate(rows):
            evaluated_at = now + dt.timedelta(minutes=evaluated)
            due = None if deadline is None else now + dt.timedelta(minutes=deadline)
            holds = fp == "fp-now" and still_holds(rule_id, due, evaluated_at, now, rt.rules, TZ)
            assert holds or f"S{i}" in found, (rule_id, fp, evaluated_at, due, now)
    finally:
        engine.dispose()


def _state_row(i: int, row: tuple, now: dt.datetime) -> dict:
    """A stored open state; ``row``: rule, fingerprint, minutes from ``now`` to its evaluation
    and to its deadline (None: none)."""
    rule_id, fp, evaluated, deadline = row
    due = None if deadline is None else now + dt.timedelta(minutes=deadline)
    return {
        "application_id": f"S{i}",
        "stage": "pending",
        "rule_id": rule_id,
        "deadline": due,
        "fingerprint": fp,
        "evaluated_at": now + dt.timedelta(minutes=evaluated),
    }


def test_the_store_leaves_out_the_states_that_still_hold(store_url, tmp_path):
    rt = make_runtime(tmp_path)
    now = at("2024-10-15 16:00")
    rows = [  # holds; another day; a deadline passed since; another fingerprint; staged
        ("guizhou-2023", "fp-now", -4 * 60, 24 * 60),
        ("guizhou-2023", "fp-now", -17 * 60, None),
        ("guizhou-2023", "fp-now", -60, -30),
        ("guizhou-2023", "fp-before", -60, None),
        (JIN, "fp-now", -60, None),
    ]
    engine = open_store(store_url)
    try:
        with engine.begin() as conn:
            conn.execute(SLA.insert(), [_state_row(i, row, now) for i, row in enumerate(rows)])
            found = {r[0] for r in open_sla(conn, moved=holding("fp-now", now, rt.rules, TZ))}
        assert found == {"S1", "S2", "S3", "S4"}
        staged = make_runtime(tmp_path, rules={"dir": str(REPO_ROOT / "rules"), "active": [JIN]})
        with engine.begin() as conn:  # no clock yet: under a staged rule, always judged again
            conn.execute(SLA.insert(), [_state_row(5, (None, "fp-now", -60, None), now)])
            found = {r[0] for r in open_sla(conn, moved=holding("fp-now", now, staged.rules, TZ))}
        assert "S5" in found
    finally:
        engine.dispose()
