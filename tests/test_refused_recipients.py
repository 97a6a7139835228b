"""A refused recipient is seen where people look: a real SMTP server (aiosmtpd) refuses one of a
department's two contacts with 550; the message goes to the other one, and the refused address
appears in ``slamon outbox``, in ``health`` (text and ``--json``) and in the weekly digest, until
it accepts mail again, leaves the configuration, or a week has passed."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from storehelpers import at, ingest_records, make_runtime, record

from slamon.adapters.store.db import open_store
from slamon.core.refusals import Delivery, open_refusals
from slamon.service.delivery import deliver_due

DEPT = "省公共资源交易中心"
CONTACT, BAD = "lianxiren@ggzy.example.gov.cn", "tuixin@ggzy.example.gov.cn"
SUPERVISOR = "dudao@dsj.example.gov.cn"
SENT_AT = at("2024-10-15 10:00")  # a Tuesday: B, due 2024-10-10, is overdue


def config(smtp_server: Any, contacts: list[str]) -> dict[str, Any]:
    return {
        "store": {"url": "sqlite:///store.db"},
        "source": {"kind": "none"},
        "smtp": smtp_server.smtp_config(),
        "contacts": {DEPT: contacts},
        "supervisors": [SUPERVISOR],
    }


def deliver_day(tmp_path: Path, smtp_server: Any, now: dt.datetime) -> Any:
    """Plan the day's notices for B (received 2024-09-27) and send them through the server."""
    rt = make_runtime(tmp_path, **config(smtp_server, [CONTACT, BAD]))
    engine = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        ingest_records(engine, rt, [record("B", "2024-09-27 10:00")], now, plan=True)
        return deliver_due(engine, rt, now, "test")
    finally:
        engine.dispose()


@pytest.fixture
def refused_once(tmp_path: Path, smtp_server: Any, write_config) -> Path:
    smtp_server.refuse(BAD, 550)
    report = deliver_day(tmp_path, smtp_server, SENT_AT)
    assert report.sent == 2 and not report.failed  # the notice and the 督办
    (notice,) = [m for m in smtp_server.messages if CONTACT in m.rcpt_tos]
    assert notice.rcpt_tos == [CONTACT]
    return write_config(config(smtp_server, [CONTACT, BAD]))


def test_outbox_lists_the_message_with_the_refused_recipient(run_cli, refused_once) -> None:
    res = run_cli(["outbox", "--now", "2024-10-15T11:00"], config=refused_once)
    assert res.exit_code == 0, res.stderr
    assert "没有待发送" not in res.stdout
    assert f"最近 7 天有 1 个收件人拒收邮件：{BAD}（{DEPT}，1 次）" in res.stdout
    (row,) = [line for line in res.stdout.splitlines() if "拒收：" in line]
    assert BAD in row and "已发送" in row and DEPT in row


def test_outbox_json_names_the_refused_address(run_cli, refused_once) -> None:
    res = run_cli(["outbox", "--json", "--now", "2024-10-15T11:00"], config=refused_once)
    data = json.loads(res.stdout)
    (refused,) = data["refused_recipients"]
    assert refused["address"] == BAD and refused["department"] == DEPT
    assert refused["count"] == 1 and refused["reason"].startswith("550")
    assert refused["last_refused_at"].startswith("2024-10-15T10:00")
    (message,) = data["messages"]
    assert message["status"] == "sent" and list(message["refused"]) == [BAD]


def test_health_counts_and_names_the_refused_address(run_cli, refused_once) -> None:
    res = run_cli(["health", "--json", "--now", "2024-10-15T11:00"], config=refused_once)
    h = json.loads(res.stdout)
    assert [(r["address"], r["department"], r["count"]) for r in h["refused_recipients"]] == [
        (BAD, DEPT, 1)
    ]
    assert any(BAD in p for p in h["problems"]) and h["ok"] is False
    text = run_cli(["health", "--now", "2024-10-15T11:00"], config=refused_once).stdout
    assert (
        f"问题：最近 7 天有 1 个收件人拒收邮件：{BAD}（{DEPT}，1 次）（slamon outbox 查看）" in text
    )


def test_the_weekly_digest_names_the_refused_contact(run_cli, refused_once) -> None:
    res = run_cli(
        ["digest", "--week", "2024-W42", "--now", "2024-10-21T09:30"], config=refused_once
    )
    assert res.exit_code == 0, res.stderr
    line = f"本周有 1 个收件人拒收邮件：{BAD}（{DEPT}，1 次），请核实联系人配置"
    assert f"注意：{line}" in res.stdout
    assert f"警告：{line}" in res.stderr
    before = run_cli(
        ["digest", "--week", "2024-W41", "--now", "2024-10-21T09:30"], config=refused_once
    )
    assert BAD not in before.stdout + before.stderr  # the refusal was in week 42, not 41


def test_the_refusal_fades_after_a_week(run_cli, refused_once) -> None:
    later = ["--now", "2024-10-23T10:00"]
    res = run_cli(["outbox", *later], config=refused_once)
    assert BAD not in res.stdout and "没有待发送、发送失败或被拒收的邮件" in res.stdout
    h = json.loads(run_cli(["health", "--json", *later], config=refused_once).stdout)
    assert h["refused_recipients"] == [] and not any(BAD in p for p in h["problems"])


def test_a_contact_taken_out_of_the_configuration_is_no_longer_reported(
    run_cli, refused_once, write_config, smtp_server
) -> None:
    fixed = write_config(config(smtp_server, [CONTACT]), name="fixed.yaml")
    h = json.loads(run_cli(["health", "--json", "--now", "2024-10-15T11:00"], config=fixed).stdout)
    assert h["refused_recipients"] == []
    # the message itself stays listed for the week: what happened is not rewritten
    assert BAD in run_cli(["outbox", "--now", "2024-10-15T11:00"], config=fixed).stdout


def test_a_contact_that_accepts_a_later_message_is_no_longer_reported(
    run_cli, refused_once, tmp_path, smtp_server
) -> None:
    del smtp_server.refused[BAD]  # the mailbox was repaired
    report = deliver_day(tmp_path, smtp_server, at("2024-10-17 10:00"))  # the next repeat
    assert report.sent >= 1 and not report.refused
    assert any(BAD in m.rcpt_tos for m in smtp_server.messages)
    now = ["--now", "2024-10-17T11:00"]
    h = json.loads(run_cli(["health", "--json", *now], config=refused_once).stdout)
    assert h["refused_recipients"] == []


# -- the rule itself, on its own -----------------------------------------------------------------
def _d(hour: int, recipients: list[str], refused: list[str], delivered: bool = True) -> Delivery:
    return Delivery(
        at=at(f"2024-10-15 {hour:02d}:00"),
        department=DEPT,
        recipients=recipients,
        refused={a: "550 5.1.1 refused" for a in refused},
        delivered=delivered,
    )


def test_open_refusals_counts_keeps_the_last_and_settles_on_a_later_acceptance() -> None:
    both = [CONTACT, BAD]
    configured = {CONTACT, BAD.upper()}  # addresses compare without case
    (r,) = open_refusals([_d(11, both, [BAD]), _d(10, both, [BAD])], configured)
    assert (r.address, r.count, r.last_refused_at) == (BAD, 2, at("2024-10-15 11:00"))
    assert open_refusals([_d(10, both, [BAD]), _d(11, both, [])], configured) == []
    # a later refusal opens it again; a failed message (nothing delivered) settles nothing
    (again,) = open_refusals([_d(9, both, []), _d(10, both, [BAD])], configured)
    assert again.count == 1
    (failed,) = open_refusals([_d(10, [BAD], [BAD]), _d(11, [BAD], [], False)], configured)
    assert failed.address == BAD
    assert open_refusals([_d(10, both, [BAD])], {CONTACT}) == []
