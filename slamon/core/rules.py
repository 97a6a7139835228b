"""Legal time-limit rules as data: one validated YAML file per rule under ``rules/``.

A rule's id is its file stem. See ``rules/guizhou-2023.yaml`` for a documented example.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from slamon.core.errors import RuleError
from slamon.core.times import yaml_date
from slamon.core.vocabulary import ANSWERS, RETURNED, SHARE_TYPES

EVENTS = ("submitted_at", "reviewed_at", "received_at", "decided_at")
_TIME_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


_TOP_KEYS = {
    "title",
    "instrument",
    "article",
    "citation",
    "effective_from",
    "effective_until",
    "share_types",
    "working_days",
    "clock",
    "counting",
    "due_soon_working_days",
    "extension",
    "stages",
}


@dataclass(frozen=True)
class Stage:
    """One counted period: from ``start`` (or ``fallback``) to ``stop``, within a working-day limit."""

    id: str
    name: str
    start: str
    fallback: str | None
    stop: str
    working_days: Mapping[str, int]  # share_type -> limit
    party: str | None = (
        None  # who must act in an earlier stage (e.g. 数据主管部门); None = provider
    )


@dataclass(frozen=True)
class Extension:
    max_working_days: int
    approver: str


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    instrument: str
    article: str | None
    citation: str
    effective_from: dt.date
    effective_until: dt.date | None
    stages: tuple[Stage, ...]  # the last one is the provider's answer, stopped by decided_at
    ends_at: dt.time | None  # None = 24:00 (民法典 art. 203); else close of business
    start_day_excluded: bool
    due_soon_working_days: int
    extension: Extension | None
    path: str
    returned_is_answer: bool = True  # clock.returned: answer (退回 stops the clock) / open
    # clock.received_before_review: a 收到时间 on a day before the review passed is held as a
    # data issue (hold), or the clock counts from the review (review).
    received_before_review: str = "hold"

    def answered(self, decision: str) -> bool:
        """Whether a decision is the provider's answer that stops the clock under this rule."""
        return decision in ANSWERS or (decision == RETURNED and self.returned_is_answer)

    @property
    def answer_stage(self) -> Stage:
        return self.stages[-1]

    @property
    def share_types(self) -> tuple[str, ...]:
        return tuple(t for t in SHARE_TYPES if t in self.answer_stage.working_days)

    def limit_for(self, share_type: str) -> int | None:
        return self.answer_stage.working_days.get(share_type)

    def applies_to(self, share_type: str, on: dt.date) -> bool:
        if share_type not in self.answer_stage.working_days:
            return False
        return self.in_force(on)

    def covers(self, share_type: str, on: dt.date) -> bool:
        """Some stage of the rule (not necessarily the answer) limits ``share_type`` on ``on``."""
        return any(share_type in s.working_days for s in self.stages) and self.in_force(on)

    def in_force(self, on: dt.date) -> bool:
        if on < self.effective_from:
            return False
        return self.effective_until is None or on <= self.effective_until

    def fingerprint_item(self) -> str:
        stages = ";".join(
            f"{s.id}:{s.start}:{s.fallback}:{s.stop}:{sorted(s.working_days.items())}"
            for s in self.stages
        )
        return (
            f"{self.id}|{self.effective_from}|{self.effective_until}|{stages}|{self.ends_at}"
            f"|{self.start_day_excluded}|{self.due_soon_working_days}|{self.returned_is_answer}"
            f"|{self.received_before_review}"
        )


class _Checker:
    """Collects the location (file, rule, field) for one-line error messages."""

    def __init__(self, path: str, rule_id: str) -> None:
        self.path, self.rule_id = path, rule_id

    def fail(self, field: str, message: str) -> RuleError:
        return RuleError(message, path=self.path, rule=self.rule_id, field=field)

    def text(self, data: Mapping[str, Any], key: str, required: bool = True) -> str | None:
        value = data.get(key)
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, "应为非空文本")
        return value.strip()

    def date(self, data: Mapping[str, Any], key: str, required: bool = True) -> dt.date | None:
        value = data.get(key)
        if value is None and not required:
            return None
        day = yaml_date(value) if not isinstance(value, dt.datetime) else None
        if day is not None:
            return day
        raise self.fail(key, f"应为日期 YYYY-MM-DD，得到 {value!r}")

    def count(self, value: Any, field: str, minimum: int) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            raise self.fail(field, f"应为不小于 {minimum} 的整数，得到 {value!r}")
        return value

    def event(self, value: Any, field: str) -> str:
        if value not in EVENTS:
            raise self.fail(field, f"应为 {' / '.join(EVENTS)} 之一，得到 {value!r}")
        return value

    def limits(self, data: Mapping[str, Any], field: str, share_types: Any) -> dict[str, int]:
        value = data.get("working_days")
        if isinstance(value, Mapping):
            limits = {}
            for key, n in value.items():
                if key not in SHARE_TYPES:
                    raise self.fail(f"{field}.{key}", "共享类型应为 conditional 或 unconditional")
                limits[key] = self.count(n, f"{field}.{key}", 1)
            if not limits:
                raise self.fail(field, "至少为一种共享类型规定时限")
            return limits
        n = self.count(value, field, 1)
        if share_types is None:
            raise self.fail("share_types", "working_days 为单个数字时须写明适用的共享类型")
        if not isinstance(share_types, list) or not share_types:
            raise self.fail("share_types", "应为非空列表")
        for t in share_types:
            if t not in SHARE_TYPES:
                raise self.fail(
                    "share_types", f"未知的共享类型 {t!r}（conditional / unconditional）"
                )
        return {t: n for t in share_types}


def parse_rule(data: Any, rule_id: str, path: str) -> Rule:
    """Validate one rule's parsed YAML; errors name the file, the rule and the field.

    The sections are checked in a fixed order (top-level keys, clock, counting's shape, stages,
    counting's values, extension, effective dates, then the remaining top-level fields), so the
    first error reported does not depend on the file's key order."""
    c = _Checker(path, rule_id)
    _check_top_keys(c, data)
    clock = _section(c, data, "clock", "应为映射（start、fallback、stop）")
    returned, early = _clock_options(c, clock)
    counting = _section(c, data, "counting", "应为映射（start_day、ends_at）")
    stages = _stages(c, data, clock)
    start_day_excluded, ends_at = _counting(c, counting)
    extension = _extension(c, data.get("extension"))
    effective_from, effective_until = _effective_dates(c, data)
    return Rule(
        id=rule_id,
        title=c.text(data, "title") or "",
        instrument=c.text(data, "instrument") or "",
        article=c.text(data, "article", required=False),
        citation=c.text(data, "citation") or "",
        effective_from=effective_from,  # type: ignore[arg-type]
        effective_until=effective_until,
        stages=stages,
        ends_at=ends_at,
        start_day_excluded=start_day_excluded,
        due_soon_working_days=c.count(
            data.get("due_soon_working_days", 1), "due_soon_working_days", 0
        ),
        extension=extension,
        path=path,
        returned_is_answer=returned == "answer",
        received_before_review=early,
    )


def _check_top_keys(c: _Checker, data: Any) -> None:
    if not isinstance(data, dict):
        raise c.fail("(整个文件)", "内容应为一个映射")
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise c.fail(", ".join(sorted(map(str, unknown))), "未知字段")


def _section(c: _Checker, data: Mapping[str, Any], key: str, message: str) -> dict[str, Any]:
    """An optional mapping section (absent or empty: ``{}``)."""
    value = data.get(key) or {}
    if not isinstance(value, dict):
        raise c.fail(key, message)
    return value


def _clock_options(c: _Checker, clock: Mapping[str, Any]) -> tuple[str, str]:
    """``clock.returned`` and ``clock.received_before_review``, with their defaults."""
    returned = clock.get("returned", "answer")
    if returned not in ("answer", "open"):
        raise c.fail(
            "clock.returned", f"应为 answer（退回即答复）或 open（继续计时），得到 {returned!r}"
        )
    early = clock.get("received_before_review", "hold")
    if early not in ("hold", "review"):
        raise c.fail(
            "clock.received_before_review",
            f"应为 hold（作为数据存疑暂不判定）或 review（按审核通过时间起算），得到 {early!r}",
        )
    return returned, early


def _stages(c: _Checker, data: Mapping[str, Any], clock: Mapping[str, Any]) -> tuple[Stage, ...]:
    """The ``stages`` list, or the single answer stage the ``clock`` section describes."""
    raw_stages = data.get("stages")
    if raw_stages is None:
        stages = [_clock_stage(c, data, clock)]
    elif not isinstance(raw_stages, list) or not raw_stages:
        raise c.fail("stages", "应为非空列表")
    else:
        stages = [_stage(c, data, s, f"stages[{i}]") for i, s in enumerate(raw_stages)]
    if stages[-1].stop != "decided_at":
        raise c.fail("stages", "最后一个阶段应以 decided_at（提供方答复）结束")
    return tuple(stages)


def _stage(c: _Checker, data: Mapping[str, Any], s: Any, f: str) -> Stage:
    """One entry of ``stages``; its share types default to the rule's."""
    if not isinstance(s, dict):
        raise c.fail(f, "应为映射")
    return Stage(
        id=c.text(s, "id") or "",
        name=c.text(s, "name") or "",
        start=c.event(s.get("start"), f"{f}.start"),
        fallback=c.event(s["fallback"], f"{f}.fallback") if s.get("fallback") else None,
        stop=c.event(s.get("stop"), f"{f}.stop"),
        working_days=c.limits(
            s, f"{f}.working_days", s.get("share_types", data.get("share_types"))
        ),
        party=c.text(s, "party", required=False),
    )


def _clock_stage(c: _Checker, data: Mapping[str, Any], clock: Mapping[str, Any]) -> Stage:
    """A rule without ``stages``: one answer stage from ``clock`` and the top-level limits."""
    fallback = clock.get("fallback", "reviewed_at")
    return Stage(
        id="answer",
        name="数据提供方答复",
        start=c.event(clock.get("start", "received_at"), "clock.start"),
        fallback=c.event(fallback, "clock.fallback") if fallback is not None else None,
        stop=c.event(clock.get("stop", "decided_at"), "clock.stop"),
        working_days=c.limits(data, "working_days", data.get("share_types")),
    )


def _counting(c: _Checker, counting: Mapping[str, Any]) -> tuple[bool, dt.time | None]:
    """Whether the start day is excluded, and the time a day ends (None = 24:00)."""
    start_day = counting.get("start_day", "excluded")
    if start_day not in ("excluded", "included"):
        raise c.fail("counting.start_day", "应为 excluded（民法典第二百零一条）或 included")
    ends_raw = counting.get("ends_at", "24:00")
    if ends_raw == "24:00":
        return start_day == "excluded", None
    if not isinstance(ends_raw, str) or not _TIME_RE.match(ends_raw):
        raise c.fail("counting.ends_at", f"应为 24:00 或下班时间 HH:MM，得到 {ends_raw!r}")
    return start_day == "excluded", dt.time.fromisoformat(ends_raw)


def _extension(c: _Checker, raw_ext: Any) -> Extension | None:
    if raw_ext is None:
        return None
    if not isinstance(raw_ext, dict):
        raise c.fail("extension", "应为映射（max_working_days、approver）")
    return Extension(
        max_working_days=c.count(raw_ext.get("max_working_days"), "extension.max_working_days", 1),
        approver=c.text(raw_ext, "approver") or "",
    )


def _effective_dates(c: _Checker, data: Mapping[str, Any]) -> tuple[dt.date | None, dt.date | None]:
    effective_from = c.date(data, "effective_from")
    effective_until = c.date(data, "effective_until", required=False)
    if effective_until is not None and effective_from and effective_until < effective_from:
        raise c.fail("effective_until", "早于 effective_from")
    return effective_from, effective_until


@dataclass(frozen=True)
class RuleSet:
    """All loaded rules and the ids of the active ones, in configured order."""

    rules: Mapping[str, Rule]
    active_ids: tuple[str, ...]

    def __post_init__(self) -> None:
        for rid in self.active_ids:
            self.get(rid)

    def get(self, rule_id: str) -> Rule:
        try:
            return self.rules[rule_id]
        except KeyError:
            known = "、".join(sorted(self.rules)) or "无"
            raise RuleError(f"未知规则 {rule_id!r}（已加载：{known}）") from None

    @cached_property
    def active(self) -> tuple[Rule, ...]:
        return tuple(self.rules[r] for r in self.active_ids)

    def applicable(
        self, share_type: str, on: dt.date, only: Iterable[str] | None = None
    ) -> list[Rule]:
        chosen = [self.get(r) for r in only] if only is not None else self.active
        return [r for r in chosen if r.applies_to(share_type, on)]

    def bound_share_types(self) -> tuple[str, ...]:
        """The share types some stage of an active rule limits."""
        bound = {t for r in self.active for s in r.stages for t in s.working_days}
        return tuple(t for t in SHARE_TYPES if t in bound)

    def fingerprint_items(self) -> Iterable[str]:
        yield "active:" + ",".join(self.active_ids)
        for rule in self.active:
            yield rule.fingerprint_item()
