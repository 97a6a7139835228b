"""Verdicts that move: after a year's notice is imported into the site's rules/calendar/, the next
poll re-evaluates, says which year changed and how many deadlines moved, and lists the reminder
already sent with the old deadline; a poll with the calendar unchanged says nothing of it.

A1 is received Monday 2027-02-01. Without a notice 2027 is unofficial (02-05 and 02-08 off): due
Wednesday 02-10, so a 即将到期 reminder leaves on Tuesday 02-09. The (fictitious) notice makes
02-06..13 days off and 02-05 a working day: due Monday 02-15.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from calendarhelpers import FICTITIOUS_2027
from sqlalchemy import select
from storehelpers import at, ingest_records, make_runtime, record

from slamon.adapters.store import outbox
from slamon.adapters.store.db import open_store
from slamon.config import load_settings
from slamon.core.vocabulary import DUE_SOON, NOTICE, SENT
from slamon.runtime import Runtime
from slamon.service.calendar_import import apply_preview, preview_notice
from slamon.service.delivery import deliver_due

DEPT = "省公共资源交易中心"
CONTACT = "lianxiren@ggzy.example.gov.cn"
RECEIVED = "2027-02-01 10:00"
REMINDED = at("2027-02-09 10:00")
AFTER = at("2027-02-09 11:00")
NOTE = "因 2027 年节假日安排更新，1 件申请的答复期限改变"


def site_config(tmp_path: Path, server: Any) -> dict[str, Any]:
    (tmp_path / "site").mkdir()
    return {
        "rules": {"dir": str(tmp_path / "site"), "active": ["guizhou-2023"]},
        "smtp": server.smtp_config(),
        "contacts": {DEPT: [CONTACT]},
        "supervisors": ["dudao@dsj.example.gov.cn"],
        "store": {"url": f"sqlite:///{tmp_path / 'slamon.db'}"},
    }


def remind(engine: Any, rt: Runtime) -> int:
    """A1 polled and its reminder delivered on 02-09 (old calendar); returns the mail's id."""
    ingest_records(engine, rt, [record("A1", RECEIVED)], REMINDED, plan=True)
    deliver_due(engine, rt, REMINDED, "test")
    with engine.connect() as conn:
        [row] = outbox.sent_with_items(conn, (NOTICE,), REMINDED.date())
    assert row["items"][0]["deadline_date"] == "2027-02-10"
    return row["id"]


def import_2027(rt: Runtime) -> None:
    apply_preview(preview_notice(rt, FICTITIOUS_2027))


@pytest.fixture
def site(tmp_path: Path, smtp_server: Any) -> tuple[Runtime, Any]:
    rt = make_runtime(tmp_path, **site_config(tmp_path, smtp_server))
    return rt, open_store(rt.settings.store_url)


def test_the_poll_after_an_import_reports_the_moved_deadline_and_the_mail(site):
    rt, engine = site
    mail_id = remind(engine, rt)
    assert ingest_records(engine, rt, [], AFTER).notes == []  # nothing changed: no note

    import_2027(rt)
    assert rt.reload_calendar() is True and rt.reload_calendar() is False
    assert rt.calendar.is_official(2027)
    s = ingest_records(engine, rt, [], AFTER, plan=True)

    assert s.deadline_changes == 1
    assert s.notes[0] == f"{NOTE}（slamon status 查看）"
    assert any(f"第 {mail_id} 号催办通知" in n and "A1（即将到期）" in n for n in s.notes)
    assert any("2027年2月10日24时" in n and "2027年2月15日24时" in n for n in s.notes)
    update = s.deadline_update
    assert (update["years"], update["changed"]) == ([2027], 1)
    [moved] = update["applications"]
    assert moved["application_id"] == "A1"
    assert (moved["old_deadline"][:10], moved["new_deadline"][:10]) == ("2027-02-10", "2027-02-15")
    [mail] = update["sent_mail"]
    assert (mail["id"], mail["kind"], mail["department"]) == (mail_id, NOTICE, DEPT)
    assert [(i["application_id"], i["item_kind"]) for i in mail["items"]] == [("A1", DUE_SOON)]

    again = ingest_records(engine, rt, [], at("2027-02-09 12:00"))
    assert (again.notes, again.deadline_changes, again.deadline_update) == ([], 0, None)


def test_an_import_that_moves_no_deadline_says_so_and_lists_no_mail(site):
    rt, engine = site
    # received in March: the spring festival does not touch its deadline, whichever calendar
    ingest_records(engine, rt, [record("A2", "2027-03-01 10:00")], at("2027-03-02 10:00"))
    import_2027(rt)
    rt.reload_calendar()
    s = ingest_records(engine, rt, [], at("2027-03-02 11:00"))
    assert s.deadline_changes == 0
    assert s.notes == ["因 2027 年节假日安排更新重新计算了答复期限，没有申请的期限改变"]
    assert s.deadline_update["sent_mail"] == []


def test_a_rule_change_is_reported_without_naming_a_year(site, tmp_path):
    rt, engine = site
    ingest_records(engine, rt, [record("A1", RECEIVED)], REMINDED)
    other = make_runtime(
        tmp_path, rules={"dir": str(tmp_path / "site"), "active": ["guizhou-2020"]}
    )
    s = ingest_records(engine, other, [], AFTER)
    assert s.deadline_update["years"] == []
    assert s.notes == ["日历或时限规则已变化：1 件申请的答复期限随之改变（slamon status 查看）"]


def test_slamon_poll_json_lists_the_update(run_cli, write_config, tmp_path, smtp_server):
    cfg = write_config(site_config(tmp_path, smtp_server))
    rt = Runtime(load_settings(cfg))
    engine = open_store(rt.settings.store_url)
    mail_id = remind(engine, rt)
    notice = tmp_path / "notice.txt"
    notice.write_text(FICTITIOUS_2027, encoding="utf-8")
    assert run_cli(["calendar", "import", str(notice)], config=cfg).exit_code == 0

    r = run_cli(["poll", "--json", "--now", AFTER.isoformat()], config=cfg)
    assert r.exit_code == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["deadline_changes"] == 1 and NOTE in data["notes"][0]
    assert data["deadline_update"]["years"] == [2027]
    assert [m["id"] for m in data["deadline_update"]["sent_mail"]] == [mail_id]

    text = run_cli(["poll", "--now", at("2027-02-09 12:00").isoformat()], config=cfg)
    assert text.exit_code == 0 and "节假日安排更新" not in text.stderr + text.stdout
    with engine.connect() as conn:
        statuses = conn.execute(select(outbox.OUTBOX.c.status)).scalars().all()
    assert SENT in statuses
