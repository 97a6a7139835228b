"""Output for people and for pipes: full-width tables off a terminal, Chinese usage errors and
help, one message per error, logs only with --verbose or in the daemon, JSON moments in the
configured zone."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from storehelpers import REPO_ROOT, at, record, store_config_with

LONG_ID = "GZSJGX-2024092700000000012345"
LONG_RESOURCE = "省公共资源交易中心工程建设项目招标投标全流程电子化交易数据（含评标专家抽取记录）"
ENGLISH_WORD = re.compile(r"(?<!-)\b(Usage|Error|Options|Commands|Missing|Try|such|option|help)\b")


def _subprocess_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLAMON_")}
    env["COLUMNS"] = "80"  # what a cron job or a narrow terminal reports
    return env


@pytest.fixture
def store_config(tmp_path, write_config):
    return store_config_with(
        tmp_path,
        write_config,
        [record(LONG_ID, resource_name=LONG_RESOURCE), record("A2")],
        at("2024-10-08 16:00"),
    )


# -- tables off a terminal ----------------------------------------------------------------------


def test_status_redirected_to_a_file_shows_full_ids_and_dates(tmp_path, store_config):
    out = tmp_path / "status.txt"
    with out.open("w", encoding="utf-8") as f:
        res = subprocess.run(
            [sys.executable, "-m", "slamon", "--config", str(store_config), "status"]
            + ["--now", "2024-10-14T10:00"],
            stdout=f,
            stderr=subprocess.PIPE,
            text=True,
            env=_subprocess_env(),
            cwd=tmp_path,
            timeout=120,
            check=False,
        )
    assert res.returncode == 0, res.stderr
    text = out.read_text(encoding="utf-8")
    assert "…" not in text
    row = next(line for line in text.splitlines() if LONG_ID in line)
    # The receipt moment, the deadline date and the resource name stand whole on the id's row.
    assert "2024-09-27 10:00" in row and "2024-10-10" in row and LONG_RESOURCE in row
    assert "已超期" in row
    assert max(len(line) for line in text.splitlines()) > 80


# -- usage errors and help in Chinese ------------------------------------------------------------


def test_report_monthly_without_month_is_a_chinese_usage_error(run_cli):
    res = run_cli(["report", "monthly"])
    assert res.exit_code == 2
    assert res.stdout == ""
    assert "用法：slamon report monthly [选项]" in res.stderr
    assert res.stderr.strip().endswith("错误：缺少选项 '--month'")
    assert not ENGLISH_WORD.search(res.stderr), res.stderr


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--nope"], "错误：没有选项 --nope"),
        (["nocommand"], "错误：没有命令 'nocommand'"),
        (["deadline", "2024-10-01", "--jsn"], "错误：没有选项 --jsn（可能是：--json）"),
        (["outbox", "retry", "abc"], "错误：'ID' 的值无效：应为整数"),
        (["deadline", "2024-10-01", "--share-type"], "错误：选项 '--share-type' 需要一个值"),
    ],
)
def test_usage_errors_are_chinese_with_exit_2(run_cli, argv, message):
    res = run_cli(argv)
    assert res.exit_code == 2, res
    assert res.stderr.strip().splitlines()[-1] == message
    assert not ENGLISH_WORD.search(res.stderr), res.stderr


def test_help_pages_are_chinese(run_cli):
    for argv in (["--help"], ["report", "monthly", "--help"], ["outbox", "--help"]):
        res = run_cli(argv)
        assert res.exit_code == 0, res
        assert res.stdout.startswith("用法：slamon")
        assert "选项：" in res.stdout and "显示本帮助并退出。" in res.stdout
        assert not ENGLISH_WORD.search(res.stdout), res.stdout
    assert "[必填]" in run_cli(["report", "monthly", "--help"]).stdout


def test_version(run_cli):
    from slamon import __version__

    res = run_cli(["--version"])
    assert (res.exit_code, res.stdout.strip()) == (0, f"slamon {__version__}")


# -- one message per error; logs only with --verbose ---------------------------------------------


def _failing_poll(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    cfg = tmp_path / "config.yaml"
    cfg.write_text(
        "store: {url: 'sqlite:///store.db'}\n"
        "source: {kind: sql, url: 'sqlite:////nonexistent/folder/platform.db', "
        "query: 'SELECT * FROM share_apply'}\n",
        encoding="utf-8",
    )
    return subprocess.run(
        [sys.executable, "-m", "slamon", *extra, "--config", str(cfg), "poll"]
        + ["--now", "2024-10-14T10:00"],
        capture_output=True,
        text=True,
        env=_subprocess_env(),
        cwd=tmp_path,
        timeout=120,
        check=False,
    )


def test_a_failing_source_is_reported_once(tmp_path):
    res = _failing_poll(tmp_path)
    assert res.returncode == 1
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("错误："), res.stderr


def test_verbose_adds_the_log_lines_stamped_with_their_offset(tmp_path):
    res = _failing_poll(tmp_path, "--verbose")
    assert res.returncode == 1
    lines = res.stderr.strip().splitlines()
    assert lines[-1].startswith("错误：")
    logs = [line for line in lines if "poll.failed" in line]
    assert logs, res.stderr
    assert re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2} ERROR ", logs[0])


def test_daemon_log_lines_carry_the_configured_zone(tz, capsys):
    import time_machine

    from slamon.logs import remove_scoped_handlers, setup_logging

    logged_at = dt.datetime(
        2024, 10, 8, 2, 0, 5, 250_000, tzinfo=dt.UTC
    )  # 10:00:05.250 in Shanghai
    for fmt in ("text", "json"):
        setup_logging(fmt, tz=tz, scoped=True)
        try:
            with time_machine.travel(logged_at, tick=False):
                logging.getLogger("slamon.test").warning("daemon.started holder=%s", "h1")
        finally:
            remove_scoped_handlers()
        line = capsys.readouterr().err.strip().splitlines()[-1]
        stamp = json.loads(line)["ts"] if fmt == "json" else line.split(" ")[0]
        assert stamp == "2024-10-08T10:00:05.250+08:00", line


# -- Chinese names where codes leaked ------------------------------------------------------------


def test_rules_table_and_check_config_name_fields_and_share_types_in_chinese(run_cli):
    rules = run_cli(["rules"])
    assert rules.exit_code == 0, rules.stderr
    assert "收到时间" in rules.stdout and "received_at" not in rules.stdout
    check = run_cli(["check-config", "--now", "2026-03-02T10:00"])
    assert "有条件共享 5 个工作日" in check.stdout
    assert "conditional" not in check.stdout


def test_dry_run_names_the_mail_kinds_in_chinese(run_cli, write_config):
    cfg = write_config(
        {
            "store": {"url": "sqlite:///store.db"},
            "rules": {"dir": str(REPO_ROOT / "rules")},
            "source": {"kind": "demo"},
            "supervisors": ["dsj@example.gov.cn"],
        }
    )
    res = run_cli(["poll", "--now", "2025-01-02T10:00", "--dry-run"], config=cfg)
    assert res.exit_code == 0, res.stderr
    assert "【催办通知】" in res.stdout and "【督办】" in res.stdout
    assert "[notice]" not in res.stdout and "[escalation]" not in res.stdout


# -- JSON moments in the configured zone ---------------------------------------------------------


def test_status_json_moments_are_in_the_configured_zone(run_cli, store_config):
    res = run_cli(["status", "--now", "2024-10-14T10:00", "--json"], config=store_config)
    assert res.exit_code == 0, res.stderr
    item = next(i for i in json.loads(res.stdout) if i["application_id"] == LONG_ID)
    for key in ("received_at", "deadline"):
        assert item[key].endswith("+08:00"), item
    assert item["received_at"] == "2024-09-27T10:00:00+08:00"


def test_localize_json_converts_moments_and_keeps_everything_else(tz):
    from slamon.core.formats import localize_json

    data = {
        "a": "2024-09-27T02:00:00+00:00",
        "b": dt.datetime(2024, 9, 27, 2, tzinfo=dt.UTC),
        "c": ["2024-09-27", "GZ-2024-09-27T02:00", "资源"],
        "d": 3,
    }
    assert localize_json(data, tz) == {
        "a": "2024-09-27T10:00:00+08:00",
        "b": "2024-09-27T10:00:00+08:00",
        "c": ["2024-09-27", "GZ-2024-09-27T02:00", "资源"],
        "d": 3,
    }


# -- rejected rows in the user's own words -------------------------------------------------------


def test_rejected_rows_name_the_columns_as_the_file_does(run_cli, write_config, tmp_path):
    cfg = write_config({"store": {"url": "sqlite:///store.db"}, "source": {"kind": "none"}})
    csv = tmp_path / "export.csv"
    csv.write_text(
        "申请编号,使用部门,提供部门,资源名称,共享类型,申请时间,规范性审核,审核时间,提供方收到时间,审批结果,审批时间\n"
        "GZ-1,省税务局,省公安厅,人口信息,有条件共享,2024-09-26 09:00,通过,2024-09-27 09:00,2024-09-27 10:00,通过,2024-09-20 10:00\n"
        "GZ-2,省税务局,省公安厅,人口信息,有条件共享,2024-09-26 09:00,通过,2024-09-27 09:00,下周一,,\n"
        "GZ-3,省税务局,省公安厅,人口信息,有条件共享,2024-09-26 09:00,通过,2024-09-27 09:00,2024-09-27 10:00,,\n",
        encoding="utf-8",
    )
    res = run_cli(["import", str(csv), "--json"], config=cfg)
    assert res.exit_code == 0, res.stderr
    errors = {e["row"]: e for e in json.loads(res.stdout)["errors"]}
    assert errors["export.csv:2"]["field"] == "decided_at"  # the code stays in JSON (CONTRACT)
    assert errors["export.csv:2"]["header"] == "审批时间"
    assert "提供方收到时间" in errors["export.csv:2"]["message"]
    assert errors["export.csv:3"]["header"] == "提供方收到时间"
    assert not re.search(r"[a-z]+_[a-z]+", errors["export.csv:2"]["message"])
    table = run_cli(["import", str(csv)], config=cfg).stdout
    assert "received_at" not in table and "decided_at" not in table
    status = run_cli(["status", "--now", "2024-10-14T10:00"], config=cfg).stdout
    assert "decided_at" not in status and "received_at" not in status


def test_rows_keyed_by_field_codes_get_the_chinese_field_names():
    from slamon.core.records import RowError
    from slamon.core.user_terms import in_user_terms

    err = RowError(7, "decided_at", "decided_at 早于 received_at")
    named = in_user_terms(err, {"application_id": "A", "received_at": "x", "decided_at": "y"})
    assert (named.field, named.header) == ("decided_at", "审批时间")
    assert named.message == "审批时间 早于 提供方收到时间"
    assert str(named) == "第 7 行 字段 审批时间：审批时间 早于 提供方收到时间"
