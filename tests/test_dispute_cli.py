"""``slamon disputes`` and ``slamon dispute add / accept / reject`` over a real store: the JSON
shape, the filter, the exemption an accepted one makes, and one-line Chinese errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from storehelpers import at, record, store_config_with

from slamon.adapters.store.db import open_store
from slamon.service.exemptions import active_exemptions

SEEN = at("2024-10-15 10:00")


@pytest.fixture
def config(tmp_path: Path, write_config: Any) -> Path:
    records = [
        record("GZ-1", "2024-09-27 10:00"),
        record("GZ-2", "2024-09-27 11:00", provider_dept="省水利厅", resource_name="水文数据"),
    ]
    return store_config_with(tmp_path, write_config, records, SEEN)


def _add(run_cli: Any, config: Path, *argv: str) -> Any:
    return run_cli(["dispute", "add", *argv], config=config)


def test_add_list_accept_reject(tmp_path: Path, config: Path, run_cli: Any) -> None:
    r = _add(run_cli, config, "GZ-1", "--reason", "电话反映已线下答复", "--by", "李四",
             "--now", "2024-10-16 09:00")  # fmt: skip
    assert r.exit_code == 0, r.stderr
    assert r.stdout.strip() == "已登记情况说明 #1（申请 GZ-1，省公共资源交易中心），待核实"
    argv = ["dispute", "add", "GZ-2", "--reason", "来函说明", "--by", "王五", "--channel", "来函"]
    assert run_cli([*argv, "--now", "2024-10-16 10:00"], config=config).exit_code == 0
    listed = json.loads(run_cli(["disputes", "--json"], config=config).stdout)
    assert listed[0] == {
        "id": 1,
        "application_id": "GZ-1",
        "department": "省公共资源交易中心",
        "resource_name": "工程类_招标项目",
        "text": "电话反映已线下答复",
        "channel": "phone",
        "by": "李四",
        "at": "2024-10-16T09:00:00+08:00",
        "attachment": None,
        "status": "pending",
        "decision_reason": None,
        "decided_by": None,
        "decided_at": None,
    }
    assert listed[1]["channel"] == "letter" and listed[1]["department"] == "省水利厅"

    r = run_cli(
        [
            "dispute",
            "accept",
            "1",
            "--reason",
            "经核实属实",
            "--by",
            "赵六",
            "--now",
            "2024-10-17 09:00",
        ],
        config=config,
    )
    assert r.exit_code == 0, r.stderr
    assert "已采纳情况说明 #1：申请 GZ-1 已核实排除（理由：经核实属实）" in r.stdout
    r = run_cli(
        ["dispute", "reject", "2", "--reason", "理由不成立", "--now", "2024-10-17 10:00"],
        config=config,
    )
    assert r.exit_code == 0 and "未采纳情况说明 #2（申请 GZ-2，理由：理由不成立）" in r.stdout

    decided = json.loads(
        run_cli(["disputes", "--json", "--status", "accepted"], config=config).stdout
    )
    assert [(d["id"], d["status"], d["decided_by"], d["decided_at"]) for d in decided] == [
        (1, "accepted", "赵六", "2024-10-17T09:00:00+08:00")
    ]
    assert (
        json.loads(run_cli(["disputes", "--json", "--status", "pending"], config=config).stdout)
        == []
    )
    rejected = json.loads(
        run_cli(["disputes", "--json", "--status", "未采纳"], config=config).stdout
    )
    assert [(d["id"], d["decided_by"]) for d in rejected] == [(2, "未署名")]
    engine = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    with engine.connect() as conn:
        exempted = active_exemptions(conn)
    engine.dispose()
    assert {k: (f.reason, f.by) for k, f in exempted.items()} == {
        "GZ-1": ("依据情况说明 #1：经核实属实", "赵六")
    }
    table = run_cli(["disputes"], config=config).stdout
    assert "情况说明（2 件）" in table and "已采纳" in table and "来函" in table


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["dispute", "accept", "99", "--reason", "x"], "错误：没有情况说明 #99"),
        (["dispute", "add", "NO-SUCH", "--reason", "x"], "错误：存储库中没有申请 NO-SUCH"),
        (["dispute", "add", "GZ-1", "--reason", "  "], "错误：情况说明不能为空"),
        (
            ["dispute", "add", "GZ-1", "--reason", "x", "--channel", "邮件"],
            "错误：渠道“邮件”无效：应为 电话 或 来函",
        ),
        (
            ["disputes", "--status", "done"],
            "错误：状态“done”无效：应为 pending / accepted / rejected",
        ),
    ],
)
def test_clear_chinese_errors(config: Path, run_cli: Any, argv: list[str], message: str) -> None:
    r = run_cli(argv, config=config)
    assert r.exit_code == 1 and r.stderr.strip() == message


def test_a_decided_dispute_is_not_decided_again(config: Path, run_cli: Any) -> None:
    assert run_cli(["dispute", "add", "GZ-1", "--reason", "说明"], config=config).exit_code == 0
    assert run_cli(["dispute", "reject", "1", "--reason", "不成立"], config=config).exit_code == 0
    for verb in ("accept", "reject"):
        r = run_cli(["dispute", verb, "1", "--reason", "再议"], config=config)
        assert r.exit_code == 1
        assert r.stderr.strip() == "错误：情况说明 #1 已有核实结果（未采纳），不能再次决定"
    r = run_cli(["dispute", "accept", "1"], config=config)
    assert r.exit_code == 2  # --reason is required: a usage error
    r = run_cli(["dispute", "add", "GZ-1", "--reason", "补充说明"], config=config)
    assert r.exit_code == 0 and "情况说明 #2" in r.stdout  # after a rejection, a new one
    r = run_cli(["dispute", "add", "GZ-1", "--reason", "再补充"], config=config)
    assert r.exit_code == 1 and "已有待核实的情况说明 #2" in r.stderr
