"""The 核实 round (``report monthly --draft [--send]``): one mail per department named in the
draft 存在问题 with only its own findings, through the outbox and a real SMTP server; nothing to
a department with no findings; a second send sends nothing; the feedback deadline counted on the
official calendar across 春节 2025 with its 调休."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
from pathlib import Path
from typing import Any

import pytest
from feedbackhelpers import (
    CIVIL,
    CONTACTS,
    DEADLINE,
    DEC,
    MAKEUP_SUNDAY,
    MARKET,
    PUB,
    PUBLIC_URL,
    SATURDAY,
    SUPERVISOR,
    WATER,
    setup,
)
from sqlalchemy import select
from storehelpers import TZ

from slamon.adapters.store import outbox
from slamon.core.periods import Month
from slamon.service.delivery import deliver_due
from slamon.service.feedback_record import asked_departments, final_report_day, round_due_day
from slamon.service.feedback_round import draft_round, queue_round_if_due, send_round

MAILS = Path("/tmp/mails-23")


def _parts(message: Any) -> tuple[str, str]:
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    return text, html


def _save(message: Any, name: str) -> None:
    MAILS.mkdir(parents=True, exist_ok=True)
    (MAILS / name).write_bytes(message.as_bytes(policy=email.policy.SMTP))


def test_one_mail_per_department_with_only_its_own_findings(
    tmp_path: Path, write_config: Any, smtp_server: Any, calendar: Any
) -> None:
    _config, rt, engine = setup(
        tmp_path, write_config, smtp_server, calendar, web={"public_url": PUBLIC_URL}
    )
    draft = draft_round(engine, rt, DEC, SATURDAY)
    assert (draft.send_day, draft.deadline) == (MAKEUP_SUNDAY, DEADLINE)
    assert [m.department for m in draft.mails] == [PUB, MARKET, CIVIL]  # not 省水利厅: on time
    done = send_round(engine, rt, draft, by="测试")
    assert done.queued == (PUB, MARKET, CIVIL)
    assert smtp_server.messages == []  # queued on a Saturday: nothing leaves before the window
    report = deliver_due(engine, rt, dt.datetime(2025, 1, 26, 9, 5, tzinfo=TZ), "w")
    assert report.sent == 3
    got = {tuple(m.rcpt_tos): m for m in smtp_server.messages}
    assert set(got) == {(CONTACTS[PUB][0],), (CONTACTS[MARKET][0],), (SUPERVISOR,)}
    ids = {d: set(m.application_ids) for d, m in ((m.department, m) for m in draft.mails)}
    assert len(ids[PUB]) == 2 and all(a.startswith("PUB") for a in ids[PUB])
    for dept, rcpt in ((PUB, CONTACTS[PUB][0]), (MARKET, CONTACTS[MARKET][0])):
        text, html = _parts(got[(rcpt,)].message)
        assert "【核实反馈】" in got[(rcpt,)].subject and dept in got[(rcpt,)].subject
        others = {a for d, s in ids.items() if d != dept for a in s}
        assert all(a in text and a in html for a in ids[dept])
        assert not any(a in text or a in html for a in others)  # only its own applications
        assert "2025年2月5日" in text and "2025年2月5日" in html  # the feedback deadline
        assert "《贵州省政务数据资源管理办法》" in text  # the rule cited
        for aid in ids[dept]:  # the day-by-day evidence, an absolute link
            assert f"{PUBLIC_URL}/application?id={aid}" in text
            assert f'href="{PUBLIC_URL}/application?id={aid}"' in html
        assert "None" not in text and 'href=""' not in html
    pub_text, _html = _parts(got[(CONTACTS[PUB][0],)].message)
    assert "截至统计时未答复" in pub_text and "超期3个工作日" in pub_text
    civil_text, _html = _parts(got[(SUPERVISOR,)].message)
    assert "【未配置联系人】" in got[(SUPERVISOR,)].subject and CIVIL in civil_text
    _save(got[(CONTACTS[PUB][0],)].message, "feedback-pub.eml")
    _save(got[(SUPERVISOR,)].message, "feedback-unassigned.eml")

    # a second send queues and sends nothing new
    again = send_round(engine, rt, draft_round(engine, rt, DEC, SATURDAY), by="测试")
    assert again.queued == () and all(m.asked_before for m in again.mails)
    assert deliver_due(engine, rt, dt.datetime(2025, 1, 27, 10, 0, tzinfo=TZ), "w").sent == 0
    assert len(smtp_server.messages) == 3

    asked = asked_departments(engine, DEC)
    assert [(a.department, a.feedback_deadline, a.mail_status) for a in asked] == [
        (PUB, DEADLINE, "sent"),
        (MARKET, DEADLINE, "sent"),
        (CIVIL, DEADLINE, "sent"),
    ]
    assert asked[2].unassigned and asked[2].recipients == (SUPERVISOR,)


def test_without_public_url_the_mail_says_whom_to_ask(
    tmp_path: Path, write_config: Any, smtp_server: Any, calendar: Any
) -> None:
    _config, rt, engine = setup(tmp_path, write_config, smtp_server, calendar)
    draft = draft_round(engine, rt, DEC, dt.datetime(2025, 1, 6, 10, 0, tzinfo=TZ))
    mail = next(m for m in draft.mails if m.department == MARKET)
    text, html = mail.rendered.text, mail.rendered.html
    assert "http" not in text and "<a " not in html and "None" not in text + html
    assert "请联系贵州省信息中心" in text and "slamon explain" in text
    assert "以书面或电话方式报贵州省信息中心" in html
    # Monday 6 January 2025 + 2 working days
    assert draft.deadline == dt.date(2025, 1, 8) and "2025年1月8日" in text


def test_feedback_working_days_is_configured_and_counted_on_the_calendar(
    tmp_path: Path, write_config: Any, smtp_server: Any, calendar: Any
) -> None:
    _config, rt, engine = setup(
        tmp_path, write_config, smtp_server, calendar, report={"feedback_working_days": 1}
    )
    # one working day after the makeup Sunday: Monday 27 January, the last before 春节
    assert draft_round(engine, rt, DEC, SATURDAY).deadline == dt.date(2025, 1, 27)


def test_a_round_about_an_unfinished_month_is_refused(
    tmp_path: Path, write_config: Any, smtp_server: Any, calendar: Any
) -> None:
    from slamon.core.errors import InputError

    _config, rt, engine = setup(tmp_path, write_config, smtp_server, calendar)
    draft = draft_round(engine, rt, DEC, dt.datetime(2024, 12, 30, 10, 0, tzinfo=TZ))
    with pytest.raises(InputError, match="尚未结束"):
        send_round(engine, rt, draft, by="测试")
    assert asked_departments(engine, DEC) == ()


def test_cli_draft_prints_and_sends_nothing_then_send_queues_once(
    tmp_path: Path, write_config: Any, run_cli: Any, smtp_server: Any, calendar: Any
) -> None:
    config, _rt, engine = setup(tmp_path, write_config, smtp_server, calendar)
    argv = ["report", "monthly", "--month", "2024-12", "--draft", "--now", "2025-01-25 10:00"]
    result = run_cli(argv, config=config)
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "涉及 3 个部门" in out and "反馈截止 2025年2月5日" in out
    assert f"【{CIVIL}】→ 未配置联系人，改发督办人 {SUPERVISOR}" in out
    assert CONTACTS[PUB][0] in out and WATER not in out
    assert "主题：【核实反馈】" in out and "未发送任何邮件" in out
    assert CIVIL in result.stderr  # the department without contacts, named as a warning
    with engine.connect() as conn:
        assert conn.execute(select(outbox.OUTBOX)).first() is None

    result = run_cli([*argv, "--send", "--format", "json", "--by", "张三"], config=config)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["queued"] == [PUB, MARKET, CIVIL] and data["without_contact"] == [CIVIL]
    assert data["feedback_deadline"] == "2025-02-05" and data["send_day"] == "2025-01-26"
    civil = next(d for d in data["departments"] if d["department"] == CIVIL)
    assert civil["unassigned"] and civil["recipients"] == [SUPERVISOR]
    result = run_cli([*argv, "--send", "--format", "json"], config=config)
    assert json.loads(result.stdout)["queued"] == []
    with engine.connect() as conn:
        rows = conn.execute(select(outbox.OUTBOX.c.key, outbox.OUTBOX.c.kind)).all()
    assert sorted(rows) == sorted((f"feedback|2024-12|{d}", "feedback") for d in data["queued"])

    assert run_cli(["report", "monthly", "--month", "2024-12", "--send"], config=config).exit_code
    bad = run_cli([*argv, "--as-of", "2024-12-20"], config=config)
    assert bad.exit_code == 2 and "--draft" in bad.stderr


def test_the_daemon_runs_the_round_on_the_configured_working_day(
    tmp_path: Path, write_config: Any, smtp_server: Any, calendar: Any
) -> None:
    _config, rt, engine = setup(
        tmp_path, write_config, smtp_server, calendar, report={"draft_day": 3}
    )
    # January 2025, 1 Jan being 元旦: Thu 2 (1st), Fri 3 (2nd), Mon 6 (3rd working day)
    assert round_due_day(DEC, rt) == dt.date(2025, 1, 6)
    assert queue_round_if_due(engine, rt, dt.datetime(2025, 1, 3, 18, 0, tzinfo=TZ)) == ()
    first = queue_round_if_due(engine, rt, dt.datetime(2025, 1, 6, 8, 0, tzinfo=TZ))
    assert first == (PUB, MARKET, CIVIL)
    assert queue_round_if_due(engine, rt, dt.datetime(2025, 1, 6, 8, 5, tzinfo=TZ)) == ()
    asked = asked_departments(engine, DEC)
    assert {a.feedback_deadline for a in asked} == {dt.date(2025, 1, 8)}
    assert {a.department for a in asked} == {PUB, MARKET, CIVIL}
    # the final report files wait for the answers: the working day after the deadline
    assert final_report_day(DEC, rt, engine) == dt.date(2025, 1, 9)


@pytest.mark.parametrize(
    ("report", "key"),
    [
        ({"feedback_working_days": 0}, "report.feedback_working_days"),
        ({"feedback_working_days": "2"}, "report.feedback_working_days"),
        ({"draft_day": 0}, "report.draft_day"),
        ({"draft_day": 21}, "report.draft_day"),
        ({"draft_day": True}, "report.draft_day"),
        ({"feedback_days": 2}, "report.feedback_days"),  # an unknown key is named too
    ],
)
def test_bad_round_keys_stop_start_up_naming_the_key(tmp_path: Path, report: Any, key: str) -> None:
    from storehelpers import make_runtime

    from slamon.core.errors import ConfigError

    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        make_runtime(tmp_path, report=report)


def test_round_keys_default_to_two_working_days_and_no_daemon_round(tmp_path: Path) -> None:
    from storehelpers import make_runtime

    feedback = make_runtime(tmp_path).settings.feedback
    assert (feedback.working_days, feedback.draft_day) == (2, None)


def test_the_round_is_recorded_once_on_every_store(
    tmp_path: Path, write_config: Any, smtp_server: Any, calendar: Any, store_url: str
) -> None:
    _config, rt, engine = setup(
        tmp_path, write_config, smtp_server, calendar, store={"url": store_url}
    )
    try:
        assert send_round(engine, rt, draft_round(engine, rt, DEC, SATURDAY), "测试").queued
        assert send_round(engine, rt, draft_round(engine, rt, DEC, SATURDAY), "测试").queued == ()
        asked = asked_departments(engine, DEC)
        assert [(a.department, a.send_day, a.feedback_deadline) for a in asked] == [
            (d, MAKEUP_SUNDAY, DEADLINE) for d in (PUB, MARKET, CIVIL)
        ]
        assert asked[0].asked_at == SATURDAY and asked[0].mail_status == "queued"
    finally:
        engine.dispose()


def test_no_round_on_data_read_before_the_months_end(
    tmp_path: Path, write_config: Any, smtp_server: Any, calendar: Any
) -> None:
    """An answer given after the last read would be accused: the round waits for fresh data."""
    from slamon.core.errors import InputError
    from slamon.service.reports import monthly_report

    _config, rt, engine = setup(
        tmp_path, write_config, smtp_server, calendar, report={"draft_day": 1}
    )
    later = dt.datetime(2025, 2, 3, 10, 0, tzinfo=TZ)  # January's round, January last read 2 Jan
    draft = draft_round(engine, rt, Month(2025, 1), later)
    assert draft.mails  # unanswered at the last read (2 January): perhaps answered since
    with pytest.raises(InputError, match="最后一次成功读取"):
        send_round(engine, rt, draft, by="测试")
    assert queue_round_if_due(engine, rt, later) == ()  # the daemon waits, and tries again
    assert monthly_report(engine, rt, Month(2025, 1), now=later).quality.warnings
