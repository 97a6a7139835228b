"""An idle poll (nothing new on the platform) neither loads nor evaluates an open application
whose stored state still holds (core.sla.still_holds: the same local day, no deadline passed
since), and writes only states that moved: its cost no longer grows with the open applications.
The first poll of the next day moves what the day moved, and only that."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from storehelpers import REPO_ROOT, TZ, at, ingest_records, make_runtime, record

from slamon.adapters.store.db import open_store
from slamon.adapters.store.models import SlaStateRow
from slamon.core.sla import evaluate, still_holds

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
