"""What a report rests on, pure: the last successful read, rejected rows, data issues, exemptions,
withdrawn applications, unknown department names, and the warnings that go with them.

A report that sounds sure when its data is thin is a false accusation waiting to happen: the
note says what was left out and why, and the warnings say when the figures cannot be relied on.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from slamon.core.formats import chinese_date, chinese_moment
from slamon.core.vocabulary import CALENDAR_NOTE, CALENDAR_UNOFFICIAL, FLAG_NAMES

if TYPE_CHECKING:
    from slamon.core.feedback import FeedbackRound


@dataclass(frozen=True)
class ExemptedEntry:
    """An exempted application (核实排除) and the fact that exempted it."""

    application_id: str
    provider_dept: str
    resource_name: str
    reason: str
    by: str
    at: dt.datetime
    left_out: bool = False  # True: it would otherwise be in the report's late list

    def as_json(self, tz: dt.tzinfo) -> dict[str, object]:
        return {
            "application_id": self.application_id,
            "provider_dept": self.provider_dept,
            "resource_name": self.resource_name,
            "reason": self.reason,
            "by": self.by,
            "at": self.at.astimezone(tz).isoformat(timespec="seconds"),
            "left_out_of_late": self.left_out,
        }


@dataclass(frozen=True)
class UnknownDepartment:
    name: str  # as written in the data
    suggestion: str | None  # the known name it is probably meant to be
    applications: int = 0
    in_data: bool = False  # the suggestion is another name in the data, not a configured one

    def as_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "suggestion": self.suggestion,
            "applications": self.applications,
            "in_data": self.in_data,
        }

    def sentence(self) -> str:
        if self.in_data:
            return (
                f"“{self.name}”（{self.applications}件）与“{self.suggestion}”疑为同一部门的不同写法"
                "（可在 aliases 中合并）"
            )
        hint = f"，疑为“{self.suggestion}”" if self.suggestion else ""
        return f"“{self.name}”（{self.applications}件）不在已知部门名单中{hint}"


def conflicting_ids(ids: Iterable[str]) -> tuple[tuple[str, ...], ...]:
    """Groups of distinct application ids that are one id after folding widths (NFKC) and case
    (NC001, nc001, ＮＣ００１): most likely one application entered twice."""
    groups: dict[str, list[str]] = {}
    for aid in ids:
        key = aid.upper() if aid.isascii() else unicodedata.normalize("NFKC", aid).casefold()
        groups.setdefault(key.casefold(), []).append(aid)
    return tuple(sorted(tuple(sorted(set(g))) for g in groups.values() if len(set(g)) > 1))


# -- warnings ----------------------------------------------------------------------------------
def as_of_warnings(
    as_of: dt.datetime,
    now: dt.datetime,
    last_read: dt.datetime | None,
    has_records: bool,
    period_label: str,
    tz: dt.tzinfo,
) -> list[str]:
    """Why figures as of ``as_of`` cannot be relied on (empty when they can)."""
    out: list[str] = []
    if as_of > now:
        out.append(
            f"统计截至时刻{chinese_moment(as_of, tz)}晚于当前时间{chinese_moment(now, tz)}："
            "尚未到期的申请被按该时刻推算为超期，不能作为通报依据。"
        )
    if last_read is None:
        out.append("尚未成功读取过平台数据：存储库中的记录可能不完整。")
    elif as_of > last_read:
        out.append(
            f"统计截至时刻晚于最后一次成功读取平台数据（{chinese_moment(last_read, tz)}）："
            "此后的审批未能计入，部分申请可能被误计为超期。"
        )
    if not has_records:
        out.append(f"存储库中没有{period_label}的申请记录：本期数字为零不代表实际没有申请。")
    return out


@dataclass(frozen=True)
class DataQuality:
    last_read: dt.datetime | None
    rejected_rows: int = 0
    data_issues: int = 0
    withdrawn: int = 0
    exemptions: tuple[ExemptedEntry, ...] = ()
    unknown_departments: tuple[UnknownDepartment, ...] = ()
    warnings: tuple[str, ...] = field(default=())
    # (flag, applications): doubtful data judged by the rule (vocabulary FLAG_NAMES)
    flagged: tuple[tuple[str, int], ...] = ()
    unofficial: int = 0  # applications whose deadline was reckoned on an estimated calendar
    id_conflicts: tuple[tuple[str, ...], ...] = ()  # ids equal but for width or case
    feedback: FeedbackRound | None = None  # the month's 核实 round, when one was run

    @staticmethod
    def from_flags(pairs: Iterable[tuple[str, str]]) -> dict[str, object]:
        """``flagged`` and ``unofficial`` from (application_id, flag) pairs (FLAG_NAMES order)."""
        ids: dict[str, set[str]] = {}
        for aid, flag in pairs:
            ids.setdefault(flag, set()).add(aid)
        return {
            "flagged": tuple((f, len(ids[f])) for f in FLAG_NAMES if f in ids),
            "unofficial": len(ids.get(CALENDAR_UNOFFICIAL, ())),
        }

    @property
    def exempted(self) -> int:
        return len(self.exemptions)

    def as_json(self, tz: dt.tzinfo) -> dict[str, object]:
        """docs/CONTRACT.md §2 keys first (counts), then the lists behind them."""
        return {
            "last_read": None
            if self.last_read is None
            else self.last_read.astimezone(tz).isoformat(timespec="seconds"),
            "rejected_rows": self.rejected_rows,
            "data_issues": self.data_issues,
            "exempted": self.exempted,
            "withdrawn": self.withdrawn,
            "exemptions": [e.as_json(tz) for e in self.exemptions],
            "unknown_departments": [u.as_json() for u in self.unknown_departments],
            "warnings": list(self.warnings),
            "flagged": {f: n for f, n in self.flagged},
            "calendar_unofficial": self.unofficial,
            "id_conflicts": [list(g) for g in self.id_conflicts],
        }

    def note(self, tz: dt.tzinfo) -> str:
        """数据说明: one paragraph saying what the figures rest on and what was left out."""
        if self.last_read is None:
            read = "本期数字依据存储库中已有记录（尚无成功读取平台数据的记录）"
        else:
            read = f"本期数字依据截至{chinese_moment(self.last_read, tz)}成功读取的平台数据"
        parts = [read]
        parts.append(
            f"读取时被拒绝的记录{self.rejected_rows}行"
            if self.rejected_rows
            else "读取时没有被拒绝的记录"
        )
        if self.data_issues:
            parts.append(f"数据存疑的申请{self.data_issues}件暂不作判定")
        if self.withdrawn:
            parts.append(f"已撤回的申请{self.withdrawn}件不计时限")
        left_out = [e for e in self.exemptions if e.left_out]
        if self.exemptions:
            parts.append(
                f"经核实排除的申请{self.exempted}件（其中{len(left_out)}件未列入超期通报）"
                if left_out
                else f"经核实排除的申请{self.exempted}件"
            )
        text = "；".join(parts) + "。"
        if self.feedback is not None:
            text += self.feedback.sentence() + "。"
        if self.exemptions:
            text += "核实排除的申请及理由见附表。"
        if self.id_conflicts:
            shown = "；".join("／".join(g) for g in self.id_conflicts[:5])
            more = f"等{len(self.id_conflicts)}组" if len(self.id_conflicts) > 5 else ""
            text += f"申请编号仅大小写或全角半角不同，疑为同一申请重复录入：{shown}{more}，请核对。"
        if self.unofficial:
            text += f"{self.unofficial}件申请的{CALENDAR_NOTE}。"
        if self.flagged:
            text += (
                "以下申请的数据有疑点，已按规则判定，请核实："
                + "；".join(f"{FLAG_NAMES.get(f, f)}{n}件" for f, n in self.flagged)
                + "。"
            )
        if self.unknown_departments:
            text += (
                "部门名称疑有误："
                + "；".join(u.sentence() for u in self.unknown_departments)
                + "，请核对。"
            )
        return text

    def exemption_rows(self, tz: dt.tzinfo, compact: bool = False) -> list[tuple[str, ...]]:
        """序号, 提供部门, 资源名称, 申请编号, 排除理由, 核实人, 日期: the appendix rows
        (``compact``: the date as 2025-01-06)."""
        day = (lambda d: d.isoformat()) if compact else chinese_date
        return [
            (
                str(n),
                e.provider_dept,
                e.resource_name,
                e.application_id,
                e.reason,
                e.by,
                day(e.at.astimezone(tz).date()),
            )
            for n, e in enumerate(self.exemptions, start=1)
        ]


EXEMPTION_HEADERS = ("序号", "提供部门", "资源名称", "申请编号", "排除理由", "核实人", "核实日期")
