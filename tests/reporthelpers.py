"""Records mirroring the December 2024 monthly report (CONTRACT §3) and a record maker, for the
report, digest and rendering tests."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from slamon.core.calendar import WorkCalendar
from slamon.core.periods import Month
from slamon.core.records import ApplicationRecord
from slamon.core.report_figures import monthly_figures

TZ = ZoneInfo("Asia/Shanghai")
DEC = Month(2024, 12)
PUB = "省公共资源交易中心"
PUB_RESOURCES = ("工程类_招标项目", "工程类-中标结果公告")
CITATION = (
    "根据《贵州省政务数据资源管理办法》规定，数据提供部门收到数据共享申请时，"
    "应自收到申请之日起5个工作日内予以答复。"
)
DECEMBER_PROBLEMS = CITATION + (
    "省公共资源交易中心在收到“工程类_招标项目”、“工程类-中标结果公告”有条件共享数据申请后，未按时完成审批。"
)
OTHERS = (
    "省公安厅",
    "省市场监管局",
    "省人力资源社会保障厅",
    "省税务局",
    "省民政厅",
    "省医疗保障局",
)
FAST = (("省水利厅", 9), ("省残联", 7), ("省中医药管理局", 5))


def at(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), TZ)


class Maker:
    """Builds records with the workflow's timestamps; answers ``k`` working days after receipt."""

    def __init__(self, calendar: WorkCalendar) -> None:
        self.cal = calendar
        self.n = 0

    def _id(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}{self.n:05d}"

    def conditional(
        self,
        provider: str,
        resource: str,
        received: dt.date,
        k: int | None = None,
        decision: str = "approved",
        *,
        hour: int = 10,
        prefix: str = "SQ",
        applicant: str = "省政务服务中心",
    ) -> ApplicationRecord:
        recv = at(received, hour)
        decided = None
        if k is not None:
            day = received if k == 0 else self.cal.nth_working_day_after(received, k)
            decided = at(day, hour + 1 if k == 0 else 15)
        return ApplicationRecord(
            application_id=self._id(prefix),
            applicant_dept=applicant,
            provider_dept=provider,
            resource_name=resource,
            share_type="conditional",
            submitted_at=recv - dt.timedelta(hours=1),
            review_status="passed",
            reviewed_at=recv,
            received_at=recv,
            decision="pending" if k is None else decision,
            decided_at=decided,
        )

    def unconditional(self, provider: str, resource: str, day: dt.date) -> ApplicationRecord:
        t = at(day, 11)
        return ApplicationRecord(
            application_id=self._id("SQ"),
            applicant_dept="省税务局",
            provider_dept=provider,
            resource_name=resource,
            share_type="unconditional",
            submitted_at=t,
            received_at=t,
            decision="approved",
            decided_at=t + dt.timedelta(minutes=2),
        )


def working_days(cal: WorkCalendar, month: Month) -> list[dt.date]:
    d, out = month.first_day, []
    while d <= month.last_day:
        if cal.is_working_day(d):
            out.append(d)
        d += dt.timedelta(days=1)
    return out


def december_records(cal: WorkCalendar) -> list[ApplicationRecord]:
    """627 applications (397 conditional, 230 unconditional); 363 answered (336 approved, 27
    rejected), 34 undecided; only 省公共资源交易中心 late, unanswered on its two resources."""
    mk = Maker(cal)
    days = working_days(cal, DEC)  # 22 working days, none a holiday
    early = [d for d in days if d.day <= 20]
    out: list[ApplicationRecord] = []
    for i, received in enumerate(
        (dt.date(2024, 12, 3), dt.date(2024, 12, 5), dt.date(2024, 12, 10), dt.date(2024, 12, 13))
    ):
        out.append(mk.conditional(PUB, PUB_RESOURCES[i % 2], received))
    out += [mk.conditional(PUB, PUB_RESOURCES[i], early[i + 3], 2) for i in range(2)]
    for prov, count in FAST:
        out += [mk.conditional(prov, f"{prov}数据", early[i % len(early)], 0) for i in range(count)]
    late_month = [d for d in days if d >= dt.date(2024, 12, 26)]
    out += [
        mk.conditional(OTHERS[i % 6], "资源甲", late_month[i % len(late_month)]) for i in range(30)
    ]
    out += [
        mk.conditional(OTHERS[i % 6], "资源乙", early[i % len(early)], 1 + i % 4, "rejected")
        for i in range(27)
    ]
    approved = 2 + sum(c for _p, c in FAST)
    out += [
        mk.conditional(OTHERS[i % 6], "资源丙", early[i % len(early)], 1 + i % 4)
        for i in range(336 - approved)
    ]
    out += [mk.unconditional(OTHERS[i % 6], "资源丁", days[i % len(days)]) for i in range(230)]
    return out


def figures(records, ruleset, calendar, month=DEC, as_of=None):
    return monthly_figures(records, month, as_of or month.end(TZ), ruleset, calendar, TZ)
