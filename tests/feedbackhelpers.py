"""A December 2024 store for the 核实 round tests: three departments late (one without a
contact), one on time; the round started on a Saturday before 春节 2025."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from reporthelpers import Maker
from storehelpers import REPO_ROOT, TZ, ingest_records

from slamon.adapters.store.db import open_store
from slamon.config import load_settings
from slamon.core.periods import Month
from slamon.runtime import Runtime

DEC = Month(2024, 12)
PUB, MARKET, WATER, CIVIL = "省公共资源交易中心", "省市场监管局", "省水利厅", "省民政厅"
CONTACTS = {
    PUB: ["ggzy@ggzy.example.gov.cn"],
    MARKET: ["scjg@scjg.example.gov.cn"],
    WATER: ["slt@slt.example.gov.cn"],
}
SUPERVISOR = "dudao@dsj.example.gov.cn"
PUBLIC_URL = "https://slamon.xxzx.example.gov.cn/jiance"
# Saturday 25 January 2025: the mails leave on Sunday the 26th, a 调休 working day; two working
# days after it are Monday the 27th and — past 春节 (28 Jan – 4 Feb off) — Wednesday 5 February.
SATURDAY = dt.datetime(2025, 1, 25, 10, 0, tzinfo=TZ)
MAKEUP_SUNDAY, DEADLINE = dt.date(2025, 1, 26), dt.date(2025, 2, 5)


def december(calendar: Any) -> list[Any]:
    mk = Maker(calendar)
    d = dt.date
    return [
        mk.conditional(PUB, "工程类_招标项目", d(2024, 12, 3), prefix="PUB"),  # never answered
        mk.conditional(PUB, "工程类-中标结果公告", d(2024, 12, 5), 8, prefix="PUB"),  # 3 late
        mk.conditional(PUB, "工程类-中标结果公告", d(2024, 12, 9), 2, prefix="PUB"),  # on time
        mk.conditional(MARKET, "企业登记信息", d(2024, 12, 10), 7, prefix="SCJG"),  # 2 late
        *(mk.conditional(WATER, "水文数据", d(2024, 12, 2 + i), 1, prefix="SLT") for i in range(3)),
        mk.conditional(CIVIL, "婚姻登记信息", d(2024, 12, 16), prefix="MZ"),  # no contact
    ]


def setup(tmp_path: Path, write_config: Any, server: Any, calendar: Any, **extra: Any) -> Any:
    config = write_config(
        {
            "store": {"url": "sqlite:///slamon.db"},
            "rules": {"dir": str(REPO_ROOT / "rules")},
            "source": {"kind": "none"},
            "smtp": server.smtp_config(),
            "contacts": CONTACTS,
            "supervisors": [SUPERVISOR],
            **extra,
        }
    )
    rt = Runtime(load_settings(config, env={}))
    engine = open_store(rt.settings.store_url)
    ingest_records(engine, rt, december(calendar), dt.datetime(2025, 1, 2, 8, 0, tzinfo=TZ))
    return config, rt, engine
