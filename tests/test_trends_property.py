"""Property: the one-pass history (core/trends.monthly_history) equals, month by month, the
monthly report's own figures (core/report_figures.monthly_figures) over every record, with
held, exempted and withdrawn applications, rewritten answers, open and late ones, and months
still running."""

from __future__ import annotations

import dataclasses
import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reporthelpers import TZ, at

from slamon.core.history import Answer, History
from slamon.core.periods import Month
from slamon.core.records import ApplicationRecord
from slamon.core.report_figures import monthly_figures
from slamon.core.trends import dept_months, monthly_history

MONTHS = [Month(2024, 9), Month(2024, 10), Month(2024, 11), Month(2024, 12), Month(2025, 1)]
DAYS = [dt.date(2024, 8, 20) + dt.timedelta(days=i) for i in range(160)]

app = st.fixed_dictionaries(
    {
        "day": st.sampled_from(DAYS),
        "provider": st.sampled_from(["甲", "乙", "丙"]),
        "share_type": st.sampled_from(["conditional", "conditional", "unconditional"]),
        "review": st.sampled_from(["passed", "passed", "passed", "rejected", "pending"]),
        "answer_after": st.none() | st.integers(0, 70),
        "decision": st.sampled_from(["approved", "rejected", "withdrawn", "returned"]),
        "fate": st.sampled_from(
            ["plain"] * 6 + ["held", "exempt", "rewritten", "rewritten_earlier"]
        ),
    }
)


def _record(i: int, a: dict) -> ApplicationRecord:
    received = at(a["day"], 10)
    reviewed = received if a["review"] != "pending" else None
    decided = None if a["answer_after"] is None else received + dt.timedelta(days=a["answer_after"])
    answerable = a["review"] == "passed" or a["share_type"] == "unconditional"
    r = ApplicationRecord(
        application_id=f"A{i:04d}",
        applicant_dept="省税务局",
        provider_dept=a["provider"],
        resource_name="资源",
        share_type=a["share_type"],
        submitted_at=received - dt.timedelta(hours=2),
        review_status=a["review"] if a["share_type"] == "conditional" else "pending",
        reviewed_at=reviewed if a["share_type"] == "conditional" else None,
        received_at=received
        if a["review"] == "passed" or a["share_type"] != "conditional"
        else None,
        decision=a["decision"] if decided is not None and answerable else "pending",
        decided_at=decided if answerable else None,
    )
    if a["fate"].startswith("rewritten") and r.decided_at is not None:  # the first answer stands
        shift = dt.timedelta(days=-40 if a["fate"] == "rewritten_earlier" else 40)
        later = r.decided_at + shift
        h = History(answer=Answer(r.decision, r.decided_at), changed=Answer(r.decision, later))
        r = dataclasses.replace(r, decided_at=later, history=h)
    return r


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(apps=st.lists(app, min_size=1, max_size=40), now_day=st.sampled_from(DAYS[40:] + [None]))
def test_one_pass_equals_each_months_figures(apps, now_day, ruleset, calendar) -> None:
    records = [_record(i, a) for i, a in enumerate(apps)]
    held = {r.application_id for r, a in zip(records, apps, strict=True) if a["fate"] == "held"}
    exempt = {r.application_id for r, a in zip(records, apps, strict=True) if a["fate"] == "exempt"}
    now = at(now_day, 15) if now_day is not None else at(dt.date(2025, 3, 1))
    months = [m for m in MONTHS if m.start(TZ) <= now]
    got = monthly_history(records, months, now, ruleset, calendar, TZ, held, exempt)
    for trend in got:
        f = monthly_figures(records, trend.month, trend.as_of, ruleset, calendar, TZ, held, exempt)
        assert (trend.departments, trend.province) == dept_months(f), trend.month
        assert trend.as_of == min(trend.month.end(TZ), now)
