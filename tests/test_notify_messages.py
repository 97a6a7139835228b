"""Messages and the yagmail adapter: MIME structure, Message-ID, site templates, keyring never,
yagmail's False return, stale-source alerts and queue_message."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from storehelpers import at, ingest_records, make_runtime, record

from slamon.adapters.mail.mailer import DeliveryError, OutgoingMessage, YagmailMailer
from slamon.adapters.mail.messages import message_id, render
from slamon.adapters.store import outbox
from slamon.adapters.store.db import open_store
from slamon.core.formats import chinese_date_weekday
from slamon.service.delivery import backoff_delay, deliver_due
from slamon.service.notices import notify_stale_source, queue_message

DEPT = "省公共资源交易中心"


def _env(tmp_path: Path, server: Any, **overrides: Any) -> tuple[Any, Any]:
    config = {
        "smtp": server.smtp_config(),
        "contacts": {DEPT: ["a@ggzy.example.gov.cn"]},
        "supervisors": ["boss@dsj.example.gov.cn"],
        **overrides,
    }
    rt = make_runtime(tmp_path, **config)
    return rt, open_store(f"sqlite:///{tmp_path / 'slamon.db'}")


def _message(**kw: Any) -> OutgoingMessage:
    base = dict(
        recipients=("a@ggzy.example.gov.cn",),
        subject="【已超期】测试",
        text="纯文本正文\n",
        html="<p>网页正文</p>",
        message_id="<slamon.test@xxzx.example.gov.cn>",
    )
    base.update(kw)
    return OutgoingMessage(**base)


def test_mime_has_real_text_and_html_parts_and_the_given_message_id(
    smtp_server: Any, tmp_path: Path
) -> None:
    rt, _engine = _env(tmp_path, smtp_server)
    mailer = YagmailMailer(rt.settings.smtp)
    result = mailer.send(_message())
    mailer.close()
    assert result.accepted == ["a@ggzy.example.gov.cn"] and result.refused == {}
    (m,) = smtp_server.messages
    assert m.message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in m.message.iter_parts()] == ["text/plain", "text/html"]
    assert m.part("plain") == "纯文本正文\n" and m.part("html").strip() == "<p>网页正文</p>"
    assert m.subject == "【已超期】测试" and m.message_id == "<slamon.test@xxzx.example.gov.cn>"
    assert m.mail_from == "slamon@xxzx.example.gov.cn" and "数据共享申请时限监测" in str(
        m.message["From"]
    )


def test_connection_is_reused_across_messages(smtp_server: Any, tmp_path: Path) -> None:
    rt, _engine = _env(tmp_path, smtp_server)
    mailer = YagmailMailer(rt.settings.smtp)
    for i in range(5):
        mailer.send(_message(message_id=f"<m{i}@x>"))
    mailer.close()
    assert len(smtp_server.messages) == 5 and smtp_server.connections == 1


def test_message_id_depends_only_on_the_key() -> None:
    a = message_id("省公共资源交易中心|notice|2024-10-08", "slamon@xxzx.example.gov.cn")
    assert a == message_id("省公共资源交易中心|notice|2024-10-08", "slamon@xxzx.example.gov.cn")
    assert a != message_id("省公共资源交易中心|notice|2024-10-09", "slamon@xxzx.example.gov.cn")
    assert a.startswith("<slamon.") and a.endswith("@xxzx.example.gov.cn>")


def test_keyring_is_never_asked(
    smtp_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import yagmail.sender

    def boom(*_a: Any, **_k: Any) -> str:
        raise AssertionError("keyring must never be consulted")

    monkeypatch.setattr(yagmail.sender, "handle_password", boom)
    monkeypatch.setattr(yagmail.sender.Client, "handle_password", staticmethod(boom))
    smtp_server.require_auth("slamon", "s3cret")
    monkeypatch.setenv("SLAMON_SMTP_PASSWORD", "s3cret")
    rt, _engine = _env(tmp_path, smtp_server, smtp=smtp_server.smtp_config(username="slamon"))
    mailer = YagmailMailer(rt.settings.smtp)
    mailer.send(_message())
    mailer.close()
    assert len(smtp_server.messages) == 1
    # no password at all: a clear error before any connection, never a prompt
    monkeypatch.delenv("SLAMON_SMTP_PASSWORD")
    with pytest.raises(DeliveryError, match="SLAMON_SMTP_PASSWORD"):
        YagmailMailer(rt.settings.smtp)


def test_password_file_is_used(
    smtp_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SLAMON_SMTP_PASSWORD", raising=False)
    (tmp_path / "smtp.pw").write_text("from-file\n", encoding="utf-8")
    smtp_server.require_auth("slamon", "from-file")
    rt, _engine = _env(
        tmp_path,
        smtp_server,
        smtp=smtp_server.smtp_config(username="slamon", password_file="smtp.pw"),
    )
    mailer = YagmailMailer(rt.settings.smtp)
    mailer.send(_message())
    mailer.close()
    assert len(smtp_server.messages) == 1


def test_dropped_connection_at_data_is_one_attempt_with_an_unknown_outcome(
    smtp_server: Any, tmp_path: Path
) -> None:
    """yagmail's own loop would send the message up to three times on a dropped connection; the
    adapter makes one attempt. Dropped while the message was handed over, the outcome is unknown:
    the row counts the attempt and is resent once, later, with the same Message-ID."""
    rt, engine = _env(tmp_path, smtp_server)
    now = at("2024-10-08 10:00")
    ingest_records(engine, rt, [record("C", "2024-09-24 10:00")], now, plan=True)
    smtp_server.drop_on_data = True
    report = deliver_due(engine, rt, now, "w")
    assert report.sent == 0 and report.retried == 1 and report.stopped is None
    assert smtp_server.connections == 1  # one SMTP session: no hidden retries
    assert "无法确定是否已投递" in next(iter(report.errors.values()))
    smtp_server.drop_on_data = False
    assert deliver_due(engine, rt, now + dt.timedelta(minutes=2), "w").sent == 1
    assert len(smtp_server.messages) == 1


def test_site_templates_override_only_what_they_contain(smtp_server: Any, tmp_path: Path) -> None:
    site = tmp_path / "mail-templates"
    site.mkdir()
    (site / "notice.subject.j2").write_text(
        "【本省催办】{{ department }} 共 {{ items|length }} 项", encoding="utf-8"
    )
    (site / "notice.html.j2").write_text("<p>{{ items[0].resource_name }}</p>", encoding="utf-8")
    rt, engine = _env(tmp_path, smtp_server, notify={"templates_dir": str(site)})
    now = at("2024-10-08 10:00")
    ingest_records(
        engine, rt, [record("C", "2024-09-24 10:00", resource_name="<i>x</i>")], now, plan=True
    )
    deliver_due(engine, rt, now, "w")
    (m,) = smtp_server.messages
    assert m.subject == f"【本省催办】{DEPT} 共 1 项"
    assert (
        m.part("html").strip() == "<p>&lt;i&gt;x&lt;/i&gt;</p>"
    )  # a site template autoescapes too
    assert "已超期" in m.part("plain")  # the built-in text template


def test_render_builtin_escalation_and_stale() -> None:
    r = render(
        "stale_source",
        {
            "message": "数据源 sql 自 <昨天> 起无法读取",
            "day": dt.date(2024, 10, 12),
            "now": at("2024-10-12 10:00"),
        },
    )
    assert "&lt;昨天&gt;" in r.html and "<昨天>" in r.text and "数据源告警" in r.subject
    assert chinese_date_weekday(dt.date(2024, 10, 12)) == "2024年10月12日（周六）"


def test_stale_source_mails_operators_once_per_working_day(
    smtp_server: Any, tmp_path: Path
) -> None:
    rt, engine = _env(tmp_path, smtp_server, operators=["ops@xxzx.example.gov.cn"])
    text = "数据源 sql 已超过 120 分钟没有新的记录"
    # during the holiday: one alert, queued for the next working day (8 October), nothing sent
    assert notify_stale_source(engine, rt, at("2024-10-03 10:00"), text, source="sql") is True
    assert notify_stale_source(engine, rt, at("2024-10-05 10:00"), text, source="sql") is False
    assert deliver_due(engine, rt, at("2024-10-05 10:00"), "w").outside_window
    for hhmm in ("09:00", "10:10", "16:00"):
        assert (
            notify_stale_source(engine, rt, at(f"2024-10-08 {hhmm}"), text, source="sql") is False
        )
        deliver_due(engine, rt, at(f"2024-10-08 {hhmm}"), "w")
    assert len(smtp_server.messages) == 1 and smtp_server.messages[0].rcpt_tos == [
        "ops@xxzx.example.gov.cn"
    ]
    assert notify_stale_source(engine, rt, at("2024-10-09 10:00"), text, source="sql") is True
    deliver_due(engine, rt, at("2024-10-09 10:00"), "w")
    assert len(smtp_server.messages) == 2 and text in smtp_server.messages[1].part("plain")


def test_stale_source_falls_back_to_supervisors(smtp_server: Any, tmp_path: Path) -> None:
    rt, engine = _env(tmp_path, smtp_server)
    notify_stale_source(engine, rt, at("2024-10-08 10:00"), "数据源无法读取")
    deliver_due(engine, rt, at("2024-10-08 10:00"), "w")
    assert smtp_server.messages[0].rcpt_tos == ["boss@dsj.example.gov.cn"]


def test_queue_message_is_idempotent_and_respects_the_window(
    smtp_server: Any, tmp_path: Path
) -> None:
    rt, engine = _env(tmp_path, smtp_server)
    kw = dict(
        key="digest|2024-W41",
        kind="digest",
        recipients=["boss@dsj.example.gov.cn"],
        subject="【周报】数据共享申请答复情况",
        text="本周情况",
        html="<p>本周情况</p>",
    )
    assert queue_message(engine, rt, at("2024-10-13 08:00"), **kw) is True  # a Sunday
    with engine.begin() as conn:
        assert queue_message(conn, rt, at("2024-10-13 08:05"), **kw) is False
    assert deliver_due(engine, rt, at("2024-10-13 10:00"), "w").outside_window
    deliver_due(engine, rt, at("2024-10-14 09:00"), "w")
    (m,) = smtp_server.messages
    assert m.subject == "【周报】数据共享申请答复情况" and m.part("plain").strip() == "本周情况"
    with engine.connect() as conn:
        (row,) = conn.execute(select(outbox.OUTBOX)).mappings()
    assert row["working_day"] == dt.date(2024, 10, 14) and row["status"] == "sent"


def test_no_recipient_at_all_is_recorded_as_failed_never_dropped(
    smtp_server: Any, tmp_path: Path
) -> None:
    rt, engine = _env(tmp_path, smtp_server, contacts={}, supervisors=[])
    ingest_records(engine, rt, [record("C", "2024-09-24 10:00")], at("2024-10-08 10:00"), plan=True)
    with engine.connect() as conn:
        rows = list(conn.execute(select(outbox.OUTBOX)).mappings())
    assert {r["status"] for r in rows} == {"failed"}
    assert any("未配置联系人" in r["last_error"] for r in rows)


def test_backoff_doubles_and_is_capped() -> None:
    base = dt.timedelta(minutes=1)
    assert [
        backoff_delay(a, base, dt.timedelta(minutes=10)).seconds // 60 for a in range(1, 7)
    ] == [1, 2, 4, 8, 10, 10]


def test_a_long_notice_with_many_items_arrives_intact(smtp_server: Any, tmp_path: Path) -> None:
    rt, engine = _env(tmp_path, smtp_server, notify={"max_items_per_mail": 300})  # all listed
    now = at("2024-10-08 10:00")
    recs = [
        record(f"SQ{i:04d}", "2024-09-24 10:00", resource_name="工程类_招标项目" * 20)
        for i in range(300)
    ]
    ingest_records(engine, rt, recs, now, plan=True)
    report = deliver_due(engine, rt, now, "w")
    assert report.sent == 1, report.errors
    (m,) = smtp_server.messages
    assert all(len(line) <= 998 for line in m.raw.splitlines())
    assert m.part("plain").count("申请编号 SQ") == 300 and m.part("html").count("<tr><td>SQ") == 300
