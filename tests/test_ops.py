"""Operating the daemon: test-mail through a real SMTP server, the health signal, the Prometheus
endpoint (real HTTP, real store), the systemd unit."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import urllib.request
from pathlib import Path

import pytest
from storehelpers import REPO_ROOT, at, make_runtime

from slamon.adapters.store.db import open_store
from slamon.daemon import Daemon

CSV_HEADER = "申请编号,申请部门,提供部门,资源名称,共享类型,申请时间,审核状态,审核时间,收到时间\n"


def _row(aid: str, received: str = "2024-09-27 10:00") -> str:
    return f"{aid},省税务局,省公共资源交易中心,工程类_招标项目,有条件共享,2024-09-26 09:00,通过,2024-09-27 09:00,{received}\n"


def _export(path: Path, text: str) -> None:
    """An export file as the platform left it (older than the folder source's settle time)."""
    path.write_text(text, encoding="utf-8")
    old = 1_700_000_000  # November 2023: settled, whatever the clock says
    os.utime(path, (old, old))


class Clock:
    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now


# -- test-mail -----------------------------------------------------------------------------------


def test_test_mail_goes_through_the_relay_and_reports_its_reply(run_cli, write_config, smtp_server):
    cfg = write_config({"smtp": smtp_server.smtp_config(), "store": {"url": "sqlite:///s.db"}})
    res = run_cli(["test-mail", "zhangsan@ggzy.example.gov.cn"], config=cfg)
    assert res.exit_code == 0, res.stderr
    (mail,) = smtp_server.messages
    assert mail.rcpt_tos == ["zhangsan@ggzy.example.gov.cn"]
    assert mail.mail_from == "slamon@xxzx.example.gov.cn"
    assert mail.subject.startswith("slamon 测试邮件")
    assert "测试邮件" in mail.part("plain")
    assert f"{smtp_server.host}:{smtp_server.port}" in res.stdout
    assert "收件人 zhangsan@ggzy.example.gov.cn：已接受" in res.stdout
    assert "服务器对邮件的答复：250 Message accepted" in res.stdout


def test_test_mail_reports_the_refusal_in_the_servers_words(run_cli, write_config, smtp_server):
    smtp_server.refuse("nobody@ggzy.example.gov.cn", code=550)
    cfg = write_config({"smtp": smtp_server.smtp_config()})
    res = run_cli(["test-mail", "nobody@ggzy.example.gov.cn"], config=cfg)
    assert res.exit_code == 1
    assert smtp_server.messages == []
    line = res.stderr.strip()
    assert line.startswith("错误：") and len(line.splitlines()) == 1
    assert "550 5.1.1 <nobody@ggzy.example.gov.cn>: recipient refused" in line


def test_test_mail_names_the_server_that_is_down(run_cli, write_config, smtp_server):
    smtp_server.stop()
    cfg = write_config({"smtp": smtp_server.smtp_config()})
    res = run_cli(["test-mail", "a@ggzy.example.gov.cn"], config=cfg)
    assert res.exit_code == 1
    assert res.stderr.startswith("错误：") and f"{smtp_server.port}" in res.stderr


def test_test_mail_refuses_a_non_address(run_cli):
    res = run_cli(["test-mail", "not-an-address"])
    assert res.exit_code == 1 and "不是有效的邮箱地址" in res.stderr


# -- health and metrics --------------------------------------------------------------------------


@pytest.fixture
def daemon_setup(tmp_path, smtp_server):
    exports = tmp_path / "exports"
    exports.mkdir()
    _export(
        exports / "first.csv",
        CSV_HEADER + _row("GZ-1") + _row("GZ-2") + _row("GZ-BAD", received="not a date"),
    )
    cfg = {
        "store": {"url": "sqlite:///store.db"},
        "source": {"kind": "folder", "folder": str(exports), "stale_minutes": 60},
        "smtp": smtp_server.smtp_config(),
        "supervisors": ["dsj@example.gov.cn"],
    }
    rt = make_runtime(tmp_path, **cfg)
    engine = open_store(rt.settings.store_url)
    (tmp_path / "config.yaml").write_text(
        json.dumps({**cfg, "rules": {"dir": str(REPO_ROOT / "rules")}}), encoding="utf-8"
    )
    clock = Clock(at("2024-10-14 10:00"))
    daemon = Daemon(rt, engine, clock=clock, holder="host-a:1234")
    yield daemon, clock, tmp_path / "config.yaml", exports
    daemon.stop()
    engine.dispose()


def test_health_json_gains_the_daemon_block_and_status_stays_a_list(run_cli, daemon_setup):
    daemon, clock, cfg, _ = daemon_setup
    now = "2024-10-14T10:00"
    res = run_cli(["health", "--now", now, "--json"], config=cfg)
    before = json.loads(res.stdout)
    assert before["ok"] is False and res.exit_code == 1  # monitors read the exit code
    res = run_cli(["health", "--now", now], config=cfg)
    assert "状态：异常" in res.stdout and res.exit_code == 1
    assert before["daemon"]["lease_holder"] is None and before["daemon"]["last_poll"] is None
    assert daemon.poll() is not None
    res = run_cli(["health", "--now", "2024-10-14T10:00:30", "--json"], config=cfg)
    assert res.exit_code == 0, res.stderr
    h = json.loads(res.stdout)
    d = h["daemon"]
    assert d["lease_holder"] == "host-a:1234"
    assert d["last_poll"]["status"] == "ok" and d["last_poll"]["inserted"] == 2
    assert d["last_successful_poll_at"] == "2024-10-14T10:00:00+08:00"
    assert d["last_delivery_at"] == "2024-10-14T10:00:00+08:00"
    assert d["last_sent_at"] is not None and d["last_sent_at"].endswith("+08:00")
    assert h["outbox"].get("sent", 0) >= 1
    assert h["ok"] is True, h["problems"]
    # The lease lapses when the daemon stops renewing: health says so.
    res = run_cli(["health", "--now", "2024-10-14T12:00", "--json"], config=cfg)
    later = json.loads(res.stdout)
    assert later["ok"] is False and later["daemon"]["lease_holder"] is None
    assert res.exit_code == 1
    assert any("租约" in p for p in later["problems"])
    res = run_cli(["health", "--now", "2024-10-14T10:00:30"], config=cfg)
    text = res.stdout
    assert "租约持有者：host-a:1234" in text and "状态：正常" in text and res.exit_code == 0
    status = json.loads(run_cli(["status", "--now", now, "--json"], config=cfg).stdout)
    assert isinstance(status, list) and {s["application_id"] for s in status} == {"GZ-1", "GZ-2"}


def _scrape(port: int) -> dict[str, float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as resp:
        body = resp.read().decode("utf-8")
    samples = {}
    for line in body.splitlines():
        m = re.match(r"^(slamon_\w+(?:\{[^}]*\})?) (\S+)$", line)
        if m:
            samples[m[1]] = float(m[2])
    return samples


def test_metrics_endpoint_counts_polls_rows_and_mail(daemon_setup):
    daemon, clock, _cfg, exports = daemon_setup
    server = daemon.start_metrics("127.0.0.1", 0)
    before = _scrape(server.port)
    assert before['slamon_polls_total{status="ok"}'] == 0
    assert before["slamon_rows_fetched_total"] == 0
    assert before["slamon_lease_held"] == 0
    assert not any(k.startswith("slamon_last_success_timestamp_seconds") for k in before)

    daemon.poll()
    after = _scrape(server.port)
    assert after['slamon_polls_total{status="ok"}'] == 1
    assert after["slamon_rows_fetched_total"] == 3
    assert after["slamon_rows_inserted_total"] == 2
    assert after["slamon_rows_rejected_total"] == 1
    assert after["slamon_rejected_rows"] == 1
    assert after['slamon_applications{stage="overdue"}'] == 2
    assert after["slamon_overdue_applications"] == 2 and after["slamon_open_applications"] == 2
    assert after['slamon_outbox_messages{status="sent"}'] >= 1
    assert after['slamon_last_success_timestamp_seconds{job="poll"}'] == clock.now.timestamp()
    assert after['slamon_last_success_timestamp_seconds{job="sent"}'] > 0
    assert after["slamon_lease_held"] == 1

    # The next export brings a new application and the corrected bad row (it settles the rejection).
    _export(exports / "second.csv", CSV_HEADER + _row("GZ-3") + _row("GZ-BAD"))
    clock.now += dt.timedelta(minutes=10)
    daemon.poll()
    again = _scrape(server.port)
    assert again['slamon_polls_total{status="ok"}'] == 2
    assert again["slamon_rows_fetched_total"] == 5
    assert again["slamon_rows_rejected_total"] == 1
    assert again["slamon_rejected_rows"] == 0
    assert again["slamon_overdue_applications"] == 4


def test_metrics_listen_is_validated(tmp_path):
    from slamon.config import parse_settings
    from slamon.core.errors import ConfigError

    ok = parse_settings({"metrics": {"listen": "127.0.0.1:9108"}}, None, tmp_path, {})
    assert ok.metrics.host_port == ("127.0.0.1", 9108)
    with pytest.raises(ConfigError) as exc:
        parse_settings({"metrics": {"listen": "9108"}}, None, tmp_path, {})
    assert exc.value.key == "metrics.listen"


# -- deployment files ----------------------------------------------------------------------------


def test_systemd_unit_runs_the_daemon_as_a_dedicated_user():
    unit = (REPO_ROOT / "deploy" / "slamon.service").read_text(encoding="utf-8")
    settings = dict(
        line.split("=", 1) for line in unit.splitlines() if "=" in line and not line.startswith("#")
    )
    assert settings["User"] == "slamon"
    assert settings["Restart"] == "on-failure"
    assert settings["EnvironmentFile"].startswith("/etc/slamon/")
    assert settings["ExecStart"].split()[0].endswith("/slamon")
    assert " run" in settings["ExecStart"]
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert "## 部署" in readme
    assert Path("deploy/slamon.service").as_posix() in readme
