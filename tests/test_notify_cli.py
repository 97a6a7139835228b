"""``slamon outbox`` / ``slamon outbox retry ID`` and the check-config contacts finding."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from storehelpers import REPO_ROOT, at, ingest_records, record

from slamon.adapters.store import outbox
from slamon.adapters.store.db import open_store
from slamon.config import load_settings
from slamon.runtime import Runtime
from slamon.service.contact_checks import check_contacts
from slamon.service.delivery import deliver_due

DEPT = "省公共资源交易中心"


@pytest.fixture(autouse=True)
def _outbox_command_registered() -> None:
    from slamon.cli import app, mail_cmds

    if not any(g.name == "outbox" for g in app.registered_groups):
        mail_cmds.register(app)


def _setup(
    tmp_path: Path, write_config: Any, server: Any, **extra: Any
) -> tuple[Path, Runtime, Any]:
    config = write_config(
        {
            "store": {"url": "sqlite:///slamon.db"},
            "rules": {"dir": str(REPO_ROOT / "rules")},
            "source": {"kind": "none"},
            "smtp": server.smtp_config(),
            "contacts": {DEPT: ["a@ggzy.example.gov.cn", "b@ggzy.example.gov.cn"]},
            "supervisors": ["boss@dsj.example.gov.cn"],
            **extra,
        }
    )
    rt = Runtime(load_settings(config, env={}))
    return config, rt, open_store(rt.settings.store_url)


def test_outbox_lists_queued_and_failed_and_retry_requeues(
    tmp_path: Path, write_config: Any, run_cli: Any, smtp_server: Any
) -> None:
    config, rt, engine = _setup(tmp_path, write_config, smtp_server)
    now = at("2024-10-10 10:00")
    ingest_records(
        engine,
        rt,
        [
            record("C", "2024-09-24 10:00"),
            record("G", "2024-09-24 10:00", provider_dept="省教育厅"),
        ],
        now,
        plan=True,
    )
    smtp_server.refuse("boss@dsj.example.gov.cn")  # the supervisors' mail fails for good
    smtp_server.refuse("b@ggzy.example.gov.cn")
    deliver_due(engine, rt, now, "w")

    result = run_cli(["outbox", "--json"], config=config)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["counts"] == {"sent": 1, "failed": 3}
    failed = data["messages"]
    assert {m["status"] for m in failed} == {"failed"} and len(failed) == 3
    assert all("boss@dsj.example.gov.cn" in m["refused"] for m in failed)
    assert {m["kind"] for m in failed} == {"notice", "escalation"}

    result = run_cli(["outbox", "--all", "--json"], config=config)
    sent = [m for m in json.loads(result.stdout)["messages"] if m["status"] == "sent"]
    assert sent[0]["refused"] == {
        "b@ggzy.example.gov.cn": sent[0]["refused"]["b@ggzy.example.gov.cn"]
    }

    result = run_cli(["outbox"], config=config)
    assert result.exit_code == 0 and "发送失败 3" in result.stdout and "督办" in result.stdout

    target = failed[0]["id"]
    result = run_cli(["outbox", "retry", str(target), "--now", "2024-10-10 11:00"], config=config)
    assert result.exit_code == 0 and "已重新排队" in result.stdout
    with engine.connect() as conn:
        row = (
            conn.execute(select(outbox.OUTBOX).where(outbox.OUTBOX.c.id == target)).mappings().one()
        )
    assert row["status"] == "queued" and row["attempts"] == 0
    smtp_server.refused.clear()
    assert deliver_due(engine, rt, at("2024-10-10 11:01"), "w").sent == 1

    assert run_cli(["outbox", "retry", "999"], config=config).exit_code == 1
    sent_id = sent[0]["id"]
    result = run_cli(["outbox", "retry", str(sent_id)], config=config)
    assert result.exit_code == 1 and "已发送" in result.stderr


def test_outbox_empty(tmp_path: Path, write_config: Any, run_cli: Any, smtp_server: Any) -> None:
    config, _rt, _engine = _setup(tmp_path, write_config, smtp_server)
    result = run_cli(["outbox"], config=config)
    assert result.exit_code == 0 and "没有待发送" in result.stdout


def test_stuck_sending_row_is_listed(
    tmp_path: Path, write_config: Any, run_cli: Any, smtp_server: Any
) -> None:
    config, rt, engine = _setup(tmp_path, write_config, smtp_server)
    ingest_records(engine, rt, [record("C", "2024-09-24 10:00")], at("2024-10-10 10:00"), plan=True)
    with engine.begin() as conn:
        conn.execute(update(outbox.OUTBOX).values(status="sending", claimed_by="dead"))
    data = json.loads(run_cli(["outbox", "--json"], config=config).stdout)
    assert {m["status"] for m in data["messages"]} == {"sending"}


def test_check_contacts_lists_departments_without_contact(
    tmp_path: Path, write_config: Any, smtp_server: Any
) -> None:
    # a contact listed under an alias counts for the canonical name; alias targets alone are not
    # departments (aliases also name regions)
    _config, rt, engine = _setup(
        tmp_path,
        write_config,
        smtp_server,
        aliases={"黔南布依族苗族自治州大数据局": "黔南州大数据局", "公共资源交易中心": DEPT},
        contacts={"公共资源交易中心": ["a@ggzy.example.gov.cn"]},
    )
    ingest_records(
        engine, rt, [record("C"), record("G", provider_dept="省教育厅")], at("2024-10-08 10:00")
    )
    findings = list(check_contacts(rt, at("2024-10-08 10:00")))
    warn = [f for f in findings if f.level == "warn"]
    assert len(warn) == 1
    assert "省教育厅" in warn[0].message and DEPT not in warn[0].message
    assert "黔南州大数据局" not in warn[0].message
    assert "未配置联系人" in warn[0].message


def test_check_contacts_without_supervisors_is_an_error(
    tmp_path: Path, write_config: Any, smtp_server: Any
) -> None:
    _config, rt, engine = _setup(tmp_path, write_config, smtp_server, supervisors=[])
    ingest_records(engine, rt, [record("G", provider_dept="省教育厅")], at("2024-10-08 10:00"))
    levels = {(f.item, f.level) for f in check_contacts(rt, at("2024-10-08 10:00"))}
    assert ("督办人", "error") in levels and ("联系人", "warn") in levels


def test_check_contacts_all_configured(tmp_path: Path, write_config: Any, smtp_server: Any) -> None:
    _config, rt, engine = _setup(tmp_path, write_config, smtp_server)
    ingest_records(engine, rt, [record("C")], at("2024-10-08 10:00"))
    findings = list(check_contacts(rt, at("2024-10-08 10:00")))
    assert [f.level for f in findings] == ["ok"]


def test_check_contacts_never_creates_a_store(
    tmp_path: Path, write_config: Any, smtp_server: Any
) -> None:
    config = write_config(
        {
            "store": {"url": "sqlite:///absent.db"},
            "rules": {"dir": str(REPO_ROOT / "rules")},
            "contacts": {DEPT: ["a@ggzy.example.gov.cn"]},
            "supervisors": ["boss@dsj.example.gov.cn"],
        }
    )
    rt = Runtime(load_settings(config, env={}))
    findings = list(check_contacts(rt, at("2024-10-08 10:00")))
    assert not (tmp_path / "absent.db").exists()
    assert [(f.level, f.message) for f in findings] == [("ok", "已知的 1 个提供部门均已配置联系人")]


def test_delivery_report_reads_in_chinese(
    tmp_path: Path, write_config: Any, smtp_server: Any
) -> None:
    _config, rt, engine = _setup(tmp_path, write_config, smtp_server)
    assert "不在发送时段" in str(deliver_due(engine, rt, at("2024-10-05 10:00"), "w"))
    ingest_records(engine, rt, [record("C", "2024-09-24 10:00")], at("2024-10-08 10:00"), plan=True)
    smtp_server.refuse("b@ggzy.example.gov.cn")
    text = str(deliver_due(engine, rt, at("2024-10-08 10:00"), "w"))
    assert text.startswith("邮件：发送 1 封") and "1 个收件人被拒收" in text
