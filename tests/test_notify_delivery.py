"""Delivery against a real SMTP server (aiosmtpd on 127.0.0.1): the National Day timeline,
idempotent planning, a crash between claim and send, an outage, refusals, login failures."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from storehelpers import at, ingest_records, make_runtime, record

from slamon.adapters.mail.mailer import YagmailMailer
from slamon.adapters.store import outbox
from slamon.adapters.store.db import open_store
from slamon.service.delivery import deliver_due
from slamon.service.notices import plan_notices

DEPT = "省公共资源交易中心"
CONTACT, SUPERVISOR = "lianxiren@ggzy.example.gov.cn", "dudao@dsj.example.gov.cn"
OB = outbox.OUTBOX


def setup(tmp_path: Path, server: Any, **overrides: Any) -> tuple[Any, Any]:
    config: dict[str, Any] = {
        "smtp": server.smtp_config(),
        "contacts": {DEPT: [CONTACT]},
        "supervisors": [SUPERVISOR],
        "aliases": {"公共资源交易中心": DEPT},
        **overrides,
    }
    rt = make_runtime(tmp_path, **config)
    engine = open_store(f"sqlite:///{tmp_path / 'slamon.db'}")
    return rt, engine


def rows(engine: Any) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(OB).order_by(OB.c.id)).mappings()]


def test_national_day_timeline_end_to_end(tmp_path: Path, smtp_server: Any) -> None:
    """Poll at 10:00 and 20:00 every calendar day, deliver after each poll: what arrives when."""
    rt, engine = setup(tmp_path, smtp_server)
    records = [
        record("C", "2024-09-24 10:00"),
        record("D", "2024-09-25 10:00"),
        record("E", "2024-09-26 10:00"),
        record("B", "2024-09-27 10:00"),
        record("F", "2024-10-01 10:00", provider_dept="公共资源交易中心"),
    ]
    d_answered = dataclasses.replace(
        records[1], decision="approved", decided_at=at("2024-10-13 11:00")
    )
    arrivals: dict[str, list[tuple[str, list[str]]]] = {}
    day = dt.date(2024, 9, 27)
    while day <= dt.date(2024, 10, 15):
        for hour in ("10:00", "20:00"):
            now = at(f"{day.isoformat()} {hour}")
            visible = [r for r in records if r.received_at <= now]
            visible = [
                d_answered if (r.application_id == "D" and now >= d_answered.decided_at) else r
                for r in visible
            ]
            before = len(smtp_server.messages)
            ingest_records(engine, rt, visible, now, plan=True)
            deliver_due(engine, rt, now, "daemon")
            for m in smtp_server.messages[before:]:
                arrivals.setdefault(day.isoformat(), []).append(
                    (m.subject.split("】")[0] + "】", m.rcpt_tos)
                )
        day += dt.timedelta(days=1)

    soon, late, esc = "【即将到期】", "【已超期】", "【督办】"
    mixed = "【已超期 2 项、即将到期 1 项】"
    assert arrivals == {
        "2024-09-29": [(soon, [CONTACT])],  # a makeup Sunday: C is due Monday 30th
        "2024-09-30": [(soon, [CONTACT])],  # before the break: D (due 8 Oct) and E (due 9 Oct)
        "2024-10-08": [(late, [CONTACT])],
        "2024-10-09": [("【已超期 1 项、即将到期 1 项】", [CONTACT])],
        "2024-10-10": [(esc, [SUPERVISOR]), (late, [CONTACT])],
        "2024-10-11": [(esc, [SUPERVISOR]), (mixed, [CONTACT])],
        "2024-10-12": [(esc, [SUPERVISOR]), (late, [CONTACT])],  # the makeup Saturday
        "2024-10-14": [(esc, [SUPERVISOR]), (late, [CONTACT])],  # D answered on Sunday: gone
        "2024-10-15": [(late, [CONTACT])],
    }
    by_day = {r["working_day"].isoformat(): r for r in rows(engine) if r["kind"] == "notice"}
    assert [i["application_id"] for i in json.loads(by_day["2024-09-30"]["items"])] == ["D", "E"]
    assert [i["application_id"] for i in json.loads(by_day["2024-10-14"]["items"])] == ["B", "F"]
    # planned at 20:00 on the 15th for the 16th: waiting; everything earlier went out
    assert {(r["working_day"] > dt.date(2024, 10, 15), r["status"]) for r in rows(engine)} == {
        (False, "sent"),
        (True, "queued"),
    }
    # every message went out inside the window of a working day
    for r in (r for r in rows(engine) if r["status"] == "sent"):
        local = r["sent_at"].astimezone(rt.tz)
        assert rt.calendar.is_working_day(local.date()) and dt.time(9) <= local.time() <= dt.time(
            17, 30
        )


def test_repeated_plans_at_the_same_moment_queue_nothing_new(
    tmp_path: Path, smtp_server: Any
) -> None:
    rt, engine = setup(tmp_path, smtp_server)
    now = at("2024-10-10 10:00")
    recs = [
        record("C", "2024-09-24 10:00"),
        record("G", "2024-09-24 10:00", provider_dept="省教育厅"),
    ]
    first = ingest_records(engine, rt, recs, now, plan=True)
    # notice and 督办 for each department; 省教育厅 has no contact: its notice goes to the supervisors
    assert first.planned == 4
    for _ in range(3):
        assert ingest_records(engine, rt, recs, now, plan=True).planned == 0
        with engine.begin() as conn:
            assert plan_notices(conn, rt, now) == 0
    assert len(rows(engine)) == 4
    deliver_due(engine, rt, now, "w")
    assert len(smtp_server.messages) == 4
    # later the same day, after sending: still nothing new
    assert ingest_records(engine, rt, recs, at("2024-10-10 15:00"), plan=True).planned == 0
    deliver_due(engine, rt, at("2024-10-10 15:00"), "w")
    assert len(smtp_server.messages) == 4
    unassigned = smtp_server.to(SUPERVISOR)
    assert any("【未配置联系人】" in m.subject and "省教育厅" in m.subject for m in unassigned)


def _one_queued(
    tmp_path: Path, server: Any, now: dt.datetime, **overrides: Any
) -> tuple[Any, Any, int]:
    rt, engine = setup(tmp_path, server, **overrides)
    ingest_records(engine, rt, [record("C", "2024-09-24 10:00")], now, plan=True)
    (row,) = [r for r in rows(engine) if r["kind"] == "notice"]
    return rt, engine, row["id"]


def test_restart_between_claim_and_send_neither_loses_nor_duplicates(
    tmp_path: Path, smtp_server: Any
) -> None:
    now = at("2024-10-08 10:00")
    rt, engine, row_id = _one_queued(tmp_path, smtp_server, now)
    with engine.begin() as conn:  # a worker claims the row, then its process dies
        assert outbox.claim(conn, row_id, "dead-worker", now, dt.timedelta(minutes=10))
    # while the claim is fresh nobody else may take it
    report = deliver_due(engine, rt, now + dt.timedelta(minutes=1), "survivor")
    assert report.sent == 0 and smtp_server.messages == []
    # after the claim timeout the survivor sends it, exactly once
    report = deliver_due(engine, rt, now + dt.timedelta(minutes=11), "survivor")
    assert report.sent == 1 and len(smtp_server.messages) == 1
    for minutes in (12, 30, 60):
        assert deliver_due(engine, rt, now + dt.timedelta(minutes=minutes), "survivor").sent == 0
    assert len(smtp_server.messages) == 1
    (row,) = [r for r in rows(engine) if r["id"] == row_id]
    assert row["status"] == "sent" and row["claimed_by"] == "survivor" and row["attempts"] == 2
    # the dead worker, if it came back, can no longer record anything on that row
    with engine.begin() as conn:
        assert not outbox.mark_sent(conn, row_id, "dead-worker", now, {})


def test_crash_after_the_server_accepted_resends_with_the_same_message_id(
    tmp_path: Path, smtp_server: Any
) -> None:
    """The documented at-least-once edge: accepted by SMTP, process died before 'sent' was
    committed. After the claim timeout it is sent again with the same Message-ID, then never again."""
    now = at("2024-10-08 10:00")
    rt, engine, row_id = _one_queued(tmp_path, smtp_server, now)
    with engine.begin() as conn:
        assert outbox.claim(conn, row_id, "dying", now, dt.timedelta(minutes=10))
        row = outbox.load(conn, row_id)
    from slamon.service.delivery import _prepare

    with engine.begin() as conn:
        message = _prepare(conn, rt, row, "dying")
    mailer = YagmailMailer(rt.settings.smtp)
    mailer.send(message)  # accepted by the server ...
    mailer.close()  # ... and the process dies here
    deliver_due(engine, rt, now + dt.timedelta(minutes=11), "survivor")
    deliver_due(engine, rt, now + dt.timedelta(minutes=20), "survivor")
    assert len(smtp_server.messages) == 2
    assert (
        smtp_server.messages[0].message_id
        == smtp_server.messages[1].message_id
        == row["message_id"]
    )


def test_smtp_down_messages_wait_and_go_out_when_it_returns(
    tmp_path: Path, smtp_server: Any
) -> None:
    rt, engine = setup(tmp_path, smtp_server)
    now = at("2024-10-10 10:00")
    recs = [
        record("C", "2024-09-24 10:00"),
        record("G", "2024-09-24 10:00", provider_dept="省教育厅"),
    ]
    ingest_records(engine, rt, recs, now, plan=True)
    smtp_server.stop()
    for minutes in (0, 5, 30, 120, 400):  # a long outage: far more passes than max_attempts
        report = deliver_due(engine, rt, now + dt.timedelta(minutes=minutes), "w", max_attempts=2)
        assert report.sent == 0 and report.failed == 0
        assert report.stopped and "无法连接" in report.stopped
    states = {r["status"] for r in rows(engine)}
    assert states <= {"queued", "retry"}
    assert all(r["attempts"] == 0 for r in rows(engine))  # an outage is not the message's fault
    assert any("无法连接" in (r["last_error"] or "") for r in rows(engine))
    # the next opening after 17:30 is the next working day: retries never leave outside the window
    assert all(r["not_before"].astimezone(rt.tz).time() >= dt.time(9) for r in rows(engine))
    smtp_server.start()
    report = deliver_due(engine, rt, at("2024-10-11 09:00"), "w")
    assert report.sent == 4 and len(smtp_server.messages) == 4
    assert sorted(m.subject[:6] for m in smtp_server.messages) == sorted(
        ["【督办】省公", "【督办】省教", "【已超期】省", "【未配置联系"]
    )
    assert deliver_due(engine, rt, at("2024-10-11 10:00"), "w").sent == 0


def test_one_of_two_recipients_refused(tmp_path: Path, smtp_server: Any) -> None:
    now = at("2024-10-08 10:00")
    bad = "tuixin@ggzy.example.gov.cn"
    rt, engine, row_id = _one_queued(tmp_path, smtp_server, now, contacts={DEPT: [CONTACT, bad]})
    smtp_server.refuse(bad, 550)
    report = deliver_due(engine, rt, now, "w")
    assert report.sent == 1
    assert list(report.refused[row_id]) == [bad] and report.refused[row_id][bad].startswith("550")
    (m,) = smtp_server.messages
    assert m.rcpt_tos == [CONTACT]
    row = next(r for r in rows(engine) if r["id"] == row_id)
    assert row["status"] == "sent" and bad in json.loads(row["refused"])


def test_every_recipient_refused_permanently_fails_with_the_reasons(
    tmp_path: Path, smtp_server: Any
) -> None:
    now = at("2024-10-08 10:00")
    rt, engine, row_id = _one_queued(tmp_path, smtp_server, now)
    smtp_server.refuse(CONTACT, 550)
    report = deliver_due(engine, rt, now, "w")
    assert report.failed == 1 and report.sent == 0
    row = next(r for r in rows(engine) if r["id"] == row_id)
    assert row["status"] == "failed" and CONTACT in json.loads(row["refused"])
    assert "拒收" in row["last_error"]


def test_temporary_refusal_retries_with_backoff_then_fails_after_max_attempts(
    tmp_path: Path, smtp_server: Any
) -> None:
    now = at("2024-10-08 10:00")
    rt, engine, row_id = _one_queued(tmp_path, smtp_server, now)
    smtp_server.data_reply = "451 4.3.0 try again later"
    backoff = dt.timedelta(seconds=10)
    seen = []
    t = now
    for _ in range(3):
        deliver_due(engine, rt, t, "w", backoff=backoff, max_attempts=3)
        row = next(r for r in rows(engine) if r["id"] == row_id)
        seen.append((row["status"], row["attempts"]))
        if row["status"] == "retry":
            gap = row["not_before"] - t
            assert gap == backoff * 2 ** (row["attempts"] - 1)
            t = row["not_before"]
    assert seen == [("retry", 1), ("retry", 2), ("failed", 3)]
    assert "451" in row["last_error"]


def test_auth_failure_is_clear_and_retried_later(
    tmp_path: Path, smtp_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    smtp_server.require_auth("slamon", "right-password")
    monkeypatch.setenv("SLAMON_SMTP_PASSWORD", "wrong-password")
    now = at("2024-10-08 10:00")
    rt, engine, row_id = _one_queued(
        tmp_path, smtp_server, now, smtp=smtp_server.smtp_config(username="slamon")
    )
    report = deliver_due(engine, rt, now, "w")
    assert report.retried == 1 and report.sent == 0
    assert report.stopped and "SMTP 登录失败" in report.stopped and "535" in report.stopped
    row = next(r for r in rows(engine) if r["id"] == row_id)
    assert row["status"] == "retry" and "SMTP 登录失败" in row["last_error"]
    monkeypatch.setenv("SLAMON_SMTP_PASSWORD", "right-password")
    report = deliver_due(engine, rt, now + dt.timedelta(minutes=5), "w")
    assert report.sent == 1 and len(smtp_server.messages) == 1


def test_server_requires_login_but_none_configured(tmp_path: Path, smtp_server: Any) -> None:
    smtp_server.require_auth("slamon", "pw")
    now = at("2024-10-08 10:00")
    rt, engine, _row_id = _one_queued(tmp_path, smtp_server, now)
    report = deliver_due(engine, rt, now, "w")
    assert report.stopped and "530" in report.stopped and "smtp.username" in report.stopped


def test_script_in_resource_name_is_escaped_in_html(tmp_path: Path, smtp_server: Any) -> None:
    rt, engine = setup(tmp_path, smtp_server)
    now = at("2024-10-08 10:00")
    evil = '<script>alert("x")</script>工程类'
    ingest_records(
        engine,
        rt,
        [record("C", "2024-09-24 10:00", resource_name=evil, applicant_dept="<b>省税务局</b>")],
        now,
        plan=True,
    )
    deliver_due(engine, rt, now, "w")
    (m,) = smtp_server.messages
    html, text = m.part("html"), m.part("plain")
    assert (
        "<script>" not in html and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;工程类" in html
    )
    assert "&lt;b&gt;省税务局&lt;/b&gt;" in html
    assert evil in text and "<table" not in text and "<p>" not in text  # a real plain-text part


def test_answered_before_sending_is_dropped_or_cancelled(tmp_path: Path, smtp_server: Any) -> None:
    rt, engine = setup(tmp_path, smtp_server)
    planned_at = at("2024-10-03 10:00")  # planned during the holiday for 8 October
    recs = [record("C", "2024-09-24 10:00"), record("H", "2024-09-23 10:00")]
    ingest_records(engine, rt, recs, planned_at, plan=True)
    answered = dataclasses.replace(recs[1], decision="approved", decided_at=at("2024-10-08 08:00"))
    ingest_records(engine, rt, [recs[0], answered], at("2024-10-08 08:30"), plan=True)
    deliver_due(engine, rt, at("2024-10-08 09:00"), "w")
    (m,) = smtp_server.messages
    assert "申请编号 H" not in m.part("plain") and "申请编号 C" in m.part("plain")
    assert ">H<" not in m.part("html") and ">C<" in m.part("html")
    assert "1 项" in m.subject
    # now C is answered too before the next alert leaves: the row is cancelled, nothing sent
    done = dataclasses.replace(recs[0], decision="approved", decided_at=at("2024-10-09 20:00"))
    ingest_records(engine, rt, [done, answered], at("2024-10-09 20:00"), plan=True)
    with engine.begin() as conn:  # force a planned row to exist for the 10th, listing C
        conn.execute(
            update(OB)
            .where(OB.c.working_day == dt.date(2024, 10, 8))
            .values(status="queued", attempts=0, not_before=at("2024-10-10 09:00"))
        )
    report = deliver_due(engine, rt, at("2024-10-10 09:00"), "w")
    assert report.cancelled == 1 and len(smtp_server.messages) == 1


def _two_workers(engine: Any, rt: Any, now: dt.datetime) -> list[Any]:
    import threading

    reports: list[Any] = []
    barrier = threading.Barrier(2)

    def work(name: str) -> None:
        barrier.wait()
        reports.append(deliver_due(engine, rt, now, name))

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return reports


def test_two_workers_at_once_send_each_message_once(tmp_path: Path, smtp_server: Any) -> None:
    rt, engine = setup(tmp_path, smtp_server)
    now = at("2024-10-10 10:00")
    recs = [record(f"C{i}", "2024-09-24 10:00", provider_dept=f"部门{i:02d}") for i in range(30)]
    planned = ingest_records(engine, rt, recs, now, plan=True).planned
    reports = _two_workers(engine, rt, now)
    assert sum(r.sent for r in reports) == planned == len(smtp_server.messages)
    assert len({m.message_id for m in smtp_server.messages}) == planned


@pytest.mark.postgres
def test_postgresql_idempotent_plan_and_exclusive_claims(
    pg_url: str, tmp_path: Path, smtp_server: Any
) -> None:
    from storehelpers import fresh_pg_database

    with fresh_pg_database(pg_url) as url:
        rt = make_runtime(
            tmp_path,
            smtp=smtp_server.smtp_config(),
            contacts={DEPT: [CONTACT]},
            supervisors=[SUPERVISOR],
        )
        engine = open_store(url)
        try:
            now = at("2024-10-10 10:00")
            recs = [
                record(f"C{i}", "2024-09-24 10:00", provider_dept=f"部门{i:02d}") for i in range(20)
            ]
            planned = ingest_records(engine, rt, recs, now, plan=True).planned
            assert (
                planned == 40
            )  # a notice (to the supervisors: no contact) and a 督办 per department
            assert ingest_records(engine, rt, recs, now, plan=True).planned == 0
            with engine.begin() as conn:
                assert plan_notices(conn, rt, now) == 0
            reports = _two_workers(engine, rt, now)
            assert sum(r.sent for r in reports) == planned == len(smtp_server.messages)
            assert len({m.message_id for m in smtp_server.messages}) == planned
        finally:
            engine.dispose()
