"""A poll skips planning notices while nothing that decides the plan changed (service/notice_stamp):
whatever happens between polls, the outbox is exactly what planning every time gives."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select
from storehelpers import at, ingest_records, make_runtime, record

from slamon.adapters.sources.base import FetchResult, RawRow
from slamon.adapters.store.db import open_store
from slamon.adapters.store.models import Meta, Outbox
from slamon.service import exemptions
from slamon.service.notice_stamp import PLAN_KEY
from slamon.service.poll import apply_fetch, default_planner

IDS = ("A1", "A2", "A3", "A4", "A5")
PROVIDERS = ("省公共资源交易中心", "省税务局", "省大数据局")
START = at("2024-10-14 08:00")  # a Monday, before the sending window opens
O1_RECEIVED = "2024-10-10 10:00"  # due 10-16 24:00 (10-12 a working Saturday): late from 10-17
OUTBOX_COLUMNS = [
    Outbox.key,
    Outbox.items,
    Outbox.recipients,
    Outbox.subject,
    Outbox.body_text,
    Outbox.not_before,
]

steps = st.lists(
    st.one_of(
        st.tuples(st.just("idle")),
        st.tuples(st.just("later"), st.integers(min_value=1, max_value=30)),  # hours
        st.tuples(  # an application received, answered or moved to another provider
            st.just("read"),
            st.sampled_from(IDS),
            st.integers(min_value=0, max_value=12),  # received this many days before START
            st.booleans(),  # answered now
            st.sampled_from(PROVIDERS),
        ),
        st.tuples(st.just("exempt"), st.sampled_from(IDS)),
        st.tuples(st.just("revoke"), st.sampled_from(IDS)),
        st.tuples(st.just("policy"), st.integers(min_value=1, max_value=3)),  # repeat every
    ),
    min_size=1,
    max_size=14,
)


def outbox(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(*OUTBOX_COLUMNS).order_by(Outbox.key))]


def poll(engine, rt, records, now, *, forget: bool) -> None:
    if forget:  # the reference store: its stamp cleared, so every poll plans in full
        with engine.begin() as conn:
            conn.execute(delete(Meta).where(Meta.key == PLAN_KEY))
    ingest_records(engine, rt, records, now, plan=True)


def apply(step, engines, rts, now, known):
    kind = step[0]
    if kind == "later":
        return now + dt.timedelta(hours=step[1])
    if kind in ("exempt", "revoke"):
        if step[1] in known:
            act = exemptions.exempt if kind == "exempt" else exemptions.revoke
            for engine, rt in zip(engines, rts, strict=True):
                args = (["已核实"] if kind == "exempt" else []) + ["tester", now]
                act(engine, rt, [step[1]], *args)
        return now
    if kind == "policy":
        for i, rt in enumerate(rts):
            rts[i] = make_runtime(rt.settings.base_dir, notify={"repeat_overdue_every": step[1]})
        return now
    records = []
    if kind == "read":
        _, aid, days, answered, provider = step
        received = (START - dt.timedelta(days=days)).strftime("%Y-%m-%d %H:%M")
        answer = {"decision": "approved", "decided_at": now} if answered else {}
        records = [record(aid, received, provider_dept=provider, **answer)]
        known.add(aid)
    for engine, rt, forget in zip(engines, rts, (False, True), strict=True):
        poll(engine, rt, records, now, forget=forget)
    return now


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(plan=steps)
def test_skipping_an_unchanged_plan_leaves_the_outbox_as_planning_every_time(tmp_path, plan):
    folders = [tmp_path / f"s{len(list(tmp_path.iterdir()))}-{i}" for i in range(2)]
    engines, rts = [], []
    for folder in folders:
        folder.mkdir()
        engines.append(open_store(f"sqlite:///{folder / 'store.db'}"))
        rts.append(make_runtime(folder))
    try:
        now, known = START, set()
        for step in plan:
            now = apply(step, engines, rts, now, known)
            assert outbox(engines[0]) == outbox(engines[1]), step
    finally:
        for engine in engines:
            engine.dispose()


def test_an_idle_poll_skips_the_plan_and_a_change_plans_again(tmp_path, caplog):
    rt = make_runtime(tmp_path)
    engine = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    overdue = record("O1", O1_RECEIVED)  # overdue on 10-17
    try:
        with caplog.at_level(logging.DEBUG, logger="slamon.notices"):
            first = ingest_records(engine, rt, [overdue], at("2024-10-17 10:00"), plan=True)
            caplog.clear()
            idle = ingest_records(engine, rt, [], at("2024-10-17 10:05"), plan=True)
            skipped = "notify.plan_unchanged" in caplog.text
            exemptions.exempt(engine, rt, ["O1"], "已核实", "tester", at("2024-10-17 10:06"))
            caplog.clear()
            ingest_records(engine, rt, [], at("2024-10-17 10:10"), plan=True)
            after_exemption = "notify.plan_unchanged" in caplog.text
        assert first.planned >= 1 and idle.planned == 0
        assert skipped and not after_exemption
    finally:
        engine.dispose()


# Each input of the stamp on its own: a plan that planned nothing, then on the same sending day
# the one change after which a notice is due (that a skipped plan would miss), then the poll.
CENTRE = "省公共资源交易中心"


def _overdue(**kw):
    return record("O1", O1_RECEIVED, **kw)


def _revoked(engine, rt):
    ingest_records(engine, rt, [_overdue()], at("2024-10-16 10:00"))
    exemptions.exempt(engine, rt, ["O1"], "已核实", "tester", at("2024-10-16 11:00"))
    assert ingest_records(engine, rt, [], at("2024-10-17 10:00"), plan=True).planned == 0
    exemptions.revoke(engine, rt, ["O1"], "tester", at("2024-10-17 10:01"))
    return rt, [], CENTRE


def _later_one(engine, rt):
    """O1 noticed today; O2 of the same provider read after today's notice: it waits for
    tomorrow's (one notice a department a day), and the plan after it plans nothing."""
    ingest_records(engine, rt, [_overdue()], at("2024-10-17 10:00"), plan=True)
    o2 = record("O2", O1_RECEIVED)
    assert ingest_records(engine, rt, [o2], at("2024-10-17 10:01"), plan=True).planned == 0
    assert ingest_records(engine, rt, [], at("2024-10-17 10:02"), plan=True).planned == 0
    return o2


def _cleared(engine, rt):  # the same row again settles the doubt: no application changes
    ingest_records(engine, rt, [_overdue()], at("2024-10-16 10:00"))
    bad = dict(_overdue().as_dict(), decision="驳回", decided_at=None)
    rows = FetchResult(rows=[RawRow("r1", bad)])
    apply_fetch(engine, rt, "test", rows, at("2024-10-17 10:00"), planner=default_planner())
    assert ingest_records(engine, rt, [], at("2024-10-17 10:01"), plan=True).planned == 0
    return rt, [_overdue()], CENTRE


def _repeat_sooner(engine, rt):
    ingest_records(engine, rt, [_overdue()], at("2024-10-17 10:00"), plan=True)
    assert ingest_records(engine, rt, [], at("2024-10-18 10:00"), plan=True).planned == 0
    return make_runtime(rt.settings.base_dir, notify={"repeat_overdue_every": 1}), [], CENTRE


def _renamed(engine, rt):  # an alias renames the provider: no notice under that name today
    _later_one(engine, rt)
    renamed = make_runtime(rt.settings.base_dir, aliases={CENTRE: "贵州省公共资源交易中心"})
    return renamed, [], "贵州省公共资源交易中心"


@pytest.mark.parametrize("change", [_revoked, _cleared, _repeat_sooner, _renamed])
def test_a_change_of_what_decides_the_plan_plans_again(tmp_path, change):
    engine = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        rt, records, department = change(engine, make_runtime(tmp_path))
        before = {key for key, *_ in outbox(engine)}
        when = at("2024-10-18 10:05") if change is _repeat_sooner else at("2024-10-17 10:05")
        summary = ingest_records(engine, rt, records, when, plan=True)
        new = {key for key, *_ in outbox(engine)} - before
        assert summary.planned == len(new) >= 1
        assert any(key.startswith(f"{department}|notice|") for key in new), new
    finally:
        engine.dispose()
