"""Notices with bounded size: at most ``notify.max_items_per_mail`` applications listed (the most
overdue first), a line counting the rest and saying where to see them, and a hard cap on the
message's size on the wire."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from storehelpers import at, ingest_records, make_runtime, record

from slamon.adapters.mail.messages import MAX_MESSAGE_BYTES, render_notice, wire_size
from slamon.adapters.render.xlsx import XLSX_TYPE
from slamon.adapters.store import outbox
from slamon.adapters.store.db import open_store
from slamon.config import NotifyConfig, parse_settings
from slamon.core.errors import ConfigError
from slamon.core.notice_policy import ATTACH_MAX_ITEMS, attaches_full_list
from slamon.core.vocabulary import OVERDUE
from slamon.service.delivery import deliver_due

DEPT = "省公共资源交易中心"
NOW = at("2024-10-10 10:00")
LATE = re.compile(r"已超期(\d+)个工作日")


def _received(i: int) -> str:
    """200 receipts on 25 working days from 1 August (8 a day): all overdue, varied lateness."""
    day = dt.date(2024, 8, 1)
    n = i // 8
    while n:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            n -= 1
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return f"{day.isoformat()} {9 + i % 8:02d}:00"


@pytest.fixture
def planned(tmp_path: Path, smtp_server: Any) -> tuple[Any, Any]:
    rt = make_runtime(
        tmp_path,
        smtp=smtp_server.smtp_config(),
        contacts={DEPT: ["a@ggzy.example.gov.cn"]},
        supervisors=["boss@dsj.example.gov.cn"],
    )
    engine = open_store(f"sqlite:///{tmp_path / 'slamon.db'}")
    # Shuffled ids, so the order of the mail cannot come from the order of the input.
    records = [record(f"C{(i * 37) % 200:03d}", _received(i)) for i in range(200)]
    ingest_records(engine, rt, records, NOW, plan=True)
    return rt, engine


def _row(engine: Any, kind: str) -> dict[str, Any]:
    with engine.connect() as conn:
        rows = [
            dict(r)
            for r in conn.execute(
                select(outbox.OUTBOX).where(outbox.OUTBOX.c.kind == kind)
            ).mappings()
        ]
    assert len(rows) == 1, rows
    return rows[0]


@pytest.mark.parametrize("kind", ["notice", "escalation"])
def test_200_items_list_the_50_most_overdue_and_count_the_rest(
    planned: tuple[Any, Any], kind: str
) -> None:
    _rt, engine = planned
    row = _row(engine, kind)
    items = json.loads(row["items"])  # every application stays in the row (cancel, history)
    n = len(items)
    assert n == 200  # all of them overdue by 3+ working days: escalated too
    text, html = row["body_text"], row["body_html"]
    assert text.count("申请编号") == 50 and html.count("<tr><td>") == 50
    rest = f"其余 {n - 50} 件未在本邮件列出"
    assert rest in text and rest in html
    assert f"slamon status --department {DEPT}" in text and "在监测网页中打开该部门的页面" in text
    assert "/department?name=" not in text  # no web.public_url: no relative link a mail cannot open
    assert f"{n} 项" in row["subject"]
    listed = [int(d) for d in LATE.findall(text)]
    assert len(listed) == 50 and listed == sorted(listed, reverse=True)
    everyone = sorted((i["overdue_working_days"] for i in items), reverse=True)
    assert listed == everyone[:50] and everyone[0] > everyone[-1]  # the most overdue, first


def test_the_mail_on_the_wire_is_small(planned: tuple[Any, Any], smtp_server: Any) -> None:
    rt, engine = planned
    report = deliver_due(engine, rt, NOW, "w")
    assert report.sent == 2 and len(smtp_server.messages) == 2
    for m in smtp_server.messages:
        size = len(m.message.as_bytes())
        assert size < 200_000, size
        assert "件未在本邮件列出" in m.part("plain") and m.part("plain").count("申请编号") == 50


def _attached_rows(m: Any) -> list[tuple[Any, ...]]:
    """The rows of the one XLSX the received mail carries."""
    import io

    from openpyxl import load_workbook

    files = [p for p in m.message.walk() if p.get_content_disposition() == "attachment"]
    assert len(files) == 1
    assert files[0].get_content_type() == XLSX_TYPE
    assert files[0].get_filename() == f"{DEPT}-全部申请-2024-10-10.xlsx"
    ws = load_workbook(io.BytesIO(files[0].get_payload(decode=True))).active
    return [tuple(r) for r in ws.iter_rows(min_row=3, values_only=True)]


def test_the_whole_list_goes_along_as_xlsx(planned: tuple[Any, Any], smtp_server: Any) -> None:
    rt, engine = planned
    assert deliver_due(engine, rt, NOW, "w").sent == 2
    for m in smtp_server.messages:
        kind = "escalation" if "督办" in m.subject else "notice"
        items = json.loads(_row(engine, kind)["items"])
        rows = _attached_rows(m)
        # every application the row names, in the mail's order (the 50 listed ones first)
        assert [r[1] for r in rows] == [i["application_id"] for i in items]
        assert [r[0] for r in rows] == list(range(1, 201))
        assert [r[6] for r in rows] == [i["overdue_working_days"] for i in items]
        assert all(isinstance(r[5], dt.datetime) for r in rows)  # a date cell, not text
        assert "全部 200 件见本邮件附件（XLSX 表格）" in m.part("plain")
        assert "全部 200 件见本邮件附件（XLSX 表格）" in m.part("html")


def test_a_list_too_long_to_attach_says_so() -> None:
    r = _notice(ATTACH_MAX_ITEMS + 1)
    assert f"全部申请（共 {ATTACH_MAX_ITEMS + 1} 件，过多不作附件）" in r.text
    assert "附件（XLSX" not in r.text
    assert attaches_full_list(ATTACH_MAX_ITEMS, 50) and not attaches_full_list(50, 50)


def test_the_unlisted_line_links_the_department_page_only_with_a_public_url() -> None:
    base = "https://slamon.example.gov.cn"
    linked = _notice(80, base_url=base)
    line = next(t for t in linked.text.splitlines() if "件未在本邮件列出" in t)
    assert f"该部门的页面：{base}/department?name=" in line
    plain = _notice(80)
    line = next(t for t in plain.text.splitlines() if "件未在本邮件列出" in t)
    assert "在监测网页中打开该部门的页面" in line and "/department" not in line


def _notice(n: int, **kw: Any) -> Any:
    """A notice to DEPT listing ``n`` overdue items, with the default notify settings."""
    return render_notice(
        "notice",
        DEPT,
        dt.date(2024, 10, 10),
        _items(n),
        unassigned=False,
        notify=NotifyConfig(),
        **kw,
    )


def _items(n: int, name: str = "工程类_招标项目") -> list[dict[str, Any]]:
    return [
        {
            "application_id": f"NC{i:06d}",
            "kind": OVERDUE,
            "resource_name": name,
            "applicant_dept": "省税务局",
            "received_at": "2024-09-02T10:00:00+08:00",
            "start_label": "收到申请",
            "deadline": "2024-09-09T17:30:00+08:00",
            "deadline_date": "2024-09-09",
            "overdue_working_days": 20000 - i,
        }
        for i in range(n)
    ]


def test_20000_items_make_a_mail_under_200_kb() -> None:
    r = _notice(20_000)
    assert wire_size(r) < 200_000
    assert "其余 19950 件未在本邮件列出" in r.text and r.text.count("申请编号") == 50
    assert "20000 项" in r.subject


@pytest.mark.parametrize("kind", ["notice", "escalation"])
def test_a_mail_still_over_the_cap_lists_fewer_and_says_so(kind: str) -> None:
    """Long resource names: 50 rows would exceed the cap; the list is cut until it fits."""
    items = _items(200, name="超长资源名称" * 300)
    notify = NotifyConfig()
    full = render_notice(kind, DEPT, dt.date(2024, 10, 10), items, unassigned=False, notify=notify)
    cap = 100_000
    assert wire_size(full) > cap  # the case is real
    r = render_notice(
        kind, DEPT, dt.date(2024, 10, 10), items, unassigned=False, notify=notify, max_bytes=cap
    )
    assert wire_size(r) <= cap
    listed = r.text.count("申请编号")
    assert 1 <= listed < 50
    assert f"为使邮件不超过 1 MB，本邮件只列出 {listed} 件" in r.text
    assert f"其余 {200 - listed} 件未在本邮件列出" in r.html
    assert MAX_MESSAGE_BYTES <= 1_000_000  # below common relay limits


def test_max_items_per_mail_is_configurable_and_validated(tmp_path: Path) -> None:
    s = parse_settings({"notify": {"max_items_per_mail": 10}}, None, tmp_path, {})
    assert s.notify.max_items_per_mail == 10
    r = render_notice(
        "notice", DEPT, dt.date(2024, 10, 10), _items(12), unassigned=False, notify=s.notify
    )
    assert r.text.count("申请编号") == 10 and "其余 2 件" in r.text
    few = render_notice(
        "notice", DEPT, dt.date(2024, 10, 10), _items(10), unassigned=False, notify=s.notify
    )
    assert "其余" not in few.text and "未在本邮件列出" not in few.html
    assert "附件" not in few.text  # all listed: nothing to attach
    assert parse_settings({}, None, tmp_path, {}).notify.max_items_per_mail == 50
    for bad in (0, "many"):
        with pytest.raises(ConfigError) as info:
            parse_settings({"notify": {"max_items_per_mail": bad}}, None, tmp_path, {})
        assert info.value.key == "notify.max_items_per_mail"
        assert str(info.value).startswith("配置项 notify.max_items_per_mail：")
