"""Property: whatever sequence of updates an application goes through, once slamon stored an
on-time answer the application is never late — unless a new round of the clock began after it
(a 退回 resubmitted, a 转办, a new 收到时间), which is a new clock with its own deadline.

Pure core (core/history.observe, as the poll calls it for each changed record, then
core/sla.evaluate) against the official 2024–2025 calendar.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st
from storehelpers import REPO_ROOT, make_runtime

from slamon.core.history import History, observe
from slamon.core.records import ApplicationRecord
from slamon.core.sla import evaluate

RT = make_runtime(REPO_ROOT)  # guizhou-2023, the official calendar
TZ, CAL, RULES = RT.tz, RT.calendar, RT.rules
START = dt.datetime(2024, 12, 2, 10, 0, tzinfo=TZ)
LATE = ("overdue", "answered_late")

step = st.tuples(
    st.integers(min_value=1, max_value=72),  # hours until slamon sees the next state
    st.sampled_from(["pending", "approved", "rejected", "returned", "withdrawn"]),
    st.integers(min_value=0, max_value=48),  # the answer was this many hours before it was seen
    st.booleans(),  # the platform renews the 收到时间
    st.booleans(),  # the platform moves it to another provider
    st.booleans(),  # the row carries an updated_at
)


def _first() -> ApplicationRecord:
    return ApplicationRecord(
        application_id="P1",
        applicant_dept="省税务局",
        provider_dept="省公共资源交易中心",
        resource_name="工程类_招标项目",
        share_type="conditional",
        submitted_at=START - dt.timedelta(hours=1),
        review_status="passed",
        reviewed_at=START - dt.timedelta(minutes=30),
        received_at=START,
        updated_at=START,
    )


def _next(r: ApplicationRecord, now: dt.datetime, s: tuple) -> ApplicationRecord:  # noqa: ANN001
    _hours, decision, before, renew, move, stamped = s
    received = now - dt.timedelta(minutes=5) if renew else r.received_at
    assert received is not None
    decided = None if decision == "pending" else max(received, now - dt.timedelta(hours=before))
    return dataclasses.replace(
        r,
        received_at=received,
        decision=decision,
        decided_at=decided,
        provider_dept="省公安厅" if move else r.provider_dept,
        updated_at=now - dt.timedelta(minutes=1) if stamped else None,
    )


def _round(r: ApplicationRecord, h: History | None) -> tuple:  # noqa: ANN001
    """What identifies the clock's round: a new one begins when any of these changes."""
    return (
        r.received_at,
        h.restart if h else None,
        h.previous if h else None,
    )


@settings(max_examples=500, deadline=None)
@given(st.lists(step, min_size=1, max_size=12))
def test_an_on_time_answer_once_stored_is_never_late_in_its_round(steps: list[tuple]) -> None:
    r, h, now = _first(), None, START
    protected_round = None
    for s in steps:
        now = now + dt.timedelta(hours=s[0])
        new = _next(r, now, s)
        if new != r:  # the poll stores (and observes) changed records only
            h = observe(r, new, h, now)
            r = new
        state = evaluate(dataclasses.replace(r, history=h), now, RULES, CAL, TZ)
        current = _round(r, h)
        if protected_round is not None and current == protected_round:
            assert state.stage not in LATE, (state, h)
        if state.stage == "answered_on_time" and protected_round != current:
            protected_round = current
