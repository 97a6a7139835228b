"""The monthly report's sentences, in the words of the information centre's own reports."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from slamon.core.data_quality import DataQuality
from slamon.core.report_figures import MIN_ANSWERS, TOP_N, LateProvider, MonthlyFigures
from slamon.core.rules import Rule, RuleSet
from slamon.core.trends import Comparison, Trends, on_time_rate
from slamon.core.vocabulary import (
    CONDITIONAL,
    SHARE_TYPE_NAMES,
)

_CN_COUNT = {1: "一", 2: "两", 3: "三"}

H1_OVERVIEW = "一、总体情况"
H2_DISPATCH = "（一）数据调度情况"
H1_SERVICE = "三、部门数据共享服务情况"
H2_TIMELINESS = "（一）数据申请响应情况"
H1_PROBLEMS = "六、存在问题"
REPORT_TITLE = "贵州省公共数据共享开放月报"


@dataclass(frozen=True)
class MonthlyReport:
    """The figures and the three sections' text, ready for any renderer."""

    figures: MonthlyFigures
    dispatch_text: str
    timeliness_text: str
    problems_text: str
    tz: dt.tzinfo
    quality: DataQuality | None = None  # what the figures rest on (数据说明)
    issued_on: dt.date | None = None  # the report's date (the date line, the DOCX's created)
    issuer: str | None = None  # 发文机关
    distribution: tuple[tuple[str, str], ...] = ()  # (报, 省大数据局), (送, …), (发, …)
    printed_by: str | None = None  # 印发机关
    trend: Trends | None = None  # the months up to this one: the appendix figure (report.charts)

    def as_json(self) -> dict[str, object]:
        """The ``report monthly --format json`` shape of docs/CONTRACT.md §2 (plus ``details`` per provider)."""
        f = self.figures
        return {
            "month": f.month.key,
            "as_of": f.as_of.astimezone(self.tz).isoformat(timespec="seconds"),
            "dispatch": f.dispatch.as_dict(),
            "timeliness_top": f.timeliness_top,
            "late": [g.as_dict(self.tz) for g in f.late],
            "problems_text": self.problems_text,
            "data_quality": None if self.quality is None else self.quality.as_json(self.tz),
            "feedback_round": self.feedback_json(),
        }

    def feedback_json(self) -> dict[str, object] | None:
        """The month's 核实 round (docs/CONTRACT.md §2), None when none was run."""
        fb = self.quality.feedback if self.quality is not None else None
        return None if fb is None else fb.as_json(self.tz)

    def sections(self, problems_only: bool = False) -> tuple[Section, ...]:
        """THE report's sections, in order: every renderer (text, Markdown, DOCX, web) follows
        this list; ``problems_only``: 存在问题 alone."""
        problems = Section("problems", H1_PROBLEMS, None, self.problems_text)
        if problems_only:
            return (problems,)
        return (
            Section("dispatch", H1_OVERVIEW, H2_DISPATCH, self.dispatch_text),
            Section("timeliness", H1_SERVICE, H2_TIMELINESS, self.timeliness_text),
            problems,
        )


@dataclass(frozen=True)
class Section:
    key: str  # dispatch / timeliness / problems (the web page's element ids)
    heading: str  # 一、总体情况 …
    subheading: str | None  # （一）数据调度情况 …
    text: str


def dispatch_sentence(f: MonthlyFigures) -> str:
    d = f.dispatch
    return (
        f"各部门通过省数据共享交换平台发起数据共享申请{d.applications}次"
        f"（有条件共享{d.conditional}次，无条件共享{d.unconditional}次）；"
        f"规范性审核{d.reviewed}次，未审核{d.unreviewed}次；"
        f"数据提供方审批{d.provider_decisions}次（审批通过{d.approved}次，驳回{d.rejected}次），"
        f"未审批{d.undecided}次"
        + (f"，退回补正{d.returned}次" if d.returned else "")
        + (f"，申请方撤回或作废{d.withdrawn}次" if d.withdrawn else "")
        + "。"
    )


def timeliness_sentence(f: MonthlyFigures) -> str:
    top = f.timeliness_top
    lead = "在数据申请审批工作中，"
    if len(top) >= TOP_N:
        return f"{lead}申请响应及时度排名前{_CN_COUNT[TOP_N]}的部门为{'、'.join(top)}。"
    if len(top) == 2:
        return (
            f"{lead}本月审批数据共享申请{MIN_ANSWERS}次及以上的部门仅有2个，"
            f"申请响应及时度排名依次为{'、'.join(top)}。"
        )
    if len(top) == 1:
        return f"{lead}本月审批数据共享申请{MIN_ANSWERS}次及以上的部门仅有{top[0]}，暂不进行申请响应及时度排名。"
    return f"{lead}本月没有部门审批数据共享申请达到{MIN_ANSWERS}次，暂不进行申请响应及时度排名。"


def citation_sentence(rule: Rule) -> str:
    article = rule.article or ""
    text = rule.citation if rule.citation.endswith(("。", "；")) else rule.citation + "。"
    return f"根据《{rule.title}》{article}规定，{text}"


def governing_rules(f: MonthlyFigures, rules: RuleSet) -> list[Rule]:
    """The rules the late applications fell under; when nobody is late, the active rules for
    conditional applications in force during the month."""
    if f.rule_ids:
        return [rules.get(r) for r in f.rule_ids]
    first, last = f.month.first_day, f.month.last_day
    return [
        r
        for r in rules.active
        if CONDITIONAL in r.share_types
        and r.effective_from <= last
        and (r.effective_until is None or r.effective_until >= first)
    ]


def quoted(resources: Sequence[str]) -> str:
    return "、".join(f"“{r}”" for r in resources)


def _late_span(days: Sequence[int]) -> str:
    lo, hi = min(days), max(days)
    if hi == 0:
        return "超过答复期限后"
    if lo == hi:
        return f"超期{hi}个工作日"
    if lo == 0:
        return f"最多超期{hi}个工作日"
    return f"超期{lo}至{hi}个工作日"


def _share_words(g: LateProvider) -> str:
    types = g.share_types
    return SHARE_TYPE_NAMES[types[0]] + "数据申请" if len(types) == 1 else "数据共享申请"


def provider_sentence(g: LateProvider) -> str:
    if g.stage is not None:  # an earlier stage of a staged rule, late on its own
        stopped = [i.overdue_working_days for i in g.answered_late]
        span = f"，{_late_span(stopped)}才完成" if stopped and not g.unanswered else ""
        return (
            f"{g.provider_dept}对{quoted(g.resources)}{_share_words(g)}的{g.stage_name}"
            f"未在规定时限内完成{span}。"
        )
    head = f"{g.provider_dept}在收到{quoted(g.resources)}{_share_words(g)}后，"
    unanswered, answered = g.unanswered, g.answered_late
    if not answered:
        return head + "未按时完成审批。"
    span = _late_span([i.overdue_working_days for i in answered])
    if not unanswered:
        return head + f"{span}才完成审批。"
    return (
        head + f"未按时完成审批，其中{len(unanswered)}件申请截至统计时仍未审批，"
        f"{len(answered)}件申请{span}才完成审批。"
    )


def streak_sentence(months: int) -> str:
    """A department named in 存在问题 for ``months`` consecutive months (≥ 2) up to this one."""
    return f"该部门已连续{months}个月未按时完成审批。" if months >= 2 else ""


def _pct(rate: float) -> str:
    return f"{rate * 100:.2f}%"


def change_sentence(current: float | None, previous: float | None) -> str:
    """环比: the province's on-time rate of answers against the month before ("" when either
    month had no answers or the month before is not known)."""
    if current is None or previous is None:
        return ""
    points = round((current - previous) * 100, 2)
    head = f"本月数据提供部门按时完成审批率为{_pct(current)}，"
    if points > 0:
        return head + f"较上月上升{points:.2f}个百分点。"
    if points < 0:
        return head + f"较上月下降{-points:.2f}个百分点。"
    return head + "与上月持平。"


def problems_paragraph(
    f: MonthlyFigures, rules: RuleSet, tz: dt.tzinfo, earlier: Comparison | None = None
) -> str:
    """六、存在问题: the governing rule(s), then one sentence per late provider (or nobody late);
    with ``earlier`` (the months before, from the history): a department late month after
    month is said to be, and the on-time rate is compared with the month before (环比)."""
    parts = [citation_sentence(r) for r in governing_rules(f, rules)]
    if f.late:
        told: set[str] = set()
        for g in f.late:
            parts.append(provider_sentence(g))
            if earlier is not None and g.provider_dept not in told:
                told.add(g.provider_dept)
                parts.append(streak_sentence(earlier.streak(g.provider_dept)))
    else:
        whole = f.as_of >= f.month.end(tz)
        parts.append(
            f"{'本月' if whole else '截至统计时，本月'}各数据提供部门均在规定时限内完成审批。"
        )
    if earlier is not None:
        parts.append(change_sentence(on_time_rate(f), earlier.previous_rate))
    return "".join(parts)


def build_report(
    f: MonthlyFigures, rules: RuleSet, tz: dt.tzinfo, earlier: Comparison | None = None
) -> MonthlyReport:
    return MonthlyReport(
        figures=f,
        dispatch_text=dispatch_sentence(f),
        timeliness_text=timeliness_sentence(f),
        problems_text=problems_paragraph(f, rules, tz, earlier),
        tz=tz,
    )
