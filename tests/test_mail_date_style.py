"""One date and time style per medium: mails write ``2024年9月2日 10:00`` and
``2024年9月9日（周一）`` — never an ISO ``2024-09-02 10:00`` beside a Chinese date."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from slamon.adapters.mail.messages import render_notice
from slamon.config import NotifyConfig
from slamon.core.formats import chinese_moment
from slamon.core.times import END_OF_DAY
from slamon.core.vocabulary import DUE_SOON, OVERDUE

ISO = re.compile(r"\d{4}-\d{2}-\d{2}")
TZ = dt.timezone(dt.timedelta(hours=8))


def _item(aid: str, kind: str) -> dict:
    return {
        "application_id": aid,
        "kind": kind,
        "resource_name": "工程类_招标项目",
        "applicant_dept": "省税务局",
        "received_at": "2024-09-02T10:08:00+08:00",
        "start_label": "收到申请",
        "deadline": "2024-09-09T23:59:59.999999+08:00",
        "deadline_date": "2024-09-09",
        "overdue_working_days": 3 if kind == OVERDUE else 0,
    }


@pytest.mark.parametrize("kind", ["notice", "escalation"])
def test_a_mail_writes_every_date_one_way(kind: str) -> None:
    items = [_item("GZ-1", OVERDUE), _item("GZ-2", DUE_SOON)][: 1 if kind == "escalation" else 2]
    r = render_notice(
        kind,
        "省公共资源交易中心",
        dt.date(2024, 9, 12),
        items,
        unassigned=False,
        notify=NotifyConfig(),
    )
    for part in (r.text, r.html):
        assert "2024年9月2日 10:08" in part
        assert "2024年9月9日（周一）" in part
        assert not ISO.search(part.replace("GZ-", "")), ISO.findall(part)


def test_chinese_moment_writes_24_shi_at_the_end_of_a_day() -> None:
    end = dt.datetime.combine(dt.date(2024, 12, 31), END_OF_DAY, TZ)
    assert chinese_moment(end, TZ) == "2024年12月31日24时"
    assert chinese_moment(dt.datetime(2025, 1, 2, 10, 0, tzinfo=TZ), TZ) == "2025年1月2日 10:00"
