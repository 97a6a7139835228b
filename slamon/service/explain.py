"""``slamon explain``: the evidence behind one application's verdict, day by day.

The record and every change slamon saw, the governing rule with its citation, which field started
the clock, each day from the receipt to the deadline (working days numbered, days off with their
reason), the answer, the working days late, the mail sent about it, and any exemption or data issue.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from slamon.adapters.store import applications, data_issues, evidence_queries
from slamon.core.errors import InputError
from slamon.core.evidence import WalkDay, verdict_sentence, walk
from slamon.core.formats import chinese_moment
from slamon.core.history import Answer, judged
from slamon.core.records import ApplicationRecord
from slamon.core.rules import Rule
from slamon.core.sla import SlaState, evaluate
from slamon.core.times import stored_utc
from slamon.core.vocabulary import (
    ANSWERED_LATE,
    DATA_ISSUE,
    DECISION_NAMES,
    FLAG_NAMES,
    OVERDUE,
    ROUND_REASON_NAMES,
    field_name,
)
from slamon.runtime import Runtime
from slamon.service.exemptions import ExemptionFact, active_exemptions, history

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

MAX_LATE_WALK_DAYS = 400  # an item open for years still explains in a readable page


def _open_data_issue(conn: Connection, application_id: str) -> dict[str, Any] | None:
    """The open data issue (数据存疑) of the application, if any."""
    hit = data_issues.open_issues(conn, [application_id]).get(application_id)
    if hit is None:
        return None
    code, detail, since = hit
    return {"reason_code": code, "detail": detail, "since": since}


@dataclass
class Evidence:
    application_id: str
    now: dt.datetime
    tz: dt.tzinfo
    record: ApplicationRecord
    state: SlaState
    events: list[dict[str, Any]] = field(default_factory=list)
    rule: Rule | None = None
    clock_field: str | None = None  # the field that started the clock (SlaState.start_event)
    days: list[WalkDay] = field(default_factory=list)
    mail: list[dict[str, Any]] = field(default_factory=list)
    exemption: ExemptionFact | None = None
    exemption_history: list[ExemptionFact] = field(default_factory=list)
    data_issue: dict[str, Any] | None = None
    walk_truncated: bool = False
    rejections: list[dict[str, Any]] = field(default_factory=list)  # later rows refused

    @property
    def stage(self) -> str:
        """The verdict's stage: ``data_issue`` while the record is doubtful (the walk still shows
        what the record as it stands would give: ``computed_stage``)."""
        return DATA_ISSUE if self.data_issue is not None else self.state.stage

    @property
    def clock_start(self) -> dt.datetime | None:
        """Where the engine started the answer clock (a new round's estimate, too)."""
        return self.state.started_at

    @property
    def verdict(self) -> str:
        """The verdict as the engine computed it, in THE wording (core/evidence)."""
        s = self.state
        answered = self.judged.decided_at
        days = s.overdue_working_days
        return verdict_sentence(s.stage, s.deadline, answered, self.now, days, self.tz)

    @property
    def judged(self) -> ApplicationRecord:
        """The record as the verdict judges it: the first answer slamon stored (core/history)."""
        return judged(self.record)

    @property
    def history_notes(self) -> list[str]:
        """What slamon remembers that the platform no longer shows, one sentence each."""
        h, tz = self.record.history, self.tz
        if h is None:
            return []
        out = []
        if h.answer is not None and h.changed is not None:
            out.append(
                f"slamon 首次记录的答复：{_answer_text(h.answer, tz)}；平台后来显示："
                f"{_answer_text(h.changed, tz)}。按首次记录的答复判定，改动请人工核实。"
            )
        if h.restart is not None:
            why = ROUND_REASON_NAMES.get(h.restart_reason or "", h.restart_reason or "")
            before = f"（原提供部门：{h.previous_provider}）" if h.previous_provider else ""
            out.append(
                f"新一轮计时：{why}{before}，平台未更新收到时间，按 slamon 发现时间"
                f" {chinese_moment(h.restart, tz)} 起算（估计，不早于实际时间）。"
            )
        if h.previous is not None:
            out.append(f"上一轮的答复：{_answer_text(h.previous, tz)}。")
        return out

    @property
    def extended_by(self) -> int:
        return int(getattr(self.state, "extended_by", 0) or 0)

    @property
    def working_days(self) -> int | None:
        if self.rule is None:
            return None
        return self.rule.limit_for(self.record.share_type)

    def _iso(self, v: dt.datetime | None) -> str | None:
        return None if v is None else v.astimezone(self.tz).isoformat(timespec="seconds")

    def as_json(self) -> dict[str, Any]:
        r, s = self.record, self.state
        rule = self.rule
        return {
            "application_id": self.application_id,
            "now": self._iso(self.now),
            "record": {
                k: (self._iso(v) if isinstance(v, dt.datetime) else v)
                for k, v in r.as_dict().items()
            },
            "events": [
                {
                    "observed_at": self._iso(stored_utc(e["observed_at"])),
                    "kind": e["kind"],
                    "changes": e["changes"],
                }
                for e in self.events
            ],
            "rule": None
            if rule is None
            else {
                "id": rule.id,
                "title": rule.title,
                "instrument": rule.instrument,
                "article": rule.article,
                "citation": rule.citation,
                "working_days": self.working_days,
                "start_day_excluded": rule.start_day_excluded,
                "ends_at": rule.ends_at.strftime("%H:%M") if rule.ends_at else "24:00",
            },
            "flags": [{"code": f, "name": FLAG_NAMES.get(f, f)} for f in s.flags],
            "history": self.history_notes,
            "issue": s.issue,
            "clock_field": self.clock_field,
            "clock_start": self._iso(self.clock_start),
            "days": [d.as_json() for d in self.days],
            "walk_truncated": self.walk_truncated,
            "deadline": self._iso(s.deadline),
            "deadline_date": s.deadline_date.isoformat() if s.deadline_date else None,
            "extended_by": self.extended_by,
            "calendar_official": s.calendar_official,
            "stage": self.stage,
            "computed_stage": s.stage,
            "decision": self.judged.decision,
            "decided_at": self._iso(self.judged.decided_at),
            "overdue_working_days": s.overdue_working_days,
            "answer_working_days": s.answer_working_days,
            "notices": [
                {
                    "id": m["id"],
                    "kind": m["kind"],
                    "department": m["department"],
                    "working_day": _date_iso(m["working_day"]),
                    "status": m["status"],
                    "sent_at": self._iso(stored_utc(m["sent_at"])) if m["sent_at"] else None,
                    "subject": m["subject"],
                    "recipients": m["recipients"],
                    "item_kind": m["item"].get("kind"),
                }
                for m in self.mail
            ],
            "exempted": self.exemption is not None,
            "exemption": None if self.exemption is None else self.exemption.as_json(self.tz),
            "exemption_history": [f.as_json(self.tz) for f in self.exemption_history],
            "rejected_rows": _rejections_json(self.rejections, self.tz),
            "data_issue": None
            if self.data_issue is None
            else {
                "reason_code": self.data_issue["reason_code"],
                "detail": self.data_issue["detail"],
                "since": self._iso(stored_utc(self.data_issue["since"]))
                if isinstance(self.data_issue["since"], dt.datetime)
                else self.data_issue["since"],
            },
        }


@dataclass
class RejectedEvidence:
    """An id the store holds only as rejected rows: no record and no verdict, only which row of
    which source and read was refused, on which field, and why."""

    application_id: str
    now: dt.datetime
    tz: dt.tzinfo
    rejections: list[dict[str, Any]]

    def sentence(self) -> str:
        """One line: the id was never stored, and the latest rejected row's field and reason."""
        r = self.rejections[0]
        more = f"等 {len(self.rejections)} 行" if len(self.rejections) > 1 else ""
        return (
            f"申请 {self.application_id} 未入库：数据源 {r['source']} 的{r['row_ref']}{more}被拒绝"
            f"（{field_name(r['field'])}：{r['message']}）"
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "application_id": self.application_id,
            "stored": False,
            "rejected_rows": _rejections_json(self.rejections, self.tz),
        }


def _rejections_json(rows: list[dict[str, Any]], tz: dt.tzinfo) -> list[dict[str, Any]]:
    def iso(v: dt.datetime | None) -> str | None:
        return None if v is None else stored_utc(v).astimezone(tz).isoformat(timespec="seconds")

    return [
        {
            "source": r["source"],
            "row": r["row_ref"],
            "field": r["field"],
            "reason": r["message"],
            "first_seen_at": iso(r["first_seen_at"]),
            "last_seen_at": iso(r["last_seen_at"]),
            "poll_run_id": r["poll_run_id"],
            "read_started_at": iso(r["run_started_at"]),
            "settled": r["settled_at"] is not None,
        }
        for r in rows
    ]


def _answer_text(a: Answer, tz: dt.tzinfo) -> str:
    name = DECISION_NAMES.get(a.decision, a.decision)
    return name if a.decided_at is None else f"{name}（{chinese_moment(a.decided_at, tz)}）"


def _date_iso(v: Any) -> str | None:
    return v.isoformat() if isinstance(v, dt.date) else v


def _walk(
    rt: Runtime, record: ApplicationRecord, state: SlaState, rule: Rule | None, now: dt.datetime
):
    record = judged(record)
    start = state.started_at
    if start is None or state.deadline_date is None or rule is None:
        return [], False
    tz = rt.tz
    until: dt.date | None = None
    if state.stage == ANSWERED_LATE and record.decided_at is not None:
        until = record.decided_at.astimezone(tz).date()
    elif state.stage == OVERDUE:
        until = now.astimezone(tz).date()
    truncated = False
    if until is not None and (until - state.deadline_date).days > MAX_LATE_WALK_DAYS:
        until, truncated = state.deadline_date + dt.timedelta(days=MAX_LATE_WALK_DAYS), True
    days = walk(
        start.astimezone(tz).date(),
        state.deadline_date,
        rt.calendar,
        start_day_excluded=rule.start_day_excluded,
        until=until,
    )
    return days, truncated


def explain(
    engine: Engine, rt: Runtime, application_id: str, now: dt.datetime
) -> Evidence | RejectedEvidence:
    """The evidence for one application's verdict at ``now``; for an id only rejected rows
    carry, why they were rejected; InputError for an id the store has never seen."""
    aid = application_id.strip()
    with engine.connect() as conn:
        record = applications.load_records(conn, [aid]).get(aid)
        rejections = evidence_queries.rejections_of(conn, aid)
        if record is None and rejections:
            return RejectedEvidence(aid, now, rt.tz, rejections)
        if record is None:
            raise InputError(f"存储库中没有申请 {aid}")
        events = evidence_queries.events_of(conn, aid)
        mail = evidence_queries.mail_about(conn, aid)
        exemption = active_exemptions(conn).get(aid)
        facts = history(conn, aid)
        issue = _open_data_issue(conn, aid)
    state = evaluate(record, now, rt.rules, rt.calendar, rt.tz)
    rule = rt.rules.get(state.rule_id) if state.rule_id else None
    days, truncated = _walk(rt, record, state, rule, now)
    return Evidence(
        application_id=aid,
        now=now,
        tz=rt.tz,
        record=record,
        state=state,
        events=events,
        rule=rule,
        clock_field=state.start_event,
        days=days,
        mail=mail,
        exemption=exemption,
        exemption_history=facts,
        data_issue=issue,
        walk_truncated=truncated,
        rejections=rejections,
    )
